#include <boost/test/unit_test.hpp>

#include "tests/support/hex.hpp"

#include "timecontrol/policies/deadline.hpp"

#include <random>
#include <string>

using namespace tc;
using namespace std::chrono_literals;

namespace {

time_point at(int64_t n) {
  return from_nanos(n);
}

using st = deadline_status;

} // namespace

BOOST_AUTO_TEST_SUITE(deadline_tests)

// -- status -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_command_never_called_is_new_and_stays_new) {
  deadline d{10ns, 5ns, at(0)};
  BOOST_TEST((d.status(at(0)) == st::never_called));
  BOOST_TEST((d.status(at(1'000'000)) == st::never_called));
  BOOST_TEST(!d.next_change(at(0)).has_value());
  BOOST_TEST(!d.due().has_value());
  BOOST_TEST(to_string(st::never_called) == "new");
}

BOOST_AUTO_TEST_CASE(a_command_is_up_until_exactly_one_period_after_its_call) {
  deadline d{10ns, 5ns, at(0)};
  d.called(at(100));
  BOOST_TEST((d.status(at(100)) == st::up));
  BOOST_TEST((d.status(at(110)) == st::up));
  BOOST_TEST((d.status(at(111)) == st::late));
}

BOOST_AUTO_TEST_CASE(a_command_is_late_until_exactly_the_end_of_grace) {
  deadline d{10ns, 5ns, at(0)};
  d.called(at(100));
  BOOST_TEST((d.status(at(115)) == st::late));
  BOOST_TEST((d.status(at(116)) == st::down));
  BOOST_TEST((d.status(at(1'000'000)) == st::down));
}

BOOST_AUTO_TEST_CASE(without_grace_a_command_goes_from_up_to_down) {
  deadline d{10ns, 0ns, at(0)};
  d.called(at(0));
  BOOST_TEST((d.status(at(10)) == st::up));
  BOOST_TEST((d.status(at(11)) == st::down));
  BOOST_TEST((*d.next_change(at(0)) == at(11)));
}

BOOST_AUTO_TEST_CASE(a_new_call_brings_a_down_command_up) {
  deadline d{10ns, 5ns, at(0)};
  d.called(at(0));
  BOOST_TEST((d.status(at(50)) == st::down));
  d.called(at(50));
  BOOST_TEST((d.status(at(50)) == st::up));
}

BOOST_AUTO_TEST_CASE(a_run_not_finished_within_grace_of_its_start_is_down) {
  deadline d{100ns, 5ns, at(0)};
  d.started(at(10));
  BOOST_TEST((d.status(at(15)) == st::up));
  BOOST_TEST((d.status(at(16)) == st::down));
  BOOST_TEST((*d.next_change(at(12)) == at(16)));
  BOOST_TEST(!d.next_change(at(16)).has_value());
  d.finished(at(40));
  BOOST_TEST((d.status(at(40)) == st::up)); // measured from the start, 10
  BOOST_TEST((d.status(at(111)) == st::late));
}

BOOST_AUTO_TEST_CASE(
    a_paused_command_is_paused_and_restarts_its_clock_on_resume) {
  deadline d{10ns, 5ns, at(0)};
  d.called(at(0));
  d.paused(at(5));
  BOOST_TEST((d.status(at(1000)) == st::paused));
  BOOST_TEST(!d.next_change(at(1000)).has_value());
  d.resumed(at(1000));
  BOOST_TEST((d.status(at(1010)) == st::up));
  BOOST_TEST((d.status(at(1011)) == st::late));
}

BOOST_AUTO_TEST_CASE(with_first_call_due_a_new_command_goes_late_then_down) {
  deadline d{10ns, 5ns, at(0), true};
  BOOST_TEST((d.status(at(10)) == st::never_called));
  BOOST_TEST((d.status(at(11)) == st::late));
  BOOST_TEST((d.status(at(16)) == st::down));
  BOOST_TEST((*d.due() == at(10)));
  BOOST_TEST((*d.next_change(at(0)) == at(11)));
}

BOOST_AUTO_TEST_CASE(a_now_before_the_last_call_counts_as_up) {
  deadline d{10ns, 5ns, at(0)};
  d.called(at(100));
  BOOST_TEST((d.status(at(3)) == st::up));
  BOOST_TEST((*d.next_change(at(3)) == at(111)));
}

BOOST_AUTO_TEST_CASE(a_fact_older_than_the_last_call_does_not_move_it_back) {
  deadline d{10ns, 5ns, at(0)};
  d.called(at(100));
  d.called(at(50));
  BOOST_TEST((*d.last_call() == at(100)));
}

BOOST_AUTO_TEST_CASE(huge_periods_never_overflow) {
  deadline d{duration::max(), duration::max(), at(0)};
  d.called(at(INT64_MAX - 10));
  BOOST_TEST((d.status(at(INT64_MAX)) == st::up));
  BOOST_TEST(!d.next_change(at(INT64_MAX)).has_value());
}

// -- properties ---------------------------------------------------------------

// next_change is exact: the status is constant on [now, next_change) and
// differs at next_change; with no next change it is constant to the horizon.
BOOST_AUTO_TEST_CASE(next_change_is_exactly_where_the_status_changes) {
  std::mt19937_64 rng{31};
  for (int round = 0; round < 300; ++round) {
    deadline d{duration{static_cast<int64_t>(rng() % 20)},
               duration{static_cast<int64_t>(rng() % 10)}, at(0),
               rng() % 2 == 0};
    int64_t t = 0;
    for (int i = 0; i < 20; ++i) {
      t += static_cast<int64_t>(rng() % 15);
      switch (rng() % 8) {
        case 0:
          d.called(at(t));
          break;
        case 1:
          d.started(at(t));
          break;
        case 2:
          d.finished(at(t));
          break;
        case 6:
          d.started(rng() % 3, at(t));
          break;
        case 7:
          d.finished(rng() % 3, at(t), rng() % 2 == 0);
          break;
        case 3:
          d.paused(at(t));
          break;
        case 4:
          d.resumed(at(t));
          break;
        default:
          break;
      }
      auto s = d.status(at(t));
      auto next = d.next_change(at(t));
      int64_t horizon = t + 100;
      int64_t k = t + 1;
      while (k <= horizon && d.status(at(k)) == s)
        ++k;
      if (next) {
        BOOST_REQUIRE_EQUAL(to_nanos(*next), k);
      } else {
        BOOST_REQUIRE_GT(k, horizon);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(replaying_the_same_facts_gives_the_same_state) {
  std::mt19937_64 rng{6};
  deadline a{7ns, 3ns, at(0)};
  deadline b{7ns, 3ns, at(0)};
  int64_t t = 0;
  for (int i = 0; i < 500; ++i) {
    t += static_cast<int64_t>(rng() % 10) - 2;
    if (rng() % 2) {
      a.called(at(t));
      b.called(at(t));
    }
    BOOST_REQUIRE((a.status(at(t)) == b.status(at(t))));
  }
  BOOST_TEST((a == b));
}

// -- failures (healthchecks' fail signal) -----------------------------------

BOOST_AUTO_TEST_CASE(a_failed_call_turns_it_down_at_the_instant_it_ends) {
  deadline d{100ns, 5ns, at(0), true};
  d.started(1, at(10));
  BOOST_TEST((d.status(at(15)) == st::up));
  d.finished(1, at(15), false);
  BOOST_TEST((d.status(at(15)) == st::down));
  BOOST_TEST(d.is_failed());
  BOOST_TEST(!d.next_change(at(15)).has_value());
  BOOST_TEST((d.status(at(1'000'000)) == st::down));
}

BOOST_AUTO_TEST_CASE(only_a_successful_call_brings_a_failed_command_up) {
  deadline d{100ns, 5ns, at(0), true};
  d.started(1, at(10));
  d.finished(1, at(20), false);
  d.started(2, at(30)); // a start is no success
  BOOST_TEST((d.status(at(30)) == st::down));
  d.finished(2, at(31), true);
  BOOST_TEST((d.status(at(31)) == st::up));
  BOOST_TEST((d.status(at(130)) == st::up)); // measured from its start, 30
  BOOST_TEST((d.status(at(131)) == st::late));
}

BOOST_AUTO_TEST_CASE(a_failure_counted_as_a_call_leaves_it_up) {
  // What a watch with fail=call passes: ok = true whatever the call said.
  deadline d{100ns, 5ns, at(0), true};
  d.started(1, at(10));
  d.finished(1, at(20), true);
  BOOST_TEST((d.status(at(20)) == st::up));
}

// -- overlapping runs ---------------------------------------------------------

BOOST_AUTO_TEST_CASE(overlapping_runs_are_each_held_to_the_grace) {
  deadline d{100ns, 5ns, at(0), true};
  d.started(1, at(10));
  d.started(2, at(12));
  BOOST_TEST(d.running() == 2u);
  d.finished(2, at(13), true); // ends run 2 only
  BOOST_TEST(d.running() == 1u);
  BOOST_TEST((*d.running_since() == at(10)));
  BOOST_TEST((d.status(at(15)) == st::up)); // exactly the grace of run 1
  BOOST_TEST((*d.next_change(at(13)) == at(16)));
  BOOST_TEST((d.status(at(16)) == st::down));
  d.finished(1, at(40), true);
  BOOST_TEST((d.status(at(40)) == st::up));
}

BOOST_AUTO_TEST_CASE(a_success_forgets_an_earlier_run_past_its_grace) {
  // Call 1 never ends (its process was killed); call 2 runs and succeeds.
  deadline d{100ns, 5ns, at(0), true};
  d.started(1, at(10));
  BOOST_TEST((d.status(at(16)) == st::down));
  d.started(2, at(30));
  d.finished(2, at(31), true);
  BOOST_TEST(d.running() == 0u);
  BOOST_TEST((d.status(at(31)) == st::up));
  // A failure forgets nothing, nor does a success of a call that began
  // first.
  deadline e{100ns, 5ns, at(0), true};
  e.started(1, at(10));
  e.started(2, at(30));
  e.finished(2, at(31), false);
  BOOST_TEST(e.running() == 1u);
  deadline f{100ns, 5ns, at(0), true};
  f.started(1, at(10));
  f.started(2, at(30));
  f.finished(1, at(40), true);
  BOOST_TEST(f.running() == 1u);
  BOOST_TEST((f.status(at(40)) == st::down)); // run 2 is past its grace
}

BOOST_AUTO_TEST_CASE(the_later_of_two_starts_of_one_call_wins) {
  deadline d{100ns, 5ns, at(0), true};
  d.started(7, at(10)); // call_admitted
  d.started(7, at(14)); // call_started, once it runs
  BOOST_TEST(d.running() == 1u);
  BOOST_TEST((d.status(at(19)) == st::up));
  BOOST_TEST((d.status(at(20)) == st::down));
}

// -- pause and resume ---------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_pause_forgets_runs_and_a_failure) {
  deadline d{10ns, 5ns, at(0), true};
  d.started(1, at(1));
  d.started(2, at(2));
  d.finished(2, at(3), false);
  d.paused(at(4));
  BOOST_TEST((d.status(at(4)) == st::paused));
  BOOST_TEST(d.running() == 0u);
  BOOST_TEST(!d.is_failed());
  d.resumed(at(100));
  BOOST_TEST((d.status(at(110)) == st::up)); // due: resume + period
  BOOST_TEST((d.status(at(111)) == st::late));
  BOOST_TEST((d.status(at(116)) == st::down));
}

BOOST_AUTO_TEST_CASE(a_resumed_command_never_called_is_new_until_its_period) {
  deadline d{10ns, 5ns, at(0), true};
  d.paused(at(4));
  d.resumed(at(100));
  BOOST_TEST((d.status(at(110)) == st::never_called));
  BOOST_TEST((d.status(at(111)) == st::late));
}

BOOST_AUTO_TEST_CASE(a_call_at_or_after_the_pause_resumes_it) {
  deadline start{10ns, 5ns, at(0), true};
  start.paused(at(50));
  start.started(1, at(50)); // at the instant of the pause
  BOOST_TEST((start.status(at(50)) == st::up));
  BOOST_TEST(start.running() == 1u);
  deadline failure{10ns, 5ns, at(0), true};
  failure.paused(at(50));
  failure.finished(1, at(60), false);
  BOOST_TEST((failure.status(at(60)) == st::down));
  deadline success{10ns, 5ns, at(0), true};
  success.called(at(1));
  success.paused(at(50));
  success.finished(1, at(60), true);
  BOOST_TEST((success.status(at(70)) == st::up)); // measured from 60
  BOOST_TEST((success.status(at(71)) == st::late));
}

BOOST_AUTO_TEST_CASE(a_call_stamped_before_the_pause_does_not_resume_it) {
  deadline d{10ns, 5ns, at(0), true};
  d.paused(at(50));
  d.started(1, at(49));
  d.finished(2, at(49), false);
  BOOST_TEST((d.status(at(49)) == st::paused));
  BOOST_TEST(d.running() == 0u);
  BOOST_TEST(!d.is_failed());
  BOOST_TEST((*d.last_call() == at(49)));
}

// A Controller restores from its own events (pauses, resumes) plus a
// snapshot of what the calls said (merge_calls): the same status as replaying
// every fact in order, at every instant.
BOOST_AUTO_TEST_CASE(
    a_snapshot_merged_into_the_pauses_gives_the_replayed_state) {
  std::mt19937_64 rng{12};
  for (int round = 0; round < 500; ++round) {
    deadline all{duration{static_cast<int64_t>(1 + rng() % 20)},
                 duration{static_cast<int64_t>(rng() % 10)}, at(0), true};
    deadline pauses = all;
    int64_t t = 0;
    uint64_t next_id = 1;
    std::vector<uint64_t> ids;
    std::string trace;
    for (int i = 0; i < 25; ++i) {
      t += static_cast<int64_t>(rng() % 8);
      switch (rng() % 6) {
        case 0:
          all.started(next_id, at(t));
          trace += " start" + std::to_string(next_id) + "@" + std::to_string(t);
          ids.push_back(next_id++);
          break;
        case 1:
        case 2:
          if (!ids.empty()) {
            auto k = rng() % ids.size();
            auto ok = rng() % 3 != 0;
            all.finished(ids[k], at(t), ok);
            trace += (ok ? " ok" : " fail") + std::to_string(ids[k]) + "@" +
                     std::to_string(t);
            ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(k));
          }
          break;
        case 3:
          if (!all.is_paused()) { // as a Controller records them
            all.paused(at(t));
            pauses.paused(at(t));
            trace += " pause@" + std::to_string(t);
          }
          break;
        case 4:
          if (all.is_paused()) {
            all.resumed(at(t));
            pauses.resumed(at(t));
            trace += " resume@" + std::to_string(t);
          }
          break;
        default:
          break;
      }
    }
    auto merged = pauses;
    merged.merge_calls(all);
    for (int64_t k = t; k <= t + 60; ++k)
      BOOST_REQUIRE_MESSAGE((merged.status(at(k)) == all.status(at(k))),
                            "round " << round << " at " << k << ":" << trace);
    BOOST_REQUIRE((merged.next_change(at(t)) == all.next_change(at(t))));
  }
}

// -- serialization ------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_state_survives_a_round_trip) {
  deadline d{10s, 2s, at(5), true};
  d.started(at(100));
  d.paused(at(200));
  auto back = deadline::deserialize(d.serialize());
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST((*back == d));
  deadline e{10s, 2s, at(5), true};
  e.started(3, at(100));
  e.started(300, at(101));
  e.finished(4, at(102), false);
  e.paused(at(200));
  e.finished(5, at(201), true); // resumed by a call
  e.started(6, at(202));
  e.finished(7, at(203), false);
  auto again = deadline::deserialize(e.serialize());
  BOOST_REQUIRE(again.has_value());
  BOOST_TEST((*again == e));
}

BOOST_AUTO_TEST_CASE(garbage_is_rejected) {
  deadline d{10s, 2s, at(5)};
  auto bytes = d.serialize();
  for (size_t n = 0; n < bytes.size(); ++n)
    BOOST_TEST(!deadline::deserialize(bytes.substr(0, n)).has_value());
  BOOST_TEST(!deadline::deserialize(bytes + "!").has_value());
  auto bad_flags = bytes;
  bad_flags[2 + 24] = 0x44;
  BOOST_TEST(!deadline::deserialize(bad_flags).has_value());
  deadline r{10s, 2s, at(5)};
  r.started(1, at(6));
  auto running_never_called = r.serialize();
  running_never_called[2 + 24] = 0; // not called, yet a run
  BOOST_TEST(!deadline::deserialize(running_never_called).has_value());
  auto many_runs = bytes;
  many_runs[many_runs.size() - 2] = 0x7f; // 127 runs, none there
  BOOST_TEST(!deadline::deserialize(many_runs).has_value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(deadline_golden)

BOOST_AUTO_TEST_CASE(the_byte_format_is_pinned) {
  deadline d{duration{10}, duration{5}, from_nanos(1)};
  d.started(9, from_nanos(2));
  // Version 3: a period deadline ends with an empty cron expression
  // (tests/policies/deadline_cron.test.cpp has a cron one, and version 2).
  BOOST_TEST(test::to_hex(d.serialize()) == "0503"
                                            "0a00000000000000"
                                            "0500000000000000"
                                            "0100000000000000"
                                            "02"
                                            "0200000000000000"
                                            "0000000000000080"
                                            "0000000000000000"
                                            "01"
                                            "09"
                                            "0200000000000000"
                                            "00");
}

BOOST_AUTO_TEST_CASE(the_version_1_bytes_of_earlier_builds_still_read) {
  // A deadline called and running since 2, as an earlier build wrote it:
  // its run becomes the run of call id 0.
  auto v1 = test::from_hex("0501"
                           "0a00000000000000"
                           "0500000000000000"
                           "0100000000000000"
                           "06"
                           "0200000000000000"
                           "0200000000000000");
  auto d = deadline::deserialize(v1);
  BOOST_REQUIRE(d.has_value());
  deadline expected{duration{10}, duration{5}, from_nanos(1)};
  expected.started(0, from_nanos(2));
  BOOST_TEST((*d == expected));
  BOOST_TEST((d->status(from_nanos(7)) == deadline_status::up));
  BOOST_TEST((d->status(from_nanos(8)) == deadline_status::down));
}

BOOST_AUTO_TEST_SUITE_END()
