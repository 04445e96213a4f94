#include "timecontrol/actors/scheduler.hpp"

#include <boost/test/unit_test.hpp>

#include "tests/support/print.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/response_promise.hpp>
#include <caf/send.hpp>

#include <set>

#include "tests/actors/fixture.hpp"
#include "timecontrol/plugins/schedule_view.hpp"
#include "timecontrol/policies/fuzzy_args.hpp"

using namespace tc;
using namespace std::chrono_literals;

namespace {

// What a probe command saw. It answers check_atom like a minimum interval
// would and counts calls that came faster than that (which the Scheduler
// must never cause).
struct probe_log {
  std::vector<std::pair<time_point, std::string>> calls;
  /// Called at each call (e.g. to look into the store then).
  std::function<void()> on_call;
  duration interval{0};
  std::optional<time_point> last;
  size_t checks = 0;
  size_t too_fast = 0;
  bool hold = false;
  std::vector<caf::response_promise> held;

  std::vector<std::string> args() const {
    std::vector<std::string> result;
    for (auto& [t, a] : calls)
      result.push_back(a);
    return result;
  }

  void dump() const {
    for (auto& [t, a] : calls)
      BOOST_TEST_MESSAGE("call at +"
                         << (to_nanos(t) - to_nanos(test::sample_time())) /
                                1'000'000
                         << "ms: " << a);
  }

  std::vector<time_point> times() const {
    std::vector<time_point> result;
    for (auto& [t, a] : calls)
      result.push_back(t);
    return result;
  }
};

caf::behavior probe_impl(caf::event_based_actor* self,
                         std::shared_ptr<probe_log> log,
                         std::shared_ptr<tc::clock> clk) {
  return {
      [=](check_atom) {
        ++log->checks;
        auto now = clk->now();
        if (!log->last)
          return now;
        return std::max(now, *log->last + log->interval);
      },
      [=](call_atom, std::string& args) -> caf::result<std::string> {
        auto now = clk->now();
        if (log->last && now < *log->last + log->interval)
          ++log->too_fast;
        log->last = now;
        log->calls.emplace_back(now, args);
        if (log->on_call)
          log->on_call();
        if (log->hold) {
          auto rp = self->make_response_promise();
          log->held.push_back(rp);
          return rp;
        }
        return std::string{"ok"};
      },
      // Answers the oldest held call.
      [=](ack_atom) {
        if (log->held.empty())
          return;
        log->held.front().deliver(std::string{"ok"});
        log->held.erase(log->held.begin());
      },
  };
}

time_point at(int64_t ms) {
  return test::sample_time(ms * 1'000'000);
}

std::string ns_of(int64_t ms) {
  return std::to_string(to_nanos(at(ms)));
}

struct scheduler_fixture : test::actor_fixture {
  // One clock across restarts, so that time goes on while stopped.
  std::shared_ptr<tc::clock> clk = make_actor_clock(*sys, test::sample_time());
  std::map<std::string, std::shared_ptr<probe_log>> probes;
  std::map<std::string, caf::actor> probe_actors;

  ~scheduler_fixture() {
    for (auto& [name, log] : probes)
      log->held.clear();
    for (auto& [name, hdl] : probe_actors)
      caf::anon_send_exit(hdl, caf::exit_reason::user_shutdown);
    run();
  }

  /// A command named `name` in the runtime's registry (and in every
  /// runtime started later).
  std::shared_ptr<probe_log> probe(const std::string& name,
                                   duration interval = duration{0}) {
    auto log = std::make_shared<probe_log>();
    log->interval = interval;
    auto hdl = sys->spawn(probe_impl, log, clk);
    probes[name] = log;
    probe_actors[name] = hdl;
    rt->commands().add(name, hdl);
    return log;
  }

  /// Steps from timer to timer (the fixture's advance() jumps).
  void advance(duration d) { step(d); }

  /// Starts a runtime with this scheduler configuration, registers the
  /// probes, and only then lets the actors run.
  void start_with(scheduler_config config = {}) {
    runtime_config cfg;
    cfg.time = clk;
    cfg.log.detached = false;
    cfg.scheduler = std::move(config);
    auto started = runtime::start(*sys, store, std::move(cfg));
    if (!started)
      BOOST_FAIL(render(started.error()));
    rt = std::move(*started);
    for (auto& [name, hdl] : probe_actors)
      rt->commands().add(name, hdl);
    run();
  }

  /// Stops, lets `gap` pass, and starts again.
  void restart(duration gap, scheduler_config config = {}) {
    stop();
    advance(gap);
    start_with(std::move(config));
  }

  [[nodiscard]] caf::expected<uint64_t> put(intent x) {
    return ask<uint64_t>(rt->scheduler(), schedule_atom::value, std::move(x));
  }

  uint64_t put_ok(intent x) {
    auto id = put(std::move(x));
    if (!id)
      BOOST_FAIL(render(id.error()));
    return *id;
  }

  uint64_t pending() {
    auto n = ask<uint64_t>(rt->scheduler(), status_atom::value);
    BOOST_REQUIRE(n);
    return *n;
  }

  template <class T>
  std::vector<T> recorded() {
    std::vector<T> result;
    for (auto& x : stored({.source = "scheduler"}))
      if (auto y = std::get_if<T>(&x.body))
        result.push_back(*y);
    return result;
  }

  /// Intent `id` fired each due time once, in order.
  void check_each_due_fired_once(uint64_t id) {
    auto dues = fired_dues(id);
    std::set<time_point> unique{dues.begin(), dues.end()};
    BOOST_TEST(unique.size() == dues.size(), "intent " << id);
    BOOST_TEST(std::is_sorted(dues.begin(), dues.end()), "intent " << id);
  }

  std::vector<time_point> fired_dues(uint64_t id) {
    std::vector<time_point> result;
    for (auto& x : recorded<intent_fired>())
      if (x.intent_id == id)
        result.push_back(x.due);
    return result;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(actors_scheduler, scheduler_fixture)

// -- firing -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(due_intents_fire_in_order_of_time_then_priority) {
  auto a = probe("a");
  put_ok({"a", "once " + ns_of(2000), "", 0, "late"});
  put_ok({"a", "once " + ns_of(1000), "", 0, "first-p0"});
  put_ok({"a", "once " + ns_of(1000), "", 5, "p5"});
  put_ok({"a", "once " + ns_of(1000), "", 0, "second-p0"});
  advance(999ms);
  BOOST_TEST(a->calls.empty());
  advance(1ms);
  BOOST_TEST(
      (a->args() == std::vector<std::string>{"p5", "first-p0", "second-p0"}));
  BOOST_TEST((a->times() == std::vector<time_point>(3, at(1000))));
  advance(1s);
  BOOST_TEST(a->args().back() == "late");
  BOOST_TEST(a->times().back() == at(2000));
  BOOST_TEST(pending() == 0u);
}

BOOST_AUTO_TEST_CASE(the_budget_bounds_the_calls_in_flight) {
  stop();
  start_with({.max_in_flight = 2});
  auto a = probe("a");
  auto b = probe("b");
  a->hold = true;
  b->hold = true;
  for (int i = 0; i < 3; ++i) {
    put_ok({"a", "now", "", 0, "a" + std::to_string(i)});
    put_ok({"b", "now", "", 0, "b" + std::to_string(i)});
  }
  BOOST_TEST(a->calls.size() + b->calls.size() == 2u);
  auto answer_one = [&] {
    BOOST_REQUIRE(!a->held.empty() || !b->held.empty());
    caf::anon_send(probe_actors[!a->held.empty() ? "a" : "b"], ack_atom::value);
    run();
  };
  answer_one();
  BOOST_TEST(a->calls.size() + b->calls.size() == 3u);
  for (int i = 0; i < 3; ++i)
    answer_one();
  BOOST_TEST(a->calls.size() + b->calls.size() == 6u);
  BOOST_TEST(pending() == 0u);
}

BOOST_AUTO_TEST_CASE(a_cancelled_intent_never_fires_again) {
  auto a = probe("a");
  auto id = put_ok({"a", "every 1s", "", 0, "x"});
  advance(1s);
  BOOST_TEST(a->calls.size() == 2u); // at T and T+1s
  BOOST_TEST(*ask<bool>(rt->scheduler(), cancel_atom::value, id));
  advance(5s);
  BOOST_TEST(a->calls.size() == 2u);
  BOOST_TEST(!*ask<bool>(rt->scheduler(), cancel_atom::value, id));
  BOOST_TEST(recorded<intent_cancelled>().size() == 1u);
  BOOST_TEST(pending() == 0u);
  restart(10s);
  BOOST_TEST(pending() == 0u);
  BOOST_TEST(a->calls.size() == 2u);
}

BOOST_AUTO_TEST_CASE(every_fires_at_exact_times_until_it_runs_out) {
  auto a = probe("a");
  auto id = put_ok({"a", "every 1s from " + ns_of(500) + " times 3"});
  BOOST_TEST(*ask<time_point>(rt->scheduler(), status_atom::value, id) ==
             at(500));
  advance(10s);
  BOOST_TEST(
      (a->times() == std::vector<time_point>{at(500), at(1500), at(2500)}));
  BOOST_TEST(pending() == 0u);
  auto again =
      put_ok({"a", "every 1s until " + ns_of(12'000) + " jitter 100ms"});
  advance(10s);
  // From now (10s) on, each plus its jitter; 12s plus jitter is too late.
  BOOST_REQUIRE(a->calls.size() == 5u);
  BOOST_TEST(a->times()[3] >= at(10'000));
  BOOST_TEST(a->times()[3] <= at(10'100));
  BOOST_TEST(a->times()[4] >= at(11'000));
  BOOST_TEST(a->times()[4] <= at(11'100));
  BOOST_TEST(pending() == 0u);
  BOOST_TEST(fired_dues(again) ==
             (std::vector<time_point>{a->times()[3], a->times()[4]}));
}

BOOST_AUTO_TEST_CASE(cron_fires_at_whole_minutes) {
  auto a = probe("a");
  advance(30s); // 08:00:30
  put_ok({"a", "cron */5 * * * *"});
  advance(4min + 29s);
  BOOST_TEST(a->calls.empty());
  advance(1s); // 08:05
  BOOST_TEST((a->times() == std::vector<time_point>{at(300'000)}));
  advance(5min);
  BOOST_TEST(a->calls.size() == 2u);
  BOOST_TEST(a->times().back() == at(600'000));
}

BOOST_AUTO_TEST_CASE(once_fires_at_its_time_and_leaves_the_schedule) {
  auto a = probe("a");
  auto id = put_ok({"a", "once 2026-11-26T08:01:30Z", "", 0, "go"});
  BOOST_TEST(pending() == 1u);
  advance(89s);
  BOOST_TEST(a->calls.empty());
  advance(1s);
  BOOST_TEST((a->times() == std::vector<time_point>{at(90'000)}));
  BOOST_TEST(pending() == 0u);
  BOOST_TEST(fired_dues(id) == (std::vector<time_point>{at(90'000)}));
  auto sched = recorded<intent_scheduled>();
  BOOST_REQUIRE(sched.size() == 1u);
  BOOST_TEST(sched[0].target == "a");
  BOOST_TEST(sched[0].trigger == "once 2026-11-26T08:01:30Z");
  BOOST_TEST(sched[0].args == "go");
}

BOOST_AUTO_TEST_CASE(now_is_recorded_as_the_time_it_meant) {
  probe("a");
  advance(7s);
  put_ok({"a", "now"});
  auto sched = recorded<intent_scheduled>();
  BOOST_REQUIRE(sched.size() == 1u);
  BOOST_TEST(sched[0].trigger == "once " + ns_of(7000));
}

BOOST_AUTO_TEST_CASE(a_limited_command_is_waited_for_not_rejected) {
  auto a = probe("a", 10s);
  for (int i = 0; i < 3; ++i)
    put_ok({"a", "now", "", 0, std::to_string(i)});
  BOOST_TEST(a->calls.size() == 1u);
  advance(9s);
  BOOST_TEST(a->calls.size() == 1u);
  advance(1s);
  BOOST_TEST(a->calls.size() == 2u);
  advance(10s);
  BOOST_TEST(
      (a->times() == std::vector<time_point>{at(0), at(10'000), at(20'000)}));
  BOOST_TEST((a->args() == std::vector<std::string>{"0", "1", "2"}));
  BOOST_TEST(a->too_fast == 0u);
  // Each fire keeps the due time it was for.
  for (uint64_t id = 1; id <= 3; ++id)
    BOOST_TEST(fired_dues(id) == (std::vector<time_point>{at(0)}));
}

BOOST_AUTO_TEST_CASE(a_fast_every_intent_is_held_to_the_command_limit) {
  auto a = probe("a", 3s);
  put_ok({"a", "every 1s", "coalesce"});
  advance(12s);
  BOOST_TEST(a->too_fast == 0u);
  BOOST_TEST((a->times() == std::vector<time_point>{at(0), at(3000), at(6000),
                                                    at(9000), at(12'000)}));
  // The fires in between were coalesced into the next one that could run.
  BOOST_TEST(!recorded<intent_misfired>().empty());
}

BOOST_AUTO_TEST_CASE(
    an_unknown_target_is_tried_when_it_registers_then_given_up) {
  put_ok({"ghost", "now"});
  put_ok({"later", "now", "", 0, "hello"});
  advance(500ms);
  auto later = probe("later");
  // Registering the command wakes the intent that waited for it.
  run();
  BOOST_TEST((later->times() == std::vector<time_point>{at(500)}));
  advance(500ms);
  BOOST_TEST((later->times() == std::vector<time_point>{at(500)}));
  BOOST_TEST(fired_dues(2) == (std::vector<time_point>{at(0)}));
  BOOST_TEST(pending() == 1u);
  advance(1min);
  BOOST_TEST(pending() == 0u);
  auto misfired = recorded<intent_misfired>();
  BOOST_REQUIRE(misfired.size() == 1u);
  BOOST_TEST(misfired[0].intent_id == 1u);
  BOOST_TEST(misfired[0].due == at(0));
  BOOST_TEST((misfired[0].action == misfire_action::skipped));
}

BOOST_AUTO_TEST_CASE(a_target_that_cannot_answer_check_is_given_up_in_time) {
  auto calls = std::make_shared<int>(0);
  auto plain = sys->spawn(
      [](caf::event_based_actor* self,
         std::shared_ptr<int> calls) -> caf::behavior {
        // Refuses check_atom quietly (CAF's default handler would print).
        self->set_default_handler(
            [](caf::scheduled_actor*,
               caf::message_view&) -> caf::result<caf::message> {
              return caf::make_error(caf::sec::unexpected_message);
            });
        return {[calls](call_atom, std::string&) {
          ++*calls;
          return std::string{"ok"};
        }};
      },
      calls);
  rt->commands().add("plain", plain);
  put_ok({"plain", "now"});
  advance(30s);
  BOOST_TEST(pending() == 1u);
  advance(31s);
  BOOST_TEST(pending() == 0u);
  BOOST_TEST(*calls == 0);
  auto misfired = recorded<intent_misfired>();
  BOOST_REQUIRE(misfired.size() == 1u);
  BOOST_TEST((misfired[0].action == misfire_action::skipped));
  caf::anon_send_exit(plain, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_CASE(a_far_intent_fires_on_time_through_daily_wakeups) {
  auto a = probe("a");
  put_ok({"a", "once 2026-12-01T08:00:00.5Z"});
  advance(std::chrono::hours{24 * 5});
  BOOST_TEST(a->calls.empty());
  advance(500ms);
  BOOST_TEST((a->times() ==
              std::vector<time_point>{at(5LL * 24 * 3600 * 1000 + 500)}));
}

// -- arguments ----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(fuzzy_args_are_recorded_and_survive_a_restart) {
  auto a = probe("a");
  intent x{"a", "every 1s times 6", "", 0, "int 1 1000000", 99};
  auto id = put_ok(x);
  advance(2s); // fires 0, 1, 2
  restart(500ms);
  advance(3s); // fires 3, 4, 5
  auto gen = args_generator::parse("int 1 1000000");
  BOOST_REQUIRE(gen.ok());
  std::vector<std::string> expected;
  for (uint64_t k = 0; k < 6; ++k)
    expected.push_back(gen->draw(99, k));
  BOOST_TEST(a->args() == expected);
  std::vector<std::string> logged;
  for (auto& f : recorded<intent_fired>())
    if (f.intent_id == id)
      logged.push_back(f.args);
  BOOST_TEST(logged == expected);
  auto sched = recorded<intent_scheduled>();
  BOOST_REQUIRE(sched.size() == 1u);
  BOOST_TEST(sched[0].args == "fuzzy 99 int 1 1000000");
  auto back = decode_intent_args(sched[0].args);
  BOOST_REQUIRE(back);
  BOOST_TEST(back->seed == 99u);
  BOOST_TEST(back->args == "int 1 1000000");
}

// -- bad input ----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(bad_specs_are_bad_config_naming_the_position) {
  auto check = [&](intent x, std::string_view needle) {
    auto id = put(x);
    BOOST_REQUIRE(!id);
    BOOST_TEST(is(id.error(), errc::bad_config));
    BOOST_TEST_INFO(context_of(id.error()));
    BOOST_TEST(context_of(id.error()).find(needle) != std::string::npos);
  };
  check({"a", "every 5 parsecs"}, "position 8: expected a unit");
  check({"a", "every 5s", "sometimes"}, "misfire 'sometimes' at position 0");
  check({"a", "cron 0 24 * * *"}, "at position 7: cron: hour");
  check({"a", "now", "", 0, "int 9 1", 1}, "generator 'int 9 1' at position");
  check({"", "now"}, "target is empty");
  BOOST_TEST(pending() == 0u);
  BOOST_TEST(recorded<intent_scheduled>().empty());
  // Rejected intents use no id.
  probe("a");
  BOOST_TEST(put_ok({"a", "now"}) == 1u);
}

BOOST_AUTO_TEST_CASE(a_budget_of_zero_is_refused) {
  stop();
  runtime_config cfg;
  cfg.time = clk;
  cfg.log.detached = false;
  cfg.scheduler.max_in_flight = 0;
  auto started = runtime::start(*sys, store, std::move(cfg));
  run();
  BOOST_REQUIRE(!started);
  BOOST_TEST(is(started.error(), errc::bad_config));
  start_with();
}

BOOST_AUTO_TEST_CASE(an_every_without_from_is_stamped_with_the_time_it_starts) {
  // A clock that moves on at every reading, as a wall clock does: the
  // recorded time must be the one the trigger was read at, or a replay
  // (which counts from the event's time) skips the first run.
  struct ticking final : tc::clock {
    std::shared_ptr<tc::clock> inner;
    int64_t ticks = 0;
    time_point now() noexcept override {
      return inner->now() + duration{++ticks};
    }
  };
  auto t = std::make_shared<ticking>();
  t->inner = clk;
  stop();
  clk = t;
  start_with();
  probe("a");
  put_ok({"a", "every 1h"});
  run();
  auto all = stored({.type = event_type::intent_scheduled});
  BOOST_REQUIRE(!all.empty());
  auto& x = std::get<intent_scheduled>(all.back().body);
  auto from = " from " + std::to_string(to_nanos(all.back().time));
  BOOST_TEST(x.trigger.find(from) != std::string::npos, x.trigger);
}

// -- restart ------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(ids_continue_after_a_restart) {
  probe("a");
  BOOST_TEST(put_ok({"a", "every 1h"}) == 1u);
  BOOST_TEST(put_ok({"a", "every 1h"}) == 2u);
  restart(1s);
  BOOST_TEST(pending() == 2u);
  BOOST_TEST(put_ok({"a", "every 1h"}) == 3u);
}

BOOST_AUTO_TEST_CASE(a_restart_with_coalesce_runs_once_for_the_missed) {
  auto a = probe("a");
  auto id = put_ok({"a", "every 10s", "coalesce"});
  advance(5s);
  restart(60s); // now T+65s: 10s .. 60s came due while stopped
  BOOST_TEST((a->times() == std::vector<time_point>{at(0), at(65'000)}));
  BOOST_TEST(fired_dues(id) == (std::vector<time_point>{at(0), at(60'000)}));
  auto m = recorded<intent_misfired>();
  BOOST_REQUIRE(m.size() == 1u);
  BOOST_TEST(m[0].due == at(10'000));
  BOOST_TEST(m[0].missed == 6u);
  BOOST_TEST((m[0].action == misfire_action::coalesced));
  advance(5s);
  BOOST_TEST(a->times().back() == at(70'000));
}

BOOST_AUTO_TEST_CASE(a_restart_with_run_all_runs_each_missed_fire) {
  auto a = probe("a");
  auto id = put_ok({"a", "every 10s", "run-all"});
  advance(5s);
  restart(60s);
  BOOST_TEST(fired_dues(id) ==
             (std::vector<time_point>{at(0), at(10'000), at(20'000), at(30'000),
                                      at(40'000), at(50'000), at(60'000)}));
  BOOST_TEST(a->calls.size() == 7u);
  auto m = recorded<intent_misfired>();
  BOOST_REQUIRE(m.size() == 1u);
  BOOST_TEST(m[0].missed == 6u);
  BOOST_TEST((m[0].action == misfire_action::ran_all));
  advance(5s);
  BOOST_TEST(fired_dues(id).back() == at(70'000));
}

BOOST_AUTO_TEST_CASE(a_restart_with_skip_runs_none_of_the_missed) {
  auto a = probe("a");
  auto id = put_ok({"a", "every 10s", "skip"});
  advance(5s);
  restart(60s);
  BOOST_TEST(fired_dues(id) == (std::vector<time_point>{at(0)}));
  auto m = recorded<intent_misfired>();
  BOOST_REQUIRE(m.size() == 1u);
  BOOST_TEST(m[0].missed == 6u);
  BOOST_TEST((m[0].action == misfire_action::skipped));
  advance(5s);
  BOOST_TEST(fired_dues(id) == (std::vector<time_point>{at(0), at(70'000)}));
  // The skipped fires stay skipped across another restart.
  restart(1s);
  BOOST_TEST(recorded<intent_misfired>().size() == 1u);
  BOOST_TEST(fired_dues(id).size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_fire_within_grace_still_runs_on_time) {
  auto a = probe("a");
  auto id = put_ok({"a", "every 10s", "skip grace 10s"});
  advance(5s);
  restart(60s); // now 65s: 60s is within grace, 10s .. 50s are missed
  BOOST_TEST(fired_dues(id) == (std::vector<time_point>{at(0), at(60'000)}));
  auto m = recorded<intent_misfired>();
  BOOST_REQUIRE(m.size() == 1u);
  BOOST_TEST(m[0].missed == 5u);
}

BOOST_AUTO_TEST_CASE(a_once_intent_missed_while_stopped_follows_its_rule) {
  auto a = probe("a");
  put_ok({"a", "once " + ns_of(10'000), "skip"});
  put_ok({"a", "once " + ns_of(10'000), "coalesce", 0, "ran"});
  restart(30s);
  BOOST_TEST((a->args() == std::vector<std::string>{"ran"}));
  BOOST_TEST(pending() == 0u);
  BOOST_TEST(recorded<intent_misfired>().size() == 2u);
  restart(30s);
  BOOST_TEST(a->calls.size() == 1u);
  BOOST_TEST(pending() == 0u);
}

BOOST_AUTO_TEST_CASE(restarts_in_the_middle_never_fire_a_due_time_twice) {
  auto a = probe("a", 2500ms);
  auto b = probe("b", 2500ms);
  auto fast = put_ok({"a", "every 1s", "run-all"});
  auto slow = put_ok({"b", "every 7s from " + ns_of(3000)});
  for (int i = 0; i < 6; ++i) {
    advance(3700ms);
    restart(1300ms);
  }
  advance(10s);
  for (auto id : {fast, slow})
    check_each_due_fired_once(id);
  BOOST_TEST(a->too_fast == 0u);
  BOOST_TEST(b->too_fast == 0u);
  BOOST_TEST(fired_dues(slow).size() >= 5u);
}

BOOST_AUTO_TEST_CASE(the_scheduler_saves_a_snapshot_a_restart_starts_from) {
  auto a = probe("a", 2500ms);
  auto b = probe("b");
  scheduler_config config{.snapshot_every = 4};
  restart(0s, config);
  auto fast = put_ok({"a", "every 1s", "run-all"});
  auto slow = put_ok({"b", "every 7s from " + ns_of(3000)});
  put_ok({"b", "once " + ns_of(60'000)});
  advance(10s);
  schedule_view saved{"scheduler"};
  auto snap = store->load_snapshot(saved.name());
  BOOST_REQUIRE(snap);
  BOOST_REQUIRE(snap->has_value());
  // Saved along the way (at least 4 events apart), more than once, and it
  // loads.
  auto own = stored({.source = "scheduler"});
  BOOST_REQUIRE(own.size() > 8u);
  BOOST_TEST((*snap)->seq > own[3].seq);
  BOOST_REQUIRE(!saved.load((*snap)->state));
  // The snapshot and the events after it say what all the events say.
  schedule_view from_snapshot{"scheduler"};
  BOOST_REQUIRE(!rebuild(*store, from_snapshot));
  schedule_view full{"scheduler"};
  BOOST_REQUIRE(!rebuild(*store, full, {.from_snapshot = false}));
  BOOST_TEST(from_snapshot.save() == full.save());
  BOOST_TEST(from_snapshot.pending().size() == 3u);
  // A Scheduler started from it goes on as if it had read everything.
  for (int i = 0; i < 4; ++i) {
    advance(3700ms);
    restart(1300ms, config);
  }
  advance(10s);
  for (auto id : {fast, slow})
    check_each_due_fired_once(id);
  BOOST_TEST(fired_dues(slow).size() >= 5u);
  BOOST_TEST(a->too_fast == 0u);
  BOOST_TEST(pending() == 3u);
}

BOOST_AUTO_TEST_CASE(
    a_fire_calls_its_command_only_once_intent_fired_is_written) {
  auto a = probe("a");
  std::vector<size_t> fired_before_call;
  a->on_call = [&] {
    fired_before_call.push_back(recorded<intent_fired>().size());
  };
  put_ok({"a", "every 1s"});
  advance(2s);
  BOOST_TEST((fired_before_call == std::vector<size_t>{1, 2, 3}));
}

BOOST_AUTO_TEST_CASE(schedule_and_cancel_answer_once_their_event_is_written) {
  std::optional<size_t> scheduled_when_answered;
  std::optional<size_t> cancelled_when_answered;
  sys->spawn(
      [&](caf::event_based_actor* self, scheduler_actor s) {
        self->request(s, caf::infinite, schedule_atom::value,
                      intent{"a", "every 1h"})
            .then([&, self, s](uint64_t id) {
              scheduled_when_answered = recorded<intent_scheduled>().size();
              self->request(s, caf::infinite, cancel_atom::value, id)
                  .then([&](bool) {
                    cancelled_when_answered =
                        recorded<intent_cancelled>().size();
                  });
            });
      },
      rt->scheduler());
  run();
  BOOST_TEST(scheduled_when_answered.value_or(0) == 1u);
  BOOST_TEST(cancelled_when_answered.value_or(0) == 1u);
}

BOOST_AUTO_TEST_CASE(
    a_fire_held_past_later_due_times_runs_once_for_the_latest) {
  // The command registers 3.5 s late: due times 0, 1, 2 and 3 s have all
  // passed. One run for 3 s, and one misfire record for the others.
  auto id = put_ok({"late", "every 1s"});
  advance(3500ms);
  auto late = probe("late");
  run();
  BOOST_TEST((late->times() == std::vector<time_point>{at(3500)}));
  BOOST_TEST(fired_dues(id) == (std::vector<time_point>{at(3000)}));
  auto m = recorded<intent_misfired>();
  BOOST_REQUIRE(m.size() == 1u);
  BOOST_TEST(m[0].due == at(0));
  BOOST_TEST(m[0].missed == 4u);
  BOOST_TEST((m[0].action == misfire_action::coalesced));
  advance(500ms);
  BOOST_TEST((late->times() == std::vector<time_point>{at(3500), at(4000)}));
}

BOOST_AUTO_TEST_CASE(a_keyed_intent_is_scheduled_once_across_restarts) {
  auto a = probe("a");
  intent job{"a", "every 10s", "", 0, "", 0, "job"};
  auto id = put_ok(job);
  BOOST_TEST(put_ok(job) == id);
  restart(1s);
  BOOST_TEST(put_ok(job) == id);
  // Another key is another intent; the same key with other specs is not.
  auto other = put_ok({"a", "every 10s", "", 0, "", 0, "other"});
  BOOST_TEST(other != id);
  BOOST_TEST(put_ok({"a", "every 1h", "", 0, "", 0, "job"}) == id);
  BOOST_TEST(recorded<intent_scheduled>().size() == 2u);
  BOOST_TEST(recorded<intent_scheduled>()[0].key == "job");
  // Cancelled, the key is free again.
  BOOST_TEST(*ask<bool>(rt->scheduler(), cancel_atom::value, id));
  auto again = put_ok(job);
  BOOST_TEST(again != id);
  restart(1s);
  BOOST_TEST(put_ok(job) == again);
  BOOST_TEST(pending() == 2u);
}

BOOST_AUTO_TEST_CASE(a_key_is_free_again_once_its_intent_has_run_out) {
  auto a = probe("a");
  intent once{"a", "now", "", 0, "x", 0, "once"};
  auto id = put_ok(once);
  advance(1s);
  BOOST_TEST(a->calls.size() == 1u);
  auto next = put_ok(once);
  BOOST_TEST(next != id);
  advance(1s);
  BOOST_TEST(a->calls.size() == 2u);
  // The same after a restart, where the key comes from the log.
  restart(1s);
  BOOST_TEST(put_ok(once) > next);
}

BOOST_AUTO_TEST_CASE(
    a_once_job_scheduled_under_a_key_at_every_start_runs_once) {
  // A program schedules "once at 2 s" under a key at each start, and
  // restarts after the job ran: the due time does not run again, and the
  // answer names the intent that ran it.
  auto a = probe("a");
  intent job{"a", "once " + ns_of(2000), "", 0, "x", 0, "boot-job"};
  auto id = put_ok(job);
  advance(3s);
  BOOST_TEST(a->calls.size() == 1u);
  for (int round = 0; round < 3; ++round) {
    restart(1s);
    a = probe("a");
    BOOST_TEST(put_ok(job) == id);
    advance(1s);
    BOOST_TEST(a->calls.size() == 0u);
  }
  BOOST_TEST(recorded<intent_scheduled>().size() == 1u);
  BOOST_TEST(fired_dues(id) == (std::vector<time_point>{at(2000)}));
}

BOOST_AUTO_TEST_CASE(a_key_runs_no_due_time_again_after_a_cancel) {
  // "every 10s" under a key fires at 0 and 10 s, is cancelled, and is
  // scheduled again at 15 s with the same anchor: it goes on at 20 s.
  auto a = probe("a");
  intent job{"a", "every 10s from " + ns_of(0), "", 0, "x", 0, "k"};
  auto id = put_ok(job);
  advance(15s);
  BOOST_TEST(a->calls.size() == 2u);
  BOOST_TEST(*ask<bool>(rt->scheduler(), cancel_atom::value, id));
  auto again = put_ok(job);
  BOOST_TEST(again != id);
  BOOST_TEST(*ask<time_point>(rt->scheduler(), status_atom::value, again) ==
             at(20000));
  restart(1s);
  BOOST_TEST(*ask<time_point>(rt->scheduler(), status_atom::value, again) ==
             at(20000));
}

BOOST_AUTO_TEST_CASE(a_call_never_answered_frees_its_budget_after_the_timeout) {
  auto p = probe("api");
  p->hold = true; // answers no call: like a command that drops them
  stop();
  start_with({.max_in_flight = 1, .call_timeout = 10s});
  put_ok({"api", "now"});
  put_ok({"api", "now"});
  BOOST_TEST(p->calls.size() == 1u);
  advance(10s - 1ns);
  BOOST_TEST(p->calls.size() == 1u);
  advance(1ns);
  BOOST_TEST(p->calls.size() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
