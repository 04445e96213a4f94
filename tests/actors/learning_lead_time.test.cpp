#include "timecontrol/actors/learning.hpp"

#include <boost/test/unit_test.hpp>

#include <map>

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include "tests/actors/fixture.hpp"
#include "tests/support/print.hpp"
#include "timecontrol/actors/command.hpp"

using namespace tc;
using namespace std::chrono_literals;

namespace {

using done_fn = std::function<void(caf::expected<std::string>)>;

// Calls that answer `took` later on the simulated clock: the operation
// parks its `done` and a timer message to the delayer calls it.
using wake_atom = caf::atom_constant<caf::atom("wake")>;

struct slow_calls {
  std::map<uint64_t, done_fn> pending;
  uint64_t next = 0;
  caf::actor delayer;
};

caf::behavior delayer_impl(caf::event_based_actor*,
                           std::shared_ptr<slow_calls> calls) {
  return {
      [=](wake_atom, uint64_t id) {
        auto i = calls->pending.find(id);
        if (i == calls->pending.end())
          return;
        auto done = std::move(i->second);
        calls->pending.erase(i);
        done(std::string{"ok"});
      },
  };
}

async_operation slow(std::shared_ptr<slow_calls> calls, duration took) {
  return [calls, took](std::string, done_fn done) {
    auto id = ++calls->next;
    calls->pending.emplace(id, std::move(done));
    caf::delayed_anon_send(calls->delayer,
                           std::chrono::duration_cast<caf::timespan>(took),
                           wake_atom::value, id);
  };
}

struct learning_fixture : test::actor_fixture {
  std::shared_ptr<slow_calls> calls = std::make_shared<slow_calls>();

  learning_fixture() { calls->delayer = sys->spawn(delayer_impl, calls); }

  ~learning_fixture() {
    calls->pending.clear();
    caf::anon_send_exit(calls->delayer, caf::exit_reason::user_shutdown);
  }

  // (start, end) of each call of `command`, in order: a call_finished
  // started at its time minus `took`.
  std::vector<std::pair<time_point, time_point>>
  runs(const std::string& command) {
    std::vector<std::pair<time_point, time_point>> result;
    for (auto& x : stored({.source = command}))
      if (auto* e = std::get_if<call_finished>(&x.body))
        result.emplace_back(x.time - e->took, x.time);
    return result;
  }

  size_t misses() {
    return stored({.type = event_type::deadline_missed}).size();
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(actors_learning, learning_fixture)

// A command whose calls take 400 ms must be called every second, and its
// controller asks for a call only when it is late: each period it is late.
// With the lead_time plugin running, the controller learns to ask 450 ms
// (p99 of 400 ms, plus the 50 ms margin) before the due time, and the
// calls finish before it.
//
// The grace is 500 ms, more than a call takes: a run in progress counts as
// down once it runs longer than the grace (policies/deadline.hpp), so with a
// grace of 0 every call of 400 ms would be reported down, lead or not.
BOOST_AUTO_TEST_CASE(
    a_learned_lead_makes_slow_calls_finish_before_the_due_time) {
  auto cmd = spawn_command(*rt, {.name = "poll"}, slow(calls, 400ms));
  BOOST_REQUIRE(cmd);
  auto ctl = spawn_controller(*rt, {.name = "watchdog",
                                    .watches = {{"poll", 1s, 500ms}},
                                    .actions = action_call});
  BOOST_REQUIRE(ctl);
  auto lt =
      spawn_lead_time(*rt, *ctl, {.controller = "watchdog", .min_samples = 3});
  BOOST_REQUIRE(lt);
  run();
  step(3s + 500ms);
  // Three calls so far, each asked for when late.
  BOOST_TEST(runs("poll").size() == 3u);
  BOOST_TEST(misses() == 3u);
  std::vector<std::string> specs;
  for (auto& x :
       stored({.source = "watchdog", .type = event_type::policy_changed}))
    specs.push_back(std::get<policy_changed>(x.body).policy);
  BOOST_REQUIRE(specs.size() == 2u);
  BOOST_TEST(specs[1] == "watch every=1000000000 grace=500000000 "
                         "lead=450000000 fail=down poll");
  auto before = runs("poll").size();
  step(20s);
  auto all = runs("poll");
  BOOST_TEST(misses() == 3u);
  BOOST_REQUIRE(all.size() > before + 20);
  // Each later call starts 450 ms before its due time (the previous start
  // plus the period) and ends before it.
  for (auto i = before; i < all.size(); ++i) {
    BOOST_TEST_CONTEXT("call " << i + 1) {
      auto due = all[i - 1].first + 1s;
      BOOST_TEST(all[i].first == due - 450ms);
      if (all[i].second != time_point{})
        BOOST_TEST(all[i].second <= due);
    }
  }
  // The lead is sent once; nothing more changes while durations stay.
  BOOST_TEST(stored({.source = "watchdog", .type = event_type::policy_changed})
                 .size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_learned_lead_outlives_a_restart) {
  auto start_all = [&](std::vector<watch> watches) {
    BOOST_REQUIRE(spawn_command(*rt, {.name = "poll"}, slow(calls, 400ms)));
    auto ctl = spawn_controller(*rt, {.name = "watchdog",
                                      .watches = std::move(watches),
                                      .actions = action_call});
    BOOST_REQUIRE(ctl);
    BOOST_REQUIRE(spawn_lead_time(
        *rt, *ctl, {.controller = "watchdog", .min_samples = 3}));
    run();
  };
  start_all({{"poll", 1s, 500ms}});
  step(5s);
  auto policies = [&] {
    return stored({.source = "watchdog", .type = event_type::policy_changed})
        .size();
  };
  BOOST_REQUIRE(policies() == 2u); // the watch, then its lead
  // Stopped between two calls (early calls start at 3.55 s, 4.1 s, 4.65 s,
  // 5.2 s): a call running at a stop never finishes in the log, and the
  // controller would count it as a run longer than its grace.
  step(100ms);
  stop();
  step(50ms);
  start();
  // The watch is not configured again: the controller takes it, lead and
  // all, from the log, and the plugin knows that lead is applied.
  start_all({});
  lead_time replayed{{.controller = "watchdog", .min_samples = 3}};
  BOOST_REQUIRE(!rebuild(rt->store(), replayed));
  BOOST_REQUIRE(replayed.applied("poll"));
  BOOST_TEST(replayed.applied("poll")->lead == duration{450ms});
  BOOST_TEST(!replayed.pending_change("poll"));
  auto misses_before = misses();
  step(10s);
  BOOST_TEST(misses() == misses_before);
  BOOST_TEST(policies() == 2u);
  auto all = runs("poll");
  BOOST_REQUIRE(all.size() >= 2u);
  BOOST_TEST(all.back().first - all[all.size() - 2].first == 550ms);
}

BOOST_AUTO_TEST_CASE(spawn_lead_time_needs_a_controller) {
  auto none = spawn_lead_time(*rt, controller_actor{}, {.controller = "x"});
  BOOST_REQUIRE(!none);
  BOOST_TEST(is(none.error(), errc::bad_config));
  auto ctl = spawn_controller(*rt, {.name = "watchdog"});
  BOOST_REQUIRE(ctl);
  auto unnamed = spawn_lead_time(*rt, *ctl, {});
  BOOST_REQUIRE(!unnamed);
  BOOST_TEST(is(unnamed.error(), errc::bad_config));
}

BOOST_AUTO_TEST_SUITE_END()
