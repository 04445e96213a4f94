// A Controller: watches commands that must each be called often enough.
//
// Each watched command has a deadline: a period and a grace on top
// (policies/deadline.hpp). The controller learns of calls from the Bus
// (call_started and call_finished events whose source is the command), keeps
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
// It runs one timer, for the earliest next status change of all its
// commands, so it scales to many commands. On start it rebuilds its state
// from the log (watches added at run time, calls, the statuses it last
// recorded) and then reports what changed while the process was stopped: a
// command that went down meanwhile is reported down right after the start.
// The rebuild reads the whole log once (about 3 million events per second
// here); starting from a snapshot is not built yet.

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

namespace tc {

class runtime;

/// One watched command.
struct watch {
  std::string command{};
  duration period{0};
  duration grace{0};
  friend bool operator==(const watch&, const watch&) = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, watch& x) {
  return f(caf::meta::type_name("tc::watch"), x.command, x.period, x.grace);
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
};

using controller_actor = caf::typed_actor<
    // Watches a command (or changes its period and grace); recorded.
    caf::replies_to<watch_atom, watch>::with<bool>,
    // Stops watching a command; false if it was not watched.
    caf::replies_to<unwatch_atom, std::string>::with<bool>,
    // The status of a watched command; errc::not_found for another.
    caf::replies_to<status_atom, std::string>::with<deadline_status>,
    // Adds a receiver of alarms.
    caf::reacts_to<subscribe_atom, caf::actor>,
    // From the Bus.
    caf::reacts_to<deliver_atom, uint64_t, envelope>,
    // Internal.
    caf::reacts_to<timer_atom, uint64_t>>;

/// Spawns a controller. Errors: errc::bad_config (empty name, a watch with
/// an empty command or a period that is not positive), errors reading the
/// log.
caf::expected<controller_actor> spawn_controller(runtime& rt,
                                                 controller_config config);

/// The spec a controller records (in policy_changed) when it starts watching
/// a command: "watch every=<ns> grace=<ns> <command>" (the command last, so
/// that it may hold blanks); "unwatch <command>" when it stops.
std::string watch_spec(const watch& x);

} // namespace tc
