#include "timecontrol/actors/controller.hpp"

#include <boost/test/unit_test.hpp>

#include <caf/event_based_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <algorithm>

#include "tests/actors/fixture.hpp"
#include "tests/support/print.hpp"
#include "timecontrol/actors/command.hpp"
#include "timecontrol/actors/detail/backlog.hpp"
#include "timecontrol/plugins/detail/bytes.hpp"
#include "timecontrol/policies/cron.hpp"
#include "timecontrol/policies/deadline.hpp"

using namespace tc;
using namespace std::chrono_literals;

namespace {

// Receives a controller's alarms and escalations.
struct inbox {
  std::vector<std::pair<std::string, deadline_status>> alarms;
  std::vector<std::pair<std::string, deadline_status>> escalations;
};

caf::behavior inbox_impl(caf::event_based_actor*, std::shared_ptr<inbox> in) {
  return {
      [=](alarm_atom, const std::string& command, deadline_status s) {
        in->alarms.emplace_back(command, s);
      },
      [=](escalate_atom, const std::string& command, deadline_status s) {
        in->escalations.emplace_back(command, s);
      },
  };
}

// Stands in for the Scheduler: keeps the intents it is given, and when.
scheduler_actor::behavior_type
fake_scheduler(scheduler_actor::pointer,
               std::shared_ptr<std::vector<intent>> intents,
               std::shared_ptr<std::vector<time_point>> times,
               std::shared_ptr<tc::clock> clk) {
  return {
      [=](schedule_atom, intent& x) -> uint64_t {
        intents->push_back(x);
        times->push_back(clk->now());
        return intents->size();
      },
      [=](cancel_atom, uint64_t) { return false; },
      [=](status_atom) -> uint64_t { return intents->size(); },
      [=](status_atom, uint64_t) -> caf::result<time_point> {
        return make_error(errc::not_found, "fake scheduler");
      },
  };
}

struct controller_fixture : test::actor_fixture {
  std::shared_ptr<inbox> in = std::make_shared<inbox>();
  std::shared_ptr<std::vector<intent>> intents =
      std::make_shared<std::vector<intent>>();
  std::shared_ptr<std::vector<time_point>> asked_at =
      std::make_shared<std::vector<time_point>>();
  caf::actor receiver = sys->spawn(inbox_impl, in);
  scheduler_actor scheduler =
      sys->spawn(fake_scheduler, intents, asked_at, time);
  controller_actor controller;

  controller_config config(uint8_t actions = action_alarm) {
    return {"watchdog", {{"poll", 10s, 5s}}, actions, receiver, scheduler};
  }

  void spawn(controller_config cfg) {
    auto spawned = spawn_controller(*rt, std::move(cfg));
    if (!spawned)
      BOOST_FAIL(render(spawned.error()));
    controller = *spawned;
    caf::anon_send(controller, subscribe_atom::value, receiver);
    run();
  }

  // A call of `command` that starts and finishes now, as a Command records
  // it.
  void call(const std::string& command) {
    BOOST_REQUIRE(!rt->record(command, call_admitted{1, 0ns}));
    BOOST_REQUIRE(!rt->record(command, call_finished{1, 0ns, true, ""}));
    run();
  }

  // A call of `command` that starts and fails now.
  void fail(const std::string& command, uint64_t id = 2) {
    BOOST_REQUIRE(!rt->record(command, call_admitted{id, 0ns}));
    BOOST_REQUIRE(!rt->record(command, call_finished{id, 0ns, false, "boom"}));
    run();
  }

  // Run `id` of `command` starts (or ends) now.
  void begin(const std::string& command, uint64_t id) {
    BOOST_REQUIRE(!rt->record(command, call_admitted{id, 0ns}));
    run();
  }

  void end(const std::string& command, uint64_t id, bool ok = true) {
    BOOST_REQUIRE(
        !rt->record(command, call_finished{id, 0ns, ok, ok ? "" : "boom"}));
    run();
  }

  // Pauses (or resumes) a watch; the answer.
  caf::expected<bool> pause(const std::string& command) {
    return ask<bool>(controller, pause_atom::value, command);
  }

  caf::expected<bool> resume(const std::string& command) {
    return ask<bool>(controller, resume_atom::value, command);
  }

  // The specs the controller recorded, in order.
  std::vector<std::string> watch_specs() {
    std::vector<std::string> result;
    for (auto& x :
         stored({.source = "watchdog", .type = event_type::policy_changed}))
      result.push_back(std::get<policy_changed>(x.body).policy);
    return result;
  }

  deadline_status status(const std::string& command) {
    auto s = ask<deadline_status>(controller, status_atom::value, command);
    BOOST_REQUIRE(s);
    return *s;
  }

  // The statuses the controller recorded for `command`, in order.
  std::vector<deadline_status> recorded(const std::string& command) {
    std::vector<deadline_status> result;
    for (auto& x : stored({.source = "watchdog",
                   .type = event_type::deadline_status_changed})) {
      auto& changed = std::get<deadline_status_changed>(x.body);
      if (changed.command == command)
        result.push_back(changed.to);
    }
    return result;
  }
};

using ds = deadline_status;

// An answer that is there and true.
bool yes(const caf::expected<bool>& x) {
  return x && *x;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(actors_controller, controller_fixture)

BOOST_AUTO_TEST_CASE(statuses_change_at_the_exact_instants) {
  spawn(config());
  BOOST_TEST((status("poll") == ds::never_called));
  advance(10s); // exactly one period: still on time
  BOOST_TEST(recorded("poll").empty());
  advance(1ns);
  BOOST_TEST((recorded("poll") == std::vector<ds>{ds::late}));
  advance(5s - 1ns); // exactly the end of grace: still late
  BOOST_TEST((recorded("poll") == std::vector<ds>{ds::late}));
  advance(1ns);
  BOOST_TEST((recorded("poll") == std::vector<ds>{ds::late, ds::down}));
  call("poll");
  BOOST_TEST((recorded("poll") == std::vector<ds>{ds::late, ds::down, ds::up}));
  BOOST_TEST((status("poll") == ds::up));
}

BOOST_AUTO_TEST_CASE(a_command_called_in_time_stays_up) {
  spawn(config());
  for (int i = 0; i < 5; ++i) {
    advance(9s);
    call("poll");
  }
  BOOST_TEST((recorded("poll") == std::vector<ds>{ds::up}));
  BOOST_TEST(stored({.type = event_type::deadline_missed}).empty());
}

BOOST_AUTO_TEST_CASE(
    a_call_on_time_whose_event_arrives_after_the_due_time_is_not_late) {
  spawn(config());
  call("poll"); // due at t0 + 10s
  step(10s);
  // A call exactly at the due time: its event is in the Log's mailbox when
  // the controller's timer fires one nanosecond later.
  BOOST_REQUIRE(!rt->record("poll", call_admitted{2, 0ns}));
  BOOST_REQUIRE(!rt->record("poll", call_finished{2, 0ns, true, ""}));
  sched->advance_time(caf::timespan{1});
  run();
  BOOST_TEST((recorded("poll") == std::vector<ds>{ds::up}));
  BOOST_TEST(stored({.type = event_type::deadline_missed}).empty());
  // Without a call the watch still turns late when the period is over.
  step(10s + 1ns);
  BOOST_TEST((recorded("poll") == std::vector<ds>{ds::up, ds::late}));
}

BOOST_AUTO_TEST_CASE(
    a_call_stamped_before_the_due_time_but_not_yet_sent_is_not_late) {
  spawn(config());
  auto poll = spawn_command(
      *rt, {.name = "poll"},
      sync_operation{[](std::string) -> caf::expected<std::string> {
        return std::string{"ok"};
      }});
  BOOST_REQUIRE(poll);
  caf::anon_send(*poll, call_atom::value, std::string{});
  run(); // due at t0 + 10s
  step(10s);
  // The command stamps its admission at the due time and sends it to the
  // Log only after the controller's timer has fired and the Log has
  // answered the controller's flush.
  caf::anon_send(*poll, call_atom::value, std::string{});
  sched->run_once();                     // the command takes the call
  sched->advance_time(caf::timespan{1}); // the controller's timer
  // The controller alone until it has asked the Log for a flush.
  for (int i = 0; i < 8 && !sched->prioritize(rt->log()); ++i) {
    BOOST_REQUIRE(sched->prioritize(controller));
    sched->run_once();
  }
  BOOST_REQUIRE(sched->prioritize(rt->log()));
  sched->run_once(); // the flush
  BOOST_REQUIRE(sched->prioritize(controller));
  sched->run_once(); // its answer
  run();
  BOOST_TEST((recorded("poll") == std::vector<ds>{ds::up}));
  BOOST_TEST(stored({.type = event_type::deadline_missed}).empty());
}

// A recorder that holds a stamp unsent (a Command in act_then_record mode
// whose operation hangs) holds the decisions back for max_event_delay only.
BOOST_AUTO_TEST_CASE(a_held_stamp_holds_decisions_back_for_max_event_delay) {
  spawn(config()); // poll: 10s + 5s grace, never called
  auto slot = rt->backlog_ptr()->open_slot();
  slot->hold(now()); // held for the whole test
  step(11s); // late from 10 s + 1 ns; max_event_delay (1 s) not yet over
  BOOST_TEST(recorded("poll").empty());
  step(1ms);
  BOOST_TEST((recorded("poll") == std::vector<ds>{ds::late}));
  step(5s); // down from 15 s + 1 ns, decided 1 s later
  BOOST_TEST((recorded("poll") == std::vector<ds>{ds::late, ds::down}));
  advance(1h);
  BOOST_TEST((recorded("poll") == std::vector<ds>{ds::late, ds::down}));
  BOOST_TEST(in->alarms.size() == 2u);
  slot->clear();
}

BOOST_AUTO_TEST_CASE(max_event_delay_must_not_be_negative) {
  auto cfg = config();
  cfg.max_event_delay = -1ns;
  auto bad = spawn_controller(*rt, cfg);
  BOOST_REQUIRE(!bad);
  BOOST_TEST(is(bad.error(), errc::bad_config));
  BOOST_TEST(render(bad.error()).find("max_event_delay") != std::string::npos);
}

// A call made after its due time, whose event comes while the watermark is
// still before that time, first decides what was due: late, then down,
// then up again with the call.
BOOST_AUTO_TEST_CASE(a_late_call_cannot_hide_that_the_watch_was_late) {
  spawn(config()); // poll: 10s + 5s grace
  call("poll");    // due at t0 + 10s, down after t0 + 15s
  advance(1s);
  auto slot = rt->backlog_ptr()->open_slot();
  slot->hold(now()); // holds the watermark at t0 + 1s
  step(19s);         // t0 + 20s, without letting timers run
  call("poll");      // 10 s past due, 5 s past the grace
  slot->clear();
  advance(1s);
  BOOST_TEST((recorded("poll") ==
              std::vector<ds>{ds::up, ds::late, ds::down, ds::up}));
  BOOST_TEST(stored({.type = event_type::deadline_missed}).size() == 1u);
}

// The same without a held stamp: the controller's flush waits behind a
// write the Log has scheduled, and a late call's events join that write.
BOOST_AUTO_TEST_CASE(a_late_call_in_the_write_before_the_flush_is_still_late) {
  spawn(config()); // poll: 10s + 5s grace
  call("poll");    // due at t0 + 10s
  step(10s);
  sched->advance_time(caf::timespan{1}); // the controller's timer
  BOOST_REQUIRE(!rt->record("other", policy_changed{"x"}));
  // The controller alone until it has asked the Log for a flush.
  for (int i = 0; i < 8 && !sched->prioritize(rt->log()); ++i) {
    BOOST_REQUIRE(sched->prioritize(controller));
    sched->run_once();
  }
  // 8 s later (3 s past the grace) poll is called, before the Log ran.
  sched->advance_time(std::chrono::seconds{8});
  BOOST_REQUIRE(!rt->record("poll", call_admitted{2, 0ns}));
  BOOST_REQUIRE(!rt->record("poll", call_finished{2, 0ns, true, ""}));
  run();
  BOOST_TEST((recorded("poll") ==
              std::vector<ds>{ds::up, ds::late, ds::down, ds::up}));
  BOOST_TEST(stored({.type = event_type::deadline_missed}).size() == 1u);
}

BOOST_AUTO_TEST_CASE(one_miss_is_recorded_per_overdue_stretch) {
  spawn(config());
  call("poll");
  advance(10s + 1ns); // late
  advance(10s);       // down
  auto missed = stored({.type = event_type::deadline_missed});
  BOOST_REQUIRE(missed.size() == 1u);
  auto& miss = std::get<deadline_missed>(missed[0].body);
  BOOST_TEST(miss.command == "poll");
  // Recorded at the first instant after the period.
  BOOST_TEST(miss.late_by.count() == 1);
}

BOOST_AUTO_TEST_CASE(alarms_go_to_every_subscriber) {
  spawn(config(action_alarm));
  advance(10s + 1ns);
  advance(5s);
  BOOST_TEST(in->alarms.size() == 2u); // late, then down
  BOOST_TEST((in->alarms[0] == std::pair{std::string{"poll"}, ds::late}));
  BOOST_TEST((in->alarms[1] == std::pair{std::string{"poll"}, ds::down}));
  BOOST_TEST(in->escalations.empty());
  BOOST_TEST(intents->empty());
}

BOOST_AUTO_TEST_CASE(escalations_go_to_the_supervisor) {
  spawn(config(action_escalate));
  advance(10s + 1ns);
  advance(5s);
  BOOST_TEST(in->escalations.size() == 2u);
  BOOST_TEST(in->alarms.empty());
}

BOOST_AUTO_TEST_CASE(the_call_action_asks_the_scheduler_for_a_call_now) {
  spawn(config(action_call | action_alarm));
  advance(10s + 1ns);
  BOOST_REQUIRE(intents->size() == 1u);
  BOOST_TEST((*intents)[0].target == "poll");
  BOOST_TEST((*intents)[0].trigger == "now");
  BOOST_TEST(in->alarms.size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_long_run_turns_down_after_its_grace) {
  spawn(config());
  BOOST_REQUIRE(!rt->record("poll", call_started{1}));
  run();
  advance(5s + 1ns); // running longer than grace
  BOOST_TEST((status("poll") == ds::down));
  // The miss is measured from the end of the grace (its due time, 10 s
  // after the start, is still ahead).
  auto misses = stored({.type = event_type::deadline_missed});
  BOOST_REQUIRE(misses.size() == 1u);
  BOOST_TEST(std::get<deadline_missed>(misses[0].body).late_by.count() == 1);
  BOOST_REQUIRE(!rt->record("poll", call_finished{1, 5s, true, ""}));
  run();
  BOOST_TEST((status("poll") == ds::up));
}

BOOST_AUTO_TEST_CASE(watches_can_be_added_and_removed_at_run_time) {
  spawn(config());
  auto added =
      ask<bool>(controller, watch_atom::value, watch{"report", 1s, 0s});
  BOOST_REQUIRE(added);
  advance(1s + 1ns);
  BOOST_TEST((recorded("report") == std::vector<ds>{ds::down}));
  auto removed =
      ask<bool>(controller, unwatch_atom::value, std::string{"report"});
  BOOST_REQUIRE(removed && *removed);
  auto unknown = ask<deadline_status>(controller, status_atom::value,
                                      std::string{"report"});
  BOOST_REQUIRE(!unknown);
  BOOST_TEST(is(unknown.error(), errc::not_found));
}

BOOST_AUTO_TEST_CASE(the_same_watch_sent_again_changes_nothing) {
  spawn(config());
  BOOST_REQUIRE(
      ask<bool>(controller, watch_atom::value, watch{"report", 1s, 0s}));
  advance(1s + 1ns);
  BOOST_TEST((recorded("report") == std::vector<ds>{ds::down}));
  auto policies = stored({.type = event_type::policy_changed}).size();
  auto again =
      ask<bool>(controller, watch_atom::value, watch{"report", 1s, 0s});
  BOOST_REQUIRE(again);
  BOOST_TEST(!*again);
  run();
  BOOST_TEST(stored({.type = event_type::policy_changed}).size() == policies);
  BOOST_TEST((status("report") == ds::down));
  BOOST_TEST((recorded("report") == std::vector<ds>{ds::down}));
  // A changed one is a change.
  auto changed =
      ask<bool>(controller, watch_atom::value, watch{"report", 2s, 0s});
  BOOST_REQUIRE(changed);
  BOOST_TEST(*changed);
}

BOOST_AUTO_TEST_CASE(bad_watches_are_refused_with_the_reason) {
  auto bad = spawn_controller(*rt, {"watchdog", {{"poll", 0s, 1s}}});
  BOOST_REQUIRE(!bad);
  BOOST_TEST(render(bad.error()) ==
             "bad_config: watch 'poll': the period must be positive");
  auto unnamed = spawn_controller(*rt, {"", {}});
  BOOST_REQUIRE(!unnamed);
  BOOST_TEST(is(unnamed.error(), errc::bad_config));
  spawn(config());
  auto refused = ask<bool>(controller, watch_atom::value, watch{"", 1s, 0s});
  BOOST_REQUIRE(!refused);
  BOOST_TEST(is(refused.error(), errc::bad_config));
}

BOOST_AUTO_TEST_CASE(
    a_command_that_went_down_while_stopped_is_reported_at_start) {
  spawn(config());
  call("poll");
  BOOST_TEST((recorded("poll") == std::vector<ds>{ds::up}));
  stop();        // the controller ends with the runtime's Bus
  advance(1min); // the process is not running
  start();
  spawn(config());
  BOOST_TEST((recorded("poll") == std::vector<ds>{ds::up, ds::down}));
  BOOST_TEST(stored({.type = event_type::deadline_missed}).size() == 1u);
  // Nothing is reported twice.
  advance(1min);
  BOOST_TEST((recorded("poll") == std::vector<ds>{ds::up, ds::down}));
}

BOOST_AUTO_TEST_CASE(a_restart_keeps_watches_added_at_run_time) {
  spawn(config());
  BOOST_REQUIRE(
      ask<bool>(controller, watch_atom::value, watch{"report", 1h, 0s}));
  stop(); // the controller ends with the runtime's Bus
  start();
  spawn(config());
  BOOST_TEST((status("report") == ds::never_called));
  advance(1h + 1ns);
  BOOST_TEST((recorded("report") == std::vector<ds>{ds::down}));
}

BOOST_AUTO_TEST_CASE(a_restart_from_a_snapshot_keeps_watches_and_statuses) {
  auto cfg = config();
  cfg.snapshot_every = 1;
  spawn(cfg);
  BOOST_REQUIRE(
      ask<bool>(controller, watch_atom::value, watch{"report", 1h, 0s}));
  call("poll");
  advance(12s);  // late
  call("other"); // one more event: a snapshot after the change to late
  auto saved = store->load_snapshot("controller:watchdog");
  BOOST_REQUIRE(saved);
  BOOST_REQUIRE(*saved);
  stop();
  start();
  spawn(cfg);
  BOOST_TEST((status("report") == ds::never_called));
  BOOST_TEST((status("poll") == ds::late));
  advance(3s + 1ns);
  BOOST_TEST((recorded("poll") == std::vector<ds>{ds::up, ds::late, ds::down}));
}

BOOST_AUTO_TEST_CASE(a_restart_starts_from_the_controller_snapshot) {
  // A snapshot that knows of a call of poll at t0 + 100s which the log does
  // not hold: the restarted controller believes the snapshot.
  auto t0 = now();
  spawn(config()); // the watch, in the log
  stop();
  start();
  auto snapshot = [&](const std::string& controller) {
    detail::snapshot_writer w{"tc.controller/4"};
    w.str(controller);
    w.u64(1);
    w.str("poll");
    deadline d{10s, 5s, t0, true};
    d.called(t0 + 100s);
    w.str(d.serialize());
    return std::move(w).take();
  };
  BOOST_REQUIRE(!store->save_snapshot("controller:watchdog", store->last_seq(),
                                      snapshot("watchdog")));
  advance(105s);
  spawn(config());
  BOOST_TEST((status("poll") == ds::up));
  // Another controller's snapshot, copied in, is passed over.
  stop();
  start();
  BOOST_REQUIRE(!store->save_snapshot("controller:watchdog", store->last_seq(),
                                      snapshot("other")));
  spawn(config());
  BOOST_TEST((status("poll") != ds::up));
  // A snapshot that does not read is passed over: the log knows no call.
  stop();
  start();
  BOOST_REQUIRE(!store->save_snapshot("controller:watchdog", store->last_seq(),
                                      "garbage"));
  spawn(config());
  BOOST_TEST((status("poll") != ds::up));
}

// -- lead ---------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_lead_asks_for_a_call_that_long_before_the_due_time) {
  auto t0 = now();
  auto cfg = config(action_call);
  cfg.watches = {{"poll", 10s, 5s, 3s}};
  spawn(cfg);
  step(7s - 1ns);
  BOOST_TEST(intents->empty());
  step(1ns);
  BOOST_REQUIRE(intents->size() == 1u);
  BOOST_TEST((*intents)[0].target == "poll");
  BOOST_TEST((*intents)[0].trigger == "now");
  BOOST_TEST((*asked_at)[0] == t0 + 7s);
  // Still on time: no deadline event yet.
  BOOST_TEST(recorded("poll").empty());
}

BOOST_AUTO_TEST_CASE(a_lead_asks_once_per_period_and_a_call_allows_the_next) {
  auto t0 = now();
  auto cfg = config(action_call);
  cfg.watches = {{"poll", 10s, 5s, 3s}};
  spawn(cfg);
  step(9s);
  BOOST_TEST(intents->size() == 1u); // at 7 s, once
  call("poll");                      // at 9 s: due at 19 s
  step(7s - 1ns);
  BOOST_TEST(intents->size() == 1u);
  step(1ns);
  BOOST_REQUIRE(intents->size() == 2u);
  BOOST_TEST((*asked_at)[1] == t0 + 16s);
  step(3s);
  BOOST_TEST(intents->size() == 2u);
  BOOST_TEST(stored({.type = event_type::deadline_missed}).empty());
}

BOOST_AUTO_TEST_CASE(a_command_late_despite_its_lead_gets_the_late_actions) {
  auto t0 = now();
  auto cfg = config(action_call | action_alarm);
  cfg.watches = {{"poll", 10s, 5s, 3s}};
  spawn(cfg);
  step(10s + 1ns); // the early request was not answered by a call
  BOOST_REQUIRE(intents->size() == 2u);
  BOOST_TEST((*asked_at)[0] == t0 + 7s);
  BOOST_TEST((*asked_at)[1] == t0 + 10s + 1ns);
  BOOST_TEST((recorded("poll") == std::vector<ds>{ds::late}));
  BOOST_TEST(in->alarms.size() == 1u);
  BOOST_TEST(stored({.type = event_type::deadline_missed}).size() == 1u);
}

BOOST_AUTO_TEST_CASE(no_early_call_is_asked_for_while_a_call_runs) {
  auto t0 = now();
  auto cfg = config(action_call);
  cfg.watches = {{"poll", 10s, 20s, 3s}};
  spawn(cfg);
  BOOST_REQUIRE(!rt->record("poll", call_started{1})); // at 0 s: due at 10 s
  run();
  step(9s);
  BOOST_TEST(intents->empty());
  // It ends after due - lead: asked for at once.
  BOOST_REQUIRE(!rt->record("poll", call_finished{1, 9s, true, ""}));
  run();
  BOOST_REQUIRE(intents->size() == 1u);
  BOOST_TEST((*asked_at)[0] == t0 + 9s);
}

BOOST_AUTO_TEST_CASE(without_the_call_action_a_lead_asks_for_nothing) {
  auto cfg = config(action_alarm);
  cfg.watches = {{"poll", 10s, 5s, 3s}};
  spawn(cfg);
  step(10s);
  BOOST_TEST(intents->empty());
}

BOOST_AUTO_TEST_CASE(the_lead_changes_at_run_time_and_is_recorded) {
  auto t0 = now();
  spawn(config(action_call));
  call("poll"); // due at 10 s
  step(1s);
  auto changed =
      ask<bool>(controller, watch_atom::value, watch{"poll", 10s, 5s, 4s});
  BOOST_REQUIRE(changed);
  std::vector<std::string> specs;
  for (auto& x :
       stored({.source = "watchdog", .type = event_type::policy_changed}))
    specs.push_back(std::get<policy_changed>(x.body).policy);
  BOOST_REQUIRE(specs.size() == 2u);
  BOOST_TEST(specs[0] ==
             "watch every=10000000000 grace=5000000000 fail=down poll");
  BOOST_TEST(specs[1] == "watch every=10000000000 grace=5000000000 "
                         "lead=4000000000 fail=down poll");
  step(5s - 1ns);
  BOOST_TEST(intents->empty());
  step(1ns);
  BOOST_REQUIRE(intents->size() == 1u);
  BOOST_TEST((*asked_at)[0] == t0 + 6s);
}

BOOST_AUTO_TEST_CASE(a_lead_survives_a_restart) {
  auto t0 = now();
  spawn(config(action_call));
  BOOST_REQUIRE(
      ask<bool>(controller, watch_atom::value, watch{"report", 1h, 0s, 10min}));
  stop();
  step(1min);
  start();
  spawn(config(action_call));
  step(49min - 1ns);
  auto for_report = [&] {
    return std::count_if(intents->begin(), intents->end(),
                         [](auto& x) { return x.target == "report"; });
  };
  BOOST_TEST(for_report() == 0);
  step(1ns);
  BOOST_TEST(for_report() == 1);
  BOOST_TEST(asked_at->back() == t0 + 50min);
}

BOOST_AUTO_TEST_CASE(a_watch_recorded_before_leads_existed_has_none) {
  // As an older version wrote it.
  BOOST_REQUIRE(!rt->record(
      "watchdog", policy_changed{"watch every=5000000000 grace=0 report"}));
  run();
  spawn(config(action_call));
  step(5s);
  BOOST_TEST(intents->empty());
  BOOST_TEST((status("report") == ds::never_called));
  step(1ns);
  BOOST_REQUIRE(intents->size() == 1u); // overdue: asked for now
  BOOST_TEST((*intents)[0].target == "report");
}

// -- failures (healthchecks' fail signal) -----------------------------------

BOOST_AUTO_TEST_CASE(a_failed_call_turns_the_watch_down_at_once) {
  spawn(config(action_alarm | action_call));
  call("poll");
  advance(1s);
  auto t = now();
  fail("poll");
  BOOST_TEST((recorded("poll") == std::vector<ds>{ds::up, ds::down}));
  BOOST_TEST((status("poll") == ds::down));
  auto changes = stored({.type = event_type::deadline_status_changed});
  BOOST_REQUIRE(changes.size() == 2u);
  BOOST_TEST((changes[1].time == t)); // at the instant the call ended
  // Its cause, the error text, is in the call_finished just before it.
  auto finished = stored({.source = "poll", .type = event_type::call_finished});
  BOOST_REQUIRE(finished.size() == 2u);
  BOOST_TEST(std::get<call_finished>(finished[1].body).error == "boom");
  BOOST_TEST(finished[1].seq < changes[1].seq);
  // The down actions, but no miss: nothing was late.
  BOOST_TEST(stored({.type = event_type::deadline_missed}).empty());
  BOOST_REQUIRE(in->alarms.size() == 1u);
  BOOST_TEST((in->alarms[0] == std::pair{std::string{"poll"}, ds::down}));
  BOOST_TEST(intents->size() == 1u);
}

BOOST_AUTO_TEST_CASE(the_next_successful_call_brings_a_failed_watch_up) {
  spawn(config());
  fail("poll"); // up at its start, down at its end
  advance(1h);  // stays down, records nothing more
  BOOST_TEST((recorded("poll") == std::vector<ds>{ds::up, ds::down}));
  begin("poll", 3); // a start is no success
  BOOST_TEST((status("poll") == ds::down));
  end("poll", 3);
  BOOST_TEST((recorded("poll") == std::vector<ds>{ds::up, ds::down, ds::up}));
  advance(10s); // exactly one period after that call: still up
  BOOST_TEST((status("poll") == ds::up));
  advance(1ns);
  BOOST_TEST((status("poll") == ds::late));
}

BOOST_AUTO_TEST_CASE(a_watch_that_counts_failures_stays_up_after_one) {
  auto cfg = config();
  cfg.watches[0].count_failures = true;
  spawn(cfg);
  fail("poll");
  BOOST_TEST((recorded("poll") == std::vector<ds>{ds::up}));
  BOOST_TEST((watch_specs()[0] == "watch every=10000000000 grace=5000000000 "
                                  "fail=call poll"));
}

BOOST_AUTO_TEST_CASE(a_failed_watch_changed_to_count_failures_comes_up) {
  spawn(config());
  fail("poll");
  BOOST_TEST((status("poll") == ds::down));
  auto counting = watch{"poll", 10s, 5s};
  counting.count_failures = true;
  BOOST_TEST(ask<bool>(controller, watch_atom::value, counting).value());
  run();
  // The failed call counts as a call now: up, and late a period after it.
  BOOST_TEST((recorded("poll") == std::vector<ds>{ds::up, ds::down, ds::up}));
  advance(10s + 1ns);
  BOOST_TEST((status("poll") == ds::late));
}

BOOST_AUTO_TEST_CASE(a_watch_recorded_before_failures_counted_keeps_counting) {
  // As an earlier build wrote it: failures counted as calls then.
  BOOST_REQUIRE(!rt->record(
      "watchdog", policy_changed{"watch every=5000000000 grace=0 report"}));
  run();
  spawn(config());
  fail("report");
  BOOST_TEST((status("report") == ds::up));
  // A new watch records fail=down.
  BOOST_TEST((watch_specs().back() ==
              "watch every=10000000000 grace=5000000000 "
              "fail=down poll"));
}

BOOST_AUTO_TEST_CASE(a_failure_survives_a_restart_by_replay_and_snapshot) {
  for (uint64_t every : {0u, 1u}) {
    auto cfg = config();
    cfg.snapshot_every = every;
    spawn(cfg);
    fail("poll");
    call("other"); // one more event: a snapshot after the failure
    BOOST_TEST((status("poll") == ds::down));
    stop();
    start();
    spawn(cfg);
    BOOST_TEST((status("poll") == ds::down), "snapshot_every " << every);
    begin("poll", 9);
    BOOST_TEST((status("poll") == ds::down));
    end("poll", 9);
    BOOST_TEST((status("poll") == ds::up));
    stop();
    start();
  }
  if (auto saved = store->load_snapshot("controller:watchdog"))
    BOOST_TEST(saved->has_value());
  else
    BOOST_FAIL(render(saved.error()));
}

// -- overlapping runs ---------------------------------------------------------

BOOST_AUTO_TEST_CASE(overlapping_runs_are_each_held_to_the_grace) {
  spawn(config());
  begin("poll", 1);
  advance(1s);
  begin("poll", 2);
  advance(1s);
  end("poll", 2); // ends run 2 only: run 1 still runs since t0
  advance(3s);    // exactly the grace of run 1
  BOOST_TEST((status("poll") == ds::up));
  BOOST_TEST(recorded("poll") == std::vector<ds>{ds::up});
  advance(1ns);
  BOOST_TEST((recorded("poll") == std::vector<ds>{ds::up, ds::down}));
  end("poll", 1);
  BOOST_TEST((status("poll") == ds::up));
}

BOOST_AUTO_TEST_CASE(overlapping_runs_survive_a_restart_from_a_snapshot) {
  auto cfg = config();
  cfg.snapshot_every = 1;
  spawn(cfg);
  begin("poll", 1);
  advance(1s);
  begin("poll", 2);
  end("poll", 2);
  call("other"); // a snapshot after it
  stop();
  start();
  // The snapshot says which runs go on (the log's calls before it are not
  // read again): run 1, since t0.
  spawn(cfg);
  advance(4s);
  BOOST_TEST((status("poll") == ds::up));
  advance(1ns);
  BOOST_TEST((status("poll") == ds::down));
}

// -- pause and resume ---------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_paused_watch_records_no_late_or_down_and_acts_not) {
  spawn(config(action_alarm | action_call | action_escalate));
  auto answer = pause("poll");
  BOOST_REQUIRE(answer);
  BOOST_TEST(*answer);
  // Recorded, and handed to the Log before the answer.
  BOOST_TEST((watch_specs().back() == "pause poll"));
  BOOST_TEST((status("poll") == ds::paused));
  advance(1h);
  BOOST_TEST((recorded("poll") == std::vector<ds>{ds::paused}));
  BOOST_TEST(stored({.type = event_type::deadline_missed}).empty());
  BOOST_TEST(in->alarms.empty());
  BOOST_TEST(in->escalations.empty());
  BOOST_TEST(intents->empty());
}

BOOST_AUTO_TEST_CASE(a_resumed_watch_is_measured_from_the_resume) {
  spawn(config());
  call("poll");
  BOOST_REQUIRE(yes(pause("poll")));
  advance(1h);
  auto answer = resume("poll");
  BOOST_REQUIRE(answer);
  BOOST_TEST(*answer);
  BOOST_TEST((watch_specs().back() == "resume poll"));
  BOOST_TEST((status("poll") == ds::up));
  advance(10s); // exactly one period after the resume
  BOOST_TEST((recorded("poll") == std::vector<ds>{ds::up, ds::paused, ds::up}));
  advance(1ns);
  BOOST_TEST((recorded("poll") ==
              std::vector<ds>{ds::up, ds::paused, ds::up, ds::late}));
}

BOOST_AUTO_TEST_CASE(a_call_resumes_a_paused_watch) {
  spawn(config());
  BOOST_REQUIRE(yes(pause("poll")));
  advance(1min);
  call("poll");
  BOOST_TEST((recorded("poll") == std::vector<ds>{ds::paused, ds::up}));
  BOOST_TEST((watch_specs().back() == "pause poll")); // no resume record
  BOOST_REQUIRE(yes(pause("poll")));
  fail("poll"); // a failure resumes it too, down
  BOOST_TEST((status("poll") == ds::down));
}

BOOST_AUTO_TEST_CASE(a_pause_forgets_a_failure_and_the_runs_in_progress) {
  spawn(config());
  begin("poll", 1);
  fail("poll", 2);
  BOOST_REQUIRE(yes(pause("poll")));
  BOOST_REQUIRE(yes(resume("poll")));
  BOOST_TEST((status("poll") == ds::up)); // run 1 is no longer held
  advance(10s);
  BOOST_TEST((status("poll") == ds::up));
}

BOOST_AUTO_TEST_CASE(
    pausing_twice_answers_false_and_an_unwatched_command_is_an_error) {
  spawn(config());
  auto not_paused = resume("poll");
  BOOST_REQUIRE(not_paused);
  BOOST_TEST(!*not_paused);
  auto paused = pause("poll");
  BOOST_REQUIRE(paused);
  BOOST_TEST(*paused);
  auto again = pause("poll");
  BOOST_REQUIRE(again);
  BOOST_TEST(!*again);
  BOOST_TEST((watch_specs() ==
              std::vector<std::string>{
                  "watch every=10000000000 grace=5000000000 fail=down poll",
                  "pause poll"}));
  auto unknown = pause("report");
  BOOST_REQUIRE(!unknown);
  BOOST_TEST(is(unknown.error(), errc::not_found));
  BOOST_TEST(render(unknown.error()) ==
             "not_found: controller 'watchdog' does not watch 'report'");
  auto unknown_resume = resume("report");
  BOOST_REQUIRE(!unknown_resume);
  BOOST_TEST(is(unknown_resume.error(), errc::not_found));
}

BOOST_AUTO_TEST_CASE(a_paused_watch_changed_at_run_time_stays_paused) {
  spawn(config(action_call));
  BOOST_REQUIRE(yes(pause("poll")));
  BOOST_REQUIRE(yes(
      ask<bool>(controller, watch_atom::value, watch{"poll", 10s, 5s, 3s})));
  BOOST_TEST((status("poll") == ds::paused));
  step(1h); // neither an early call (lead) nor a late one
  BOOST_TEST(intents->empty());
  BOOST_TEST((recorded("poll") == std::vector<ds>{ds::paused}));
}

BOOST_AUTO_TEST_CASE(a_pause_survives_a_restart_by_replay_and_snapshot) {
  for (uint64_t every : {0u, 1u}) {
    auto cfg = config();
    cfg.snapshot_every = every;
    spawn(cfg);
    call("poll");
    BOOST_REQUIRE(yes(pause("poll")));
    call("other"); // a snapshot after the pause
    stop();
    advance(1h);
    start();
    spawn(cfg);
    BOOST_TEST((status("poll") == ds::paused), "snapshot_every " << every);
    BOOST_REQUIRE(yes(resume("poll")));
    auto resumed_at = now();
    stop();
    advance(3s);
    start();
    spawn(cfg);
    // Measured from the resume, after the restart as before it.
    BOOST_TEST((status("poll") == ds::up));
    advance(7s);
    BOOST_TEST((status("poll") == ds::up));
    advance(1ns);
    BOOST_TEST((status("poll") == ds::late));
    BOOST_TEST((now() == resumed_at + 10s + 1ns));
    stop();
    start();
  }
}

BOOST_AUTO_TEST_CASE(a_snapshot_of_an_earlier_build_is_passed_over) {
  auto t0 = now();
  spawn(config());
  stop();
  start();
  // A /2 snapshot (version 1 deadlines) claiming a call the log lacks.
  detail::snapshot_writer w{"tc.controller/2"};
  w.str("watchdog");
  w.u64(1);
  w.str("poll");
  deadline d{10s, 5s, t0, true};
  d.called(t0 + 100s);
  w.str(d.serialize());
  BOOST_REQUIRE(!store->save_snapshot("controller:watchdog", store->last_seq(),
                                      std::move(w).take()));
  advance(105s);
  spawn(config());
  BOOST_TEST((status("poll") == ds::down)); // the log, read whole
}

BOOST_AUTO_TEST_CASE(a_lead_not_shorter_than_the_period_is_refused) {
  auto bad = spawn_controller(*rt, {"watchdog", {{"poll", 1s, 0s, 1s}}});
  BOOST_REQUIRE(!bad);
  BOOST_TEST(render(bad.error()) ==
             "bad_config: watch 'poll': the lead (1000000000ns) must be "
             "shorter than the period (1000000000ns)");
  spawn(config());
  auto longer =
      ask<bool>(controller, watch_atom::value, watch{"poll", 10s, 5s, 11s});
  BOOST_REQUIRE(!longer);
  BOOST_TEST(is(longer.error(), errc::bad_config));
  auto negative =
      ask<bool>(controller, watch_atom::value, watch{"poll", 10s, 5s, -1ns});
  BOOST_REQUIRE(!negative);
  BOOST_TEST(render(negative.error()) ==
             "bad_config: watch 'poll': the lead must not be negative");
  // Nothing refused was recorded.
  BOOST_TEST(stored({.type = event_type::policy_changed}).size() == 1u);
}

// -- cron watches -------------------------------------------------------------

namespace {

// The instant of a UTC civil time.
tc::time_point utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0) {
  using namespace std::chrono;
  auto t = sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi};
  return tc::time_point{duration_cast<tc::duration>(t.time_since_epoch())};
}

// The next fire time of `expression` after `t`.
time_point next_fire(std::string_view expression, time_point t) {
  auto schedule = cron_schedule::parse(expression);
  BOOST_REQUIRE(schedule.ok());
  auto next = schedule->next_after(t);
  BOOST_REQUIRE(next.has_value());
  return *next;
}

watch cron_watch(std::string command, std::string expression, duration grace) {
  return {std::move(command), 0s, grace, 0s, false, std::move(expression)};
}

} // namespace

BOOST_AUTO_TEST_CASE(a_cron_watch_goes_late_and_down_and_back_up) {
  auto cfg = config();
  cfg.watches = {cron_watch("backup", "*/10 * * * *", 1min)};
  spawn(cfg);
  BOOST_TEST((watch_specs() ==
              std::vector<std::string>{"watch cron=\"*/10 * * * *\" "
                                       "grace=60000000000 fail=down backup"}));
  // Never called: due at the first fire time after the watch began.
  auto due = next_fire("*/10 * * * *", now());
  advance(due - now());
  BOOST_TEST((status("backup") == ds::never_called));
  advance(1ns);
  BOOST_TEST((recorded("backup") == std::vector<ds>{ds::late}));
  advance(1min - 1ns); // exactly the end of grace: still late
  BOOST_TEST((recorded("backup") == std::vector<ds>{ds::late}));
  advance(1ns);
  BOOST_TEST((recorded("backup") == std::vector<ds>{ds::late, ds::down}));
  auto missed = stored({.type = event_type::deadline_missed});
  BOOST_REQUIRE(missed.size() == 1u);
  BOOST_TEST(std::get<deadline_missed>(missed[0].body).late_by.count() == 1);
  BOOST_TEST(in->alarms.size() == 2u);
  // A call brings it up, due at the next fire time after it.
  advance(30s);
  call("backup");
  due = next_fire("*/10 * * * *", now());
  BOOST_TEST((status("backup") == ds::up));
  step(due - now());
  BOOST_TEST((status("backup") == ds::up));
  step(1ns);
  BOOST_TEST((recorded("backup") ==
              std::vector<ds>{ds::late, ds::down, ds::up, ds::late}));
  call("backup"); // called within grace
  BOOST_TEST((recorded("backup") ==
              std::vector<ds>{ds::late, ds::down, ds::up, ds::late, ds::up}));
  BOOST_TEST(stored({.type = event_type::deadline_missed}).size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_cron_watch_fails_pauses_and_resumes_as_a_period_one) {
  auto cfg = config();
  cfg.watches = {cron_watch("backup", "0 * * * *", 5min)};
  spawn(cfg);
  fail("backup");
  BOOST_TEST((status("backup") == ds::down));
  call("backup");
  BOOST_TEST((status("backup") == ds::up));
  BOOST_REQUIRE(yes(pause("backup")));
  advance(3h);
  BOOST_TEST((status("backup") == ds::paused));
  BOOST_REQUIRE(yes(resume("backup")));
  // Due at the first fire time after the resume.
  auto due = next_fire("0 * * * *", now());
  step(due - now());
  BOOST_TEST((status("backup") == ds::up));
  step(1ns);
  BOOST_TEST((status("backup") == ds::late));
}

BOOST_AUTO_TEST_CASE(a_cron_watch_in_a_time_zone_survives_a_restart) {
  // Europe/Berlin, 02:30 daily, restarted by replay (snapshot_every 0)
  // around the spring-forward day (28 March 2027: 02:00 CET becomes 03:00
  // CEST at 01:00 UTC; 02:30 does not exist and is due at 03:00 CEST), and
  // from a snapshot around the fall-back day (31 October 2027: 03:00 CEST
  // becomes 02:00 CET at 01:00 UTC; 02:30 is due the first time, 00:30 UTC).
  struct round {
    uint64_t every;
    std::string command;
    time_point day_before;
    time_point due;
  };
  for (auto& r :
       {round{0, "spring", utc(2027, 3, 27, 12), utc(2027, 3, 28, 1)},
        round{1, "fall", utc(2027, 10, 30, 12), utc(2027, 10, 31, 0, 30)}}) {
    BOOST_TEST_CONTEXT(r.command) {
      advance(r.day_before - now());
      auto cfg = config();
      cfg.watches = {
          cron_watch(r.command, "TZ=Europe/Berlin 30 2 * * *", 10min)};
      cfg.snapshot_every = r.every;
      spawn(cfg);
      call(r.command);
      call("other"); // one more event: a snapshot after the call
      stop();
      advance(r.due - time->now()); // the process is not running
      start();
      spawn(cfg);
      BOOST_TEST((status(r.command) == ds::up));
      step(1ns);
      BOOST_TEST((status(r.command) == ds::late));
      stop();
      advance(10min - 1ns); // exactly the end of grace, stopped
      start();
      spawn(cfg);
      BOOST_TEST((status(r.command) == ds::late));
      step(1ns);
      BOOST_TEST((status(r.command) == ds::down));
      BOOST_TEST(
          (recorded(r.command) == std::vector<ds>{ds::up, ds::late, ds::down}));
      // Called again: due the next day at 02:30 (the repeated 02:30 of the
      // fall-back day is not a due time).
      call(r.command);
      auto next = next_fire("TZ=Europe/Berlin 30 2 * * *", now());
      BOOST_TEST((next - r.due > 23h));
      stop();
      advance(next - time->now());
      start();
      spawn(cfg);
      BOOST_TEST((status(r.command) == ds::up));
      step(1ns);
      BOOST_TEST((status(r.command) == ds::late));
      // The configured watch was recorded once.
      auto specs = watch_specs();
      BOOST_TEST(std::count_if(specs.begin(), specs.end(), [&](auto& x) {
                   return x.ends_with(" " + r.command);
                 }) == 1);
      stop();
      start();
    }
  }
  if (auto saved = store->load_snapshot("controller:watchdog"))
    BOOST_TEST(saved->has_value());
  else
    BOOST_FAIL(render(saved.error()));
}

BOOST_AUTO_TEST_CASE(bad_cron_watches_are_refused_with_the_reason) {
  auto bad = spawn_controller(
      *rt, {"watchdog", {cron_watch("backup", "61 * * * *", 1min)}});
  BOOST_REQUIRE(!bad);
  BOOST_TEST(render(bad.error()) ==
             "bad_config: watch 'backup': the cron schedule '61 * * * *' does "
             "not parse: minute: 61 is out of range 0-59 (at byte 0)");
  auto zone = spawn_controller(
      *rt, {"watchdog",
            {cron_watch("backup", "TZ=Nowhere/Atlantis 0 * * * *", 1min)}});
  BOOST_REQUIRE(!zone);
  BOOST_TEST(is(zone.error(), errc::bad_config));
  BOOST_TEST(render(zone.error()).find("Nowhere/Atlantis") !=
             std::string::npos);
  auto both = watch{"backup", 1h, 1min, 0s, false, "0 * * * *"};
  auto with_period = spawn_controller(*rt, {"watchdog", {both}});
  BOOST_REQUIRE(!with_period);
  BOOST_TEST(render(with_period.error()) ==
             "bad_config: watch 'backup': a cron watch has no period (give a "
             "period or a cron schedule, not both)");
  auto lead = watch{"backup", 0s, 1min, 1s, false, "0 * * * *"};
  auto with_lead = spawn_controller(*rt, {"watchdog", {lead}});
  BOOST_REQUIRE(!with_lead);
  BOOST_TEST(render(with_lead.error()).find("takes no lead") !=
             std::string::npos);
  spawn(config());
  auto refused = ask<bool>(controller, watch_atom::value,
                           cron_watch("backup", "* * * *", 1min));
  BOOST_REQUIRE(!refused);
  BOOST_TEST(render(refused.error()) ==
             "bad_config: watch 'backup': the cron schedule '* * * *' does not "
             "parse: expected 5 fields (minute hour day-of-month month "
             "day-of-week), got 4 (at byte 7)");
  // Nothing refused was recorded.
  BOOST_TEST(stored({.type = event_type::policy_changed}).size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_logged_cron_watch_that_no_longer_parses_is_not_watched) {
  // As after its time zone left the system's tz database: the command is
  // not watched (and the others are), until watched anew.
  BOOST_REQUIRE(!rt->record(
      "watchdog", policy_changed{"watch cron=\"TZ=Nowhere/Atlantis 0 * * * "
                                 "*\" grace=1 fail=down backup"}));
  run();
  spawn(config());
  auto unknown = ask<deadline_status>(controller, status_atom::value,
                                      std::string{"backup"});
  BOOST_REQUIRE(!unknown);
  BOOST_TEST(is(unknown.error(), errc::not_found));
  BOOST_TEST((status("poll") == ds::never_called));
  BOOST_REQUIRE(ask<bool>(controller, watch_atom::value,
                          cron_watch("backup", "0 * * * *", 1s)));
  BOOST_TEST((status("backup") == ds::never_called));
}

BOOST_AUTO_TEST_CASE(a_watch_changes_between_a_period_and_a_cron_at_run_time) {
  spawn(config()); // poll every 10 s, grace 5 s
  call("poll");
  BOOST_REQUIRE(ask<bool>(controller, watch_atom::value,
                          cron_watch("poll", "0 0 * * *", 1min)));
  // Due at midnight now; what the calls said stays.
  auto due = next_fire("0 0 * * *", now());
  BOOST_TEST((due - now() > 1min));
  step(due - now());
  BOOST_TEST((status("poll") == ds::up));
  step(1ns);
  BOOST_TEST((status("poll") == ds::late));
  BOOST_REQUIRE(
      ask<bool>(controller, watch_atom::value, watch{"poll", 10s, 5s}));
  call("poll");
  advance(10s + 1ns);
  BOOST_TEST((status("poll") == ds::late));
  BOOST_TEST(watch_specs().size() == 3u);
}

BOOST_AUTO_TEST_CASE(a_snapshot_of_the_previous_build_still_reads) {
  // A /3 snapshot (version 2 deadlines) claiming a call the log lacks: it
  // is believed, as a /4 one is.
  auto t0 = now();
  spawn(config());
  stop();
  start();
  detail::snapshot_writer w{"tc.controller/3"};
  w.str("watchdog");
  w.u64(1);
  w.str("poll");
  deadline d{10s, 5s, t0, true};
  d.called(t0 + 100s);
  auto bytes = d.serialize();
  bytes[1] = 2;     // version 2...
  bytes.pop_back(); // ...has no cron expression
  BOOST_REQUIRE(deadline::deserialize(bytes).has_value());
  w.str(bytes);
  BOOST_REQUIRE(!store->save_snapshot("controller:watchdog", store->last_seq(),
                                      std::move(w).take()));
  advance(105s);
  spawn(config());
  BOOST_TEST((status("poll") == ds::up));
}

// Simulated time jumps over the intermediate instants here, so each command
// is seen down at once (as when a process was too busy to look).
BOOST_AUTO_TEST_CASE(ten_thousand_commands_share_one_timer) {
  controller_config cfg = config();
  cfg.watches.clear();
  for (int i = 0; i < 10'000; ++i)
    cfg.watches.push_back({"c" + std::to_string(i), 10s + i * 1ms, 0s});
  spawn(cfg);
  // Only one timer is pending however many commands are watched.
  BOOST_TEST(sched->clock().schedule().size() == 1u);
  advance(20s);
  BOOST_TEST(stored({.type = event_type::deadline_missed}).size() == 10'000u);
}

// The statuses recorded for `command`, as text (for the messages).
std::string seq_of(controller_fixture& f, const std::string& command) {
  std::string r;
  for (auto x : f.recorded(command))
    r += std::string{r.empty() ? "" : ","} + std::string{to_string(x)};
  return r;
}

// -- event time at the edges (cases a breaker found) -------------------------

// A call stamped exactly at the instant the watch turns late (due + 1 ns) is a
// call made after its due time (deadline.hpp: late once last + period < now).
// Its event comes while a held stamp keeps the watermark before the change:
// the change at due + 1 ns is decided before the call is applied.
BOOST_AUTO_TEST_CASE(a_call_stamped_at_the_change_to_late_is_late) {
  spawn(config()); // poll: 10s + 5s grace
  call("poll");    // t0: due at t0 + 10s, late from t0 + 10s + 1ns
  advance(1s);
  auto slot = rt->backlog_ptr()->open_slot();
  slot->hold(now()); // holds the watermark at t0 + 1s
  sched->advance_time(std::chrono::duration_cast<caf::timespan>(9s + 1ns));
  call("poll"); // stamped t0 + 10s + 1ns: 1 ns past due
  slot->clear();
  advance(1s);
  BOOST_TEST_MESSAGE("recorded: " << seq_of(*this, "poll"));
  BOOST_TEST((recorded("poll") == std::vector<ds>{ds::up, ds::late, ds::up}));
  BOOST_TEST(stored({.type = event_type::deadline_missed}).size() == 1u);
}

// The same without a held stamp: the timer decides the change first.
BOOST_AUTO_TEST_CASE(
    a_call_at_the_change_to_late_is_late_without_a_held_stamp_too) {
  spawn(config());
  call("poll");
  advance(1s);
  step(9s + 1ns); // the timer at t0 + 10s + 1ns runs: late
  call("poll");
  advance(1s);
  BOOST_TEST_MESSAGE("recorded: " << seq_of(*this, "poll"));
  BOOST_TEST((recorded("poll") == std::vector<ds>{ds::up, ds::late, ds::up}));
  BOOST_TEST(stored({.type = event_type::deadline_missed}).size() == 1u);
}

// A run that outlasts its grace is down from start + grace + 1 ns; its finish
// stamped exactly then, coming while the watermark is held before it, comes
// after the down.
BOOST_AUTO_TEST_CASE(a_run_that_ends_at_the_change_to_down_was_down) {
  spawn(config()); // poll: 10s + 5s grace
  advance(1s);
  begin("poll", 7); // run 7 starts at t1; down from t1 + 5s + 1ns
  auto slot = rt->backlog_ptr()->open_slot();
  slot->hold(now()); // holds the watermark at t1
  sched->advance_time(std::chrono::duration_cast<caf::timespan>(5s + 1ns));
  end("poll", 7); // stamped t1 + 5s + 1ns
  slot->clear();
  advance(1s);
  BOOST_TEST_MESSAGE("recorded: " << seq_of(*this, "poll"));
  BOOST_TEST((recorded("poll") == std::vector<ds>{ds::up, ds::down, ds::up}));
  BOOST_TEST(stored({.type = event_type::deadline_missed}).size() == 1u);
}

// A pause after the due time comes after late (without a held stamp; with
// one, a pause applies at once: the limit the README names).
BOOST_AUTO_TEST_CASE(a_pause_after_the_due_time_comes_after_late) {
  spawn(config());
  call("poll");
  advance(9s);
  step(1500ms);
  BOOST_REQUIRE(yes(pause("poll")));
  advance(1h);
  BOOST_TEST_MESSAGE("recorded: " << seq_of(*this, "poll"));
  BOOST_TEST(
      (recorded("poll") == std::vector<ds>{ds::up, ds::late, ds::paused}));
  BOOST_TEST(stored({.type = event_type::deadline_missed}).size() == 1u);
}

// poll (10s + 5s grace) called at t0, a stamp held from t0 + 9s, and a
// fact of poll stamped t0 + 10.5s, which decides late as of t0 + 10s + 1ns
// while the held stamp keeps the watermark before it. The held slot.
std::shared_ptr<detail::stamp_slot>
late_decided_by_a_later_fact(controller_fixture& f) {
  f.spawn(f.config());
  f.call("poll");
  f.advance(9s);
  auto slot = f.rt->backlog_ptr()->open_slot();
  slot->hold(f.now());
  f.sched->advance_time(std::chrono::duration_cast<caf::timespan>(1500ms));
  f.run();
  BOOST_REQUIRE(!f.rt->record("poll", policy_changed{"1/s"}));
  f.run();
  BOOST_REQUIRE((f.recorded("poll") == std::vector<ds>{ds::up, ds::late}));
  return slot;
}

// Then, the stamp released and an hour on: late, then down, one miss.
void ends_down_after_one_miss(controller_fixture& f, detail::stamp_slot& slot) {
  slot.clear();
  f.advance(1h);
  BOOST_TEST_MESSAGE("recorded: " << seq_of(f, "poll"));
  BOOST_TEST(
      (f.recorded("poll") == std::vector<ds>{ds::up, ds::late, ds::down}));
  BOOST_TEST(f.stored({.type = event_type::deadline_missed}).size() == 1u);
}

// A change of the watch that keeps its period (here: failures now count as
// calls) is not decided as of that earlier watermark again: no late -> up
// without a call, no second miss.
BOOST_AUTO_TEST_CASE(
    a_watch_change_does_not_undo_a_late_decided_by_a_later_fact) {
  auto slot = late_decided_by_a_later_fact(*this);
  BOOST_REQUIRE(yes(ask<bool>(controller, watch_atom::value,
                              watch{"poll", 10s, 5s, 0s, true})));
  BOOST_TEST((recorded("poll") == std::vector<ds>{ds::up, ds::late}));
  ends_down_after_one_miss(*this, *slot);
}

// The same with a restart of the controller (the runtime and its held stamp
// stay): the new controller does not decide its start as of a watermark
// before the time late was recorded.
BOOST_AUTO_TEST_CASE(a_restart_while_a_stamp_is_held_keeps_late) {
  auto slot = late_decided_by_a_later_fact(*this);
  caf::anon_send_exit(controller, caf::exit_reason::user_shutdown);
  run();
  spawn(config());
  BOOST_TEST((recorded("poll") == std::vector<ds>{ds::up, ds::late}));
  ends_down_after_one_miss(*this, *slot);
}

// A cron watch whose late call comes while a stamp is held (max_event_delay
// 1h) is recorded up, late, down, up with one miss; a failed call then a
// late call records up, down, up and no miss.
BOOST_AUTO_TEST_CASE(a_late_call_of_a_cron_watch_is_late_then_down_then_up) {
  auto cfg = config();
  cfg.max_event_delay = 1h;
  cfg.watches = {watch{"nightly", 0s, 5s, 0s, false, "* * * * *"}};
  spawn(cfg);
  call("nightly");
  auto slot = rt->backlog_ptr()->open_slot();
  slot->hold(now());
  sched->advance_time(std::chrono::duration_cast<caf::timespan>(150s));
  run();
  call("nightly");
  slot->clear();
  advance(1s);
  BOOST_TEST_MESSAGE("recorded: " << seq_of(*this, "nightly"));
  BOOST_TEST((recorded("nightly") ==
              std::vector<ds>{ds::up, ds::late, ds::down, ds::up}));
  BOOST_TEST(stored({.type = event_type::deadline_missed}).size() == 1u);
}

BOOST_AUTO_TEST_CASE(
    a_failure_then_a_late_call_is_down_then_up_without_a_miss) {
  auto cfg = config();
  cfg.max_event_delay = 1h;
  spawn(cfg);
  fail("poll");
  auto slot = rt->backlog_ptr()->open_slot();
  slot->hold(now());
  sched->advance_time(std::chrono::duration_cast<caf::timespan>(30s));
  run();
  call("poll");
  slot->clear();
  advance(1s);
  BOOST_TEST_MESSAGE("recorded: " << seq_of(*this, "poll"));
  BOOST_TEST((recorded("poll") == std::vector<ds>{ds::up, ds::down, ds::up}));
  BOOST_TEST(stored({.type = event_type::deadline_missed}).size() == 0u);
}

// An early call (lead) records nothing and needs no watermark: a stamp held
// from just before the early time does not hold it back.
BOOST_AUTO_TEST_CASE(a_held_stamp_does_not_delay_an_early_call) {
  auto t0 = now();
  auto cfg = config(action_call);
  cfg.watches = {{"poll", 10s, 5s, 500ms}}; // early call at t0 + 9.5s
  spawn(cfg);
  step(9400ms);
  auto slot = rt->backlog_ptr()->open_slot();
  slot->hold(now()); // t0 + 9.4s, a Command's operation running
  step(200ms);       // t0 + 9.6s: past the early time
  slot->clear();     // the operation ends
  step(50ms);
  BOOST_TEST_MESSAGE("intents " << intents->size());
  BOOST_REQUIRE(intents->size() >= 1u);
  BOOST_TEST((*asked_at)[0] <= t0 + 10s); // asked before the due time
}

// The same hold, for longer than the lead but shorter than max_event_delay.
BOOST_AUTO_TEST_CASE(
    an_early_call_is_asked_while_a_stamp_is_held_past_the_due_time) {
  auto t0 = now();
  auto cfg = config(action_call);
  cfg.watches = {{"poll", 10s, 5s, 500ms}}; // early call at t0 + 9.5s
  spawn(cfg);
  step(9400ms);
  auto slot = rt->backlog_ptr()->open_slot();
  slot->hold(now()); // t0 + 9.4s
  step(900ms);       // t0 + 10.3s: the hold lasted 0.9 s < 1 s
  slot->clear();
  step(1s);
  BOOST_TEST_MESSAGE("intents " << intents->size());
  BOOST_REQUIRE(intents->size() >= 1u);
  BOOST_TEST_MESSAGE("recorded: " << seq_of(*this, "poll"));
  BOOST_TEST_MESSAGE("first asked at t0 + " << ((*asked_at)[0] - t0).count()
                                            << "ns");
  // At t0 + 9.5s (the early call needs no watermark), not the late
  // reaction's call at t0 + 10.5s.
  BOOST_TEST((*asked_at)[0] <= t0 + 10s);
}

BOOST_AUTO_TEST_SUITE_END()
