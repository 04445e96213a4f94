#include "timecontrol/plugins/schedule_view.hpp"

#include <boost/test/unit_test.hpp>

#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>

#include <algorithm>
#include <random>

#include "tests/actors/fixture.hpp"
#include "tests/plugins/checks.hpp"
#include "tests/support/print.hpp"
#include "timecontrol/actors/read_plugin.hpp"
#include "timecontrol/actors/scheduler.hpp"

using namespace tc;
using namespace std::chrono_literals;

namespace {

time_point at(duration offset) {
  return test::sample_time() + offset;
}

std::string ns_of(duration offset) {
  return std::to_string(to_nanos(at(offset)));
}

struct log_builder {
  std::vector<envelope> events;

  void at(duration offset, event body, std::string source = "scheduler") {
    events.push_back(
        envelope{0, ::at(offset), std::move(source), std::move(body)});
  }

  /// The view after folding in every event so far.
  schedule_view view(std::string scheduler = "scheduler") const {
    schedule_view v{std::move(scheduler)};
    seq_t seq = 0;
    for (auto x : events) {
      x.seq = ++seq;
      v.consume(x);
    }
    return v;
  }
};

intent_scheduled scheduled(uint64_t id, std::string target, std::string trigger,
                           int32_t priority = 0, std::string misfire = "") {
  return intent_scheduled{id,
                          std::move(target),
                          std::move(trigger),
                          std::move(misfire),
                          priority,
                          "args",
                          ""};
}

std::vector<time_point> dues(const std::vector<scheduled_run>& runs) {
  std::vector<time_point> result;
  for (auto& r : runs)
    result.push_back(r.due);
  return result;
}

std::vector<uint64_t> ids(const std::vector<scheduled_run>& runs) {
  std::vector<uint64_t> result;
  for (auto& r : runs)
    result.push_back(r.id);
  return result;
}

/// A log of a Scheduler at work, with events of other sources between:
/// intents of every kind scheduled, fired, misfired and cancelled,
/// reproducible from `seed`.
std::vector<envelope> random_schedule_log(size_t n, uint64_t seed = 11) {
  std::mt19937_64 rng{seed};
  auto noise = test::random_log(n, seed);
  std::vector<envelope> out;
  auto t = test::sample_time();
  uint64_t next_id = 1;
  std::vector<uint64_t> live;
  for (size_t i = 0; i < noise.size(); ++i) {
    t = std::max(t, noise[i].time);
    out.push_back(noise[i]);
    auto add = [&](event body) {
      out.push_back(envelope{0, t, "scheduler", std::move(body)});
    };
    switch (rng() % 12) {
      case 0: {
        auto id = next_id++;
        std::string specs[] = {
            "once " + std::to_string(to_nanos(t) + 5'000'000'000),
            "every 2s jitter 500ms from " + std::to_string(to_nanos(t)),
            "every 1s from " + std::to_string(to_nanos(t)) + " times 4",
            "cron */5 * * * *",
            "every 3s"}; // without "from": fine in a log written by hand
        add(intent_scheduled{id, "cmd" + std::to_string(rng() % 3),
                             specs[rng() % 5], "coalesce grace 1s",
                             static_cast<int32_t>(rng() % 5) - 2, "a", ""});
        live.push_back(id);
        break;
      }
      case 1:
      case 2:
      case 3:
        if (!live.empty())
          add(intent_fired{live[rng() % live.size()], t, "a"});
        break;
      case 4:
        if (!live.empty())
          add(intent_misfired{live[rng() % live.size()], t - 1s,
                              static_cast<uint32_t>(1 + rng() % 3),
                              misfire_action::coalesced});
        break;
      case 5:
        if (!live.empty() && rng() % 3 == 0) {
          auto k = rng() % live.size();
          add(intent_cancelled{live[k]});
          live.erase(live.begin() + static_cast<ptrdiff_t>(k));
        }
        break;
      default:
        break;
    }
  }
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(schedule_view_plugin)

// -- folding events -----------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_once_intent_is_pending_until_it_fires) {
  log_builder b;
  b.at(0s, scheduled(1, "api", "once " + ns_of(5s), 2, "skip"));
  auto v = b.view();
  auto* p = v.find(1);
  BOOST_REQUIRE(p != nullptr);
  BOOST_TEST(p->target == "api");
  BOOST_TEST(p->trigger_spec == "once " + ns_of(5s));
  BOOST_TEST(p->misfire_spec == "skip");
  BOOST_TEST(p->priority == 2);
  BOOST_TEST(p->args == "args");
  BOOST_TEST(p->fired == 0u);
  BOOST_TEST(!p->last_fired);
  BOOST_TEST(p->next == at(5s));
  b.at(5s, intent_fired{1, at(5s), "args"});
  BOOST_TEST(b.view().pending().empty());
}

BOOST_AUTO_TEST_CASE(an_every_intent_moves_on_after_each_fire_and_misfire) {
  log_builder b;
  b.at(0s, scheduled(1, "api", "every 2s from " + ns_of(0s)));
  BOOST_TEST(b.view().find(1)->next == at(0s));
  b.at(0s, intent_fired{1, at(0s), "a"});
  b.at(2s, intent_fired{1, at(2s), "b"});
  auto v = b.view();
  BOOST_TEST(v.find(1)->fired == 2u);
  BOOST_TEST(v.find(1)->last_fired.value() == at(2s));
  BOOST_TEST(v.find(1)->next == at(4s));
  // Three fire times missed from 4 s on: 4, 6, 8; 10 s is next.
  b.at(9s, intent_misfired{1, at(4s), 3, misfire_action::skipped});
  v = b.view();
  BOOST_TEST(v.find(1)->next == at(10s));
  BOOST_TEST(v.find(1)->fired == 2u);
  BOOST_TEST(v.until() == at(9s));
}

BOOST_AUTO_TEST_CASE(an_every_intent_with_a_count_leaves_when_it_ran_out) {
  log_builder b;
  b.at(0s, scheduled(1, "api", "every 1s from " + ns_of(0s) + " times 2"));
  b.at(0s, intent_fired{1, at(0s), ""});
  BOOST_TEST(b.view().find(1)->next == at(1s));
  b.at(1s, intent_fired{1, at(1s), ""});
  BOOST_TEST(b.view().pending().empty());
}

BOOST_AUTO_TEST_CASE(a_coalesced_misfire_of_a_once_ends_it) {
  log_builder b;
  b.at(0s, scheduled(1, "api", "once " + ns_of(1s)));
  b.at(9s, intent_misfired{1, at(1s), 1, misfire_action::skipped});
  BOOST_TEST(b.view().pending().empty());
}

BOOST_AUTO_TEST_CASE(a_cron_intent_is_next_due_at_its_next_calendar_time) {
  log_builder b;
  // sample_time() is 2026-11-26T08:00:00Z; scheduled a little after it.
  b.at(10s, scheduled(1, "report", "cron */15 * * * *"));
  BOOST_TEST(b.view().find(1)->next == at(15min));
  b.at(15min, intent_fired{1, at(15min), ""});
  BOOST_TEST(b.view().find(1)->next == at(30min));
}

BOOST_AUTO_TEST_CASE(an_every_without_from_starts_when_it_was_scheduled) {
  // The Scheduler stores such triggers with "from"; an older or hand-written
  // log may not, and the view reads it as the Scheduler would.
  log_builder b;
  b.at(3s, scheduled(1, "api", "every 10s"));
  BOOST_TEST(b.view().find(1)->next == at(3s));
}

BOOST_AUTO_TEST_CASE(cancelled_intents_and_other_sources_leave_no_trace) {
  log_builder b;
  b.at(0s, scheduled(1, "api", "every 1s from " + ns_of(0s)));
  b.at(0s, scheduled(2, "api", "every 1s from " + ns_of(0s)));
  b.at(1s, intent_cancelled{1});
  b.at(1s, scheduled(3, "api", "every 1s"), "other-scheduler");
  b.at(2s, intent_fired{99, at(2s), ""}); // no such intent
  auto v = b.view();
  BOOST_TEST(v.pending().size() == 1u);
  BOOST_TEST(v.find(2) != nullptr);
  auto other = b.view("other-scheduler");
  BOOST_TEST(other.pending().size() == 1u);
  BOOST_TEST(other.find(3) != nullptr);
  BOOST_TEST(other.name() == "schedule_view/other-scheduler");
  BOOST_TEST(v.name() == "schedule_view");
  BOOST_TEST(*other.filter().source == "other-scheduler");
}

BOOST_AUTO_TEST_CASE(an_intent_whose_trigger_does_not_parse_is_listed_apart) {
  log_builder b;
  b.at(0s, scheduled(1, "api", "every fortnight"));
  b.at(0s, scheduled(2, "api", "every 1s", 0, "sometimes"));
  b.at(0s, scheduled(3, "api", "every 1s"));
  auto v = b.view();
  BOOST_TEST(v.pending().size() == 1u);
  BOOST_REQUIRE(v.unreadable().size() == 2u);
  BOOST_TEST(v.unreadable().at(1).find("every fortnight") != std::string::npos);
  BOOST_TEST(v.unreadable().at(2).find("sometimes") != std::string::npos);
  b.at(1s, intent_cancelled{1});
  BOOST_TEST(b.view().unreadable().size() == 1u);
}

// -- queries ------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(upcoming_expands_repeats_in_order_of_time_then_priority) {
  log_builder b;
  b.at(0s, scheduled(1, "a", "every 2s from " + ns_of(0s), 0));
  b.at(0s, scheduled(2, "b", "every 3s from " + ns_of(0s), 5));
  b.at(0s, scheduled(3, "a", "once " + ns_of(3s), 5));
  b.at(0s, scheduled(4, "c", "every 2s from " + ns_of(0s), 0));
  b.at(0s, intent_fired{1, at(0s), ""});
  b.at(0s, intent_fired{2, at(0s), ""});
  b.at(0s, intent_fired{4, at(0s), ""});
  auto v = b.view();
  auto runs = v.upcoming(at(0s), at(6s), 100);
  // 2s: 1, 4 (same priority: lower id first); 3s: 2 and 3 (priority 5,
  // lower id first); 4s: 1, 4; 6s: 2 (priority 5) before 1, 4.
  std::vector<uint64_t> want_ids{1, 4, 2, 3, 1, 4, 2, 1, 4};
  std::vector<time_point> want_dues{at(2s), at(2s), at(3s), at(3s), at(4s),
                                    at(4s), at(6s), at(6s), at(6s)};
  BOOST_TEST(ids(runs) == want_ids, boost::test_tools::per_element());
  BOOST_TEST(dues(runs) == want_dues, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(upcoming_keeps_to_its_window_limit_and_target) {
  log_builder b;
  b.at(0s, scheduled(1, "a", "every 2s from " + ns_of(0s)));
  b.at(0s, scheduled(2, "b", "every 3s from " + ns_of(0s)));
  auto v = b.view();
  // From 5 s on: a at 6, 8, 10; b at 6, 9.
  auto runs = v.upcoming(at(5s), at(10s), 100);
  std::vector<uint64_t> want{1, 2, 1, 2, 1};
  BOOST_TEST(ids(runs) == want, boost::test_tools::per_element());
  BOOST_TEST(runs.front().due == at(6s));
  BOOST_TEST(v.upcoming(at(5s), at(10s), 2).size() == 2u);
  BOOST_TEST(v.upcoming(at(5s), at(10s), 0).empty());
  BOOST_TEST(v.upcoming(at(10s), at(5s), 10).empty());
  auto only_b = v.upcoming(at(0s), at(10s), 100, "b");
  BOOST_TEST(dues(only_b) ==
                 (std::vector<time_point>{at(0s), at(3s), at(6s), at(9s)}),
             boost::test_tools::per_element());
  BOOST_TEST(v.upcoming(at(0s), at(10s), 100, "nobody").empty());
}

BOOST_AUTO_TEST_CASE(upcoming_starts_at_each_intents_next_due_time) {
  // Fire times before the next due one were handled already, even if the
  // window begins before them.
  log_builder b;
  b.at(0s, scheduled(1, "a", "every 1s from " + ns_of(0s)));
  b.at(3s, intent_fired{1, at(3s), ""});
  auto v = b.view();
  BOOST_TEST(v.upcoming(at(0s), at(5s), 10).front().due == at(4s));
  // A once in the past of the window's start is not in it.
  b.at(3s, scheduled(2, "a", "once " + ns_of(1s)));
  BOOST_TEST(b.view().upcoming(at(2s), at(5s), 10).size() == 2u);
  BOOST_TEST(b.view().upcoming(at(0s), at(5s), 10).size() == 3u);
}

BOOST_AUTO_TEST_CASE(next_names_the_earliest_run_of_a_target) {
  log_builder b;
  b.at(0s, scheduled(1, "a", "once " + ns_of(9s)));
  b.at(0s, scheduled(2, "a", "once " + ns_of(4s)));
  b.at(0s, scheduled(3, "a", "once " + ns_of(4s), 1));
  b.at(0s, scheduled(4, "b", "once " + ns_of(1s)));
  auto v = b.view();
  auto n = v.next("a");
  BOOST_REQUIRE(n.has_value());
  BOOST_TEST(n->id == 3u);
  BOOST_TEST(n->due == at(4s));
  BOOST_TEST(n->priority == 1);
  BOOST_TEST(!v.next("c").has_value());
}

// -- snapshots ----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(replaying_the_same_log_gives_the_same_state) {
  auto store = test::store_of(random_schedule_log(2000));
  auto last = store->last_seq();
  auto v = std::make_shared<schedule_view>();
  test::replayed(*store, *v);
  // The log is not trivial: some intents are pending, some are gone.
  BOOST_TEST(v->pending().size() > 3u);
  test::check_replay_determinism(
      *store, [] { return std::make_shared<schedule_view>(); },
      {1, last / 3, last / 2, last - 1, last});
}

BOOST_AUTO_TEST_CASE(a_damaged_snapshot_does_not_load) {
  auto store = test::store_of(random_schedule_log(300));
  schedule_view v;
  test::replayed(*store, v);
  BOOST_TEST(!v.pending().empty());
  test::check_damaged_snapshots(
      v, [] { return std::make_shared<schedule_view>(); });
}

BOOST_AUTO_TEST_CASE(a_loaded_snapshot_answers_the_same_queries) {
  auto store = test::store_of(random_schedule_log(500));
  schedule_view v{"scheduler"};
  test::replayed(*store, v);
  schedule_view copy{"another"};
  BOOST_REQUIRE(!copy.load(v.save()));
  BOOST_TEST(copy.scheduler() == "scheduler");
  BOOST_TEST((copy.pending() == v.pending()));
  auto from = test::sample_time();
  BOOST_TEST((copy.upcoming(from, from + 1h, 500) ==
              v.upcoming(from, from + 1h, 500)));
}

BOOST_AUTO_TEST_SUITE_END()

// -- on the actors ------------------------------------------------------------

namespace {

// A command that admits every call at once and answers it.
caf::behavior yes_command(caf::event_based_actor*,
                          std::shared_ptr<tc::clock> clk) {
  return {
      [=](check_atom) { return clk->now(); },
      [=](call_atom, std::string&) { return std::string{"ok"}; },
  };
}

struct view_fixture : test::actor_fixture {
  std::vector<caf::actor> commands;

  view_fixture() {
    for (auto name : {"a", "b", "c"}) {
      auto hdl = sys->spawn(yes_command, time);
      rt->commands().add(name, hdl);
      commands.push_back(hdl);
    }
    run();
  }

  ~view_fixture() {
    for (auto& hdl : commands)
      caf::anon_send_exit(hdl, caf::exit_reason::user_shutdown);
    run();
  }

  uint64_t put(intent x) {
    auto id =
        ask<uint64_t>(rt->scheduler(), schedule_atom::value, std::move(x));
    if (!id)
      BOOST_FAIL(render(id.error()));
    return *id;
  }

  /// The view as an actor reads it from the plugin actor.
  schedule_view read(const plugin_actor& hdl) {
    auto result = std::make_shared<std::optional<schedule_view>>();
    auto failed = std::make_shared<caf::error>();
    // Spawned with an argument: CAF 0.17 binds a null tuple for a spawn
    // without any (UBSan reports it).
    sys->spawn(
        [=](caf::event_based_actor* self, plugin_actor source) {
          read_plugin<schedule_view>(
              self, source, [=](schedule_view& v) { *result = v; },
              [=](caf::error& err) { *failed = err; });
        },
        hdl);
    run();
    BOOST_REQUIRE_MESSAGE(!*failed, render(*failed));
    BOOST_REQUIRE(result->has_value());
    return std::move(**result);
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(schedule_view_on_the_actors, view_fixture)

BOOST_AUTO_TEST_CASE(an_actor_reads_the_live_view_through_the_plugin_actor) {
  auto hdl = spawn_plugin(*rt, std::make_shared<schedule_view>());
  BOOST_REQUIRE(hdl);
  auto id =
      put({"a", "once " + std::to_string(to_nanos(now() + 1h)), "", 0, "x"});
  run();
  auto v = read(*hdl);
  BOOST_TEST(v.covered() > 0u);
  BOOST_REQUIRE(v.find(id) != nullptr);
  BOOST_TEST(v.find(id)->next == now() + 1h);
  BOOST_TEST(v.next("a")->id == id);
}

BOOST_AUTO_TEST_CASE(reading_another_kind_of_plugin_fails_with_the_reason) {
  struct other final : plugin {
    std::string name() const override { return "other"; }
    std::string save() const override { return "other bytes"; }
    caf::error load(std::string_view) override { return caf::none; }
    void apply(const envelope&) override {}
  };
  auto hdl = spawn_plugin(*rt, std::make_shared<other>());
  BOOST_REQUIRE(hdl);
  auto failed = std::make_shared<caf::error>();
  sys->spawn(
      [=](caf::event_based_actor* self, plugin_actor source) {
        read_plugin<schedule_view>(
            self, source, [](schedule_view&) {},
            [=](caf::error& err) { *failed = err; });
      },
      *hdl);
  run();
  BOOST_TEST(render(*failed).find("snapshot of plugin") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_view_predicts_what_the_scheduler_then_fires) {
  auto hdl = spawn_plugin(*rt, std::make_shared<schedule_view>());
  BOOST_REQUIRE(hdl);
  auto t0 = now();
  auto ns = [&](duration d) { return std::to_string(to_nanos(t0 + d)); };
  put({"a", "every 2s jitter 500ms", "", 0, "x"});
  put({"b", "cron * * * * *", "", 3, "y"});
  put({"c", "once " + ns(5s), "", 0, ""});
  put({"a", "every 7s times 3", "", 1, ""});
  put({"c", "every 10s from " + ns(1s) + " until " + ns(95s), "skip", 2, ""});
  auto gone = put({"b", "every 1s", "", 0, ""});
  BOOST_REQUIRE(*ask<bool>(rt->scheduler(), cancel_atom::value, gone));
  run();
  auto v = read(*hdl);
  BOOST_TEST(v.find(gone) == nullptr);
  BOOST_TEST(v.pending().size() ==
             *ask<uint64_t>(rt->scheduler(), status_atom::value));
  auto until = t0 + 3min;
  auto predicted = v.upcoming(t0, until, 10'000);
  BOOST_TEST(predicted.size() > 100u);
  auto seen = stored({.source = "scheduler"}).size();
  step(3min);
  // Every fire time the view predicted, and only those, fired.
  std::vector<std::pair<uint64_t, time_point>> want;
  for (auto& r : predicted)
    want.emplace_back(r.id, r.due);
  std::vector<std::pair<uint64_t, time_point>> got;
  auto events = stored({.source = "scheduler"});
  for (size_t i = seen; i < events.size(); ++i) {
    BOOST_TEST(!std::holds_alternative<intent_misfired>(events[i].body));
    if (auto f = std::get_if<intent_fired>(&events[i].body);
        f && f->due <= until)
      got.emplace_back(f->intent_id, f->due);
  }
  std::sort(want.begin(), want.end());
  std::sort(got.begin(), got.end());
  BOOST_TEST(got.size() == want.size());
  BOOST_TEST((got == want));
  // And the live view's next due times are the Scheduler's.
  auto after = read(*hdl);
  BOOST_TEST(after.pending().size() ==
             *ask<uint64_t>(rt->scheduler(), status_atom::value));
  for (auto& [id, p] : after.pending()) {
    auto due = ask<time_point>(rt->scheduler(), status_atom::value, id);
    BOOST_REQUIRE(due);
    BOOST_TEST_CONTEXT("intent " << id) {
      BOOST_TEST(p.next == *due);
    }
  }
  // The once and the counted every ran out, the until is past.
  BOOST_TEST(after.pending().size() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
