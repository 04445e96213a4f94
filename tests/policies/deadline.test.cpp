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
      switch (rng() % 6) {
        case 0:
          d.called(at(t));
          break;
        case 1:
          d.started(at(t));
          break;
        case 2:
          d.finished(at(t));
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

// -- serialization ------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_state_survives_a_round_trip) {
  deadline d{10s, 2s, at(5), true};
  d.started(at(100));
  d.paused(at(200));
  auto back = deadline::deserialize(d.serialize());
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST((*back == d));
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
  auto running_never_called = bytes;
  running_never_called[2 + 24] = 4;
  BOOST_TEST(!deadline::deserialize(running_never_called).has_value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(deadline_golden)

BOOST_AUTO_TEST_CASE(the_byte_format_is_pinned) {
  deadline d{duration{10}, duration{5}, from_nanos(1)};
  d.started(from_nanos(2));
  BOOST_TEST(test::to_hex(d.serialize()) == "0501"
                                            "0a00000000000000"
                                            "0500000000000000"
                                            "0100000000000000"
                                            "06"
                                            "0200000000000000"
                                            "0200000000000000");
}

BOOST_AUTO_TEST_SUITE_END()
