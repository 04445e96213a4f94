// A Controller: watches commands that must each be called often enough.
//
// Each watched command has a deadline: a period and a grace on top
// (policies/deadline.hpp). The controller learns of calls from the Bus
// (call_admitted, when a run starts, and call_finished, when it ends, whose
// source is the command; in logs of earlier builds also call_started), keeps
// each command's status (new, up, late, down) and records every change as
// deadline_status_changed, and every overdue stretch once as deadline_missed.
// A command never called is due one period after it was put under watch.
//
// When a command turns late or down, the controller takes its actions:
//   call      puts an intent "call it now" into the Scheduler (the command's
//             own limiter still applies)
//   alarm     sends (alarm_atom, command, status) to every subscriber
//   escalate  sends (escalate_atom, command, status) to the supervisor
//
// Lead. A call that takes time, or waits for the Scheduler, is late if it
// is asked for only once the command is late. With the call action, a watch
// with a `lead` has the controller ask already at `due - lead` (due = last
// call + period, or one period after the watch began for a command never
// called), so that a call taking about `lead` has finished by the due time.
// It asks once per due time: a new call moves the due time and so allows the
// next request. It does not ask while a call of the command runs, nor once
// the command is late (then the late action above applies, as without a
// lead). Lead 0, the default, asks only when late. A lead must be shorter
// than the period. The lead is part of the watch: recorded in its spec,
// rebuilt on start, changed with (watch_atom, watch) like period and grace
// (a learning plugin does that: actors/learning.hpp). Which due times were
// asked for is not recorded, so a restart within the lead may ask once more.
// On start, a watch of controller_config that differs from the one in the
// log (say, by a lead changed at run time) replaces it, as for period and
// grace.
//
// It runs one timer, for the earliest next status change of all its
// commands, so it scales to many commands. On start it rebuilds its state
// from the log (watches added at run time, calls, the statuses it last
// recorded) and then reports what changed while the process was stopped: a
// command that went down meanwhile is reported down right after the start.
// The rebuild reads the whole log once (about 3 million events per second
// here), or, with a snapshot (controller_config::snapshot_every), the
// controller's own events and the log after the snapshot.
//
// What counts as a call: any call the command admits, and its end, whether
// it succeeded or failed (a poller that fails every time stays up; counting
// failures as healthchecks' fail signal does is not built yet). A call held
// before it ran (max_in_flight) runs from its call_started.

#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "timecontrol/actors/atoms.hpp"
#include "timecontrol/actors/scheduler.hpp"
#include "timecontrol/core/deadline_status.hpp"
#include "timecontrol/core/time.hpp"
#include "timecontrol/events/event.hpp"
#include "timecontrol/policies/watch_spec.hpp"

namespace tc {

class runtime;

/// One watched command: tc::watch (policies/watch_spec.hpp).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, watch& x) {
  return f(caf::meta::type_name("tc::watch"), x.command, x.period, x.grace,
           x.lead);
}

/// The actions of a controller, combined with `|`.
enum deadline_action : uint8_t {
  action_none = 0,
  action_call = 1,
  action_alarm = 2,
  action_escalate = 4,
};

struct controller_config {
  /// The controller's name: the source of its events. Must not be empty.
  std::string name{};
  std::vector<watch> watches{};
  /// deadline_action flags.
  uint8_t actions = action_alarm;
  /// Receives escalations (action_escalate).
  caf::actor supervisor{};
  /// Receives the "call now" intents (action_call); the runtime's Scheduler
  /// when not set.
  scheduler_actor scheduler{};
  /// Saves the watches' state (a snapshot, "controller:<name>" in the log's
  /// snapshots) after this many events from the Bus; a restart then reads
  /// only the events after it. 0: never. What a snapshot does not keep:
  /// which due time an early call (lead) was asked for, as without one.
  uint64_t snapshot_every = 100000;
};

using controller_actor = caf::typed_actor<
    // Watches a command (or changes its period, grace and lead); recorded.
    // errc::bad_config for a watch spawn_controller would refuse.
    caf::replies_to<watch_atom, watch>::with<bool>,
    // Stops watching a command; false if it was not watched.
    caf::replies_to<unwatch_atom, std::string>::with<bool>,
    // The status of a watched command; errc::not_found for another.
    caf::replies_to<status_atom, std::string>::with<deadline_status>,
    // Adds a receiver of alarms.
    caf::reacts_to<subscribe_atom, caf::actor>,
    // From the Bus.
    caf::reacts_to<deliver_atom, uint64_t, envelope>>;

/// Spawns a controller. Errors: errc::bad_config (empty name, a watch with
/// an empty command, a period that is not positive, a negative grace or
/// lead, a lead not shorter than the period), errors reading the log.
[[nodiscard]] caf::expected<controller_actor>
spawn_controller(runtime& rt, controller_config config);

// The spec a controller records (in policy_changed) when it starts watching
// a command, watch_spec(const watch&), is declared with tc::watch in
// policies/watch_spec.hpp: "watch every=<ns> grace=<ns> [lead=<ns>]
// <command>"; "unwatch <command>" when it stops.

} // namespace tc
