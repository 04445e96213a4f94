// A Command: one operation that must not be called too often.
//
// A command is an actor in front of one operation: either another actor
// (the command is a proxy: every message it receives is a call, forwarded to
// the wrapped actor under the limiter, and the wrapped actor's answer goes
// back to the original caller) or a plain C++ callable taking the argument
// bytes of (call_atom, std::string args) and answering std::string.
//
// Its under-limiter (a limiter spec: "5/s burst 10", "20 per 10s",
// "min 200ms"; none means unlimited) decides each call. A call that comes
// too fast gets the command's action:
//   wait    queued (FIFO, at most queue_limit) and run as soon as the limiter
//           allows; a full queue answers errc::queue_full
//   reject  answered with errc::throttled, whose context says the retry-after
//   drop    not answered, not run; recorded as throttled (dropped)
//
// Every call is recorded: call_requested, then call_admitted or
// call_throttled, call_started, and call_finished (with its duration, ok or
// the error text) or call_timed_out. An operation that throws or fails is
// recorded as failed and answered with errc::operation_failed; the command
// goes on. On start the command replays its own events from the log, so its
// limiter is where it was: a limit cannot be escaped by restarting.
//
// Besides calls, a command understands:
//   (policy_atom, std::string spec)  -> bool: change the limiter (recorded as
//                                       policy_changed); errc::bad_config for
//                                       a bad spec
//   (check_atom)                     -> time_point: when the limiter would
//                                       admit a call (now if at once); used by
//                                       the Scheduler to fire without being
//                                       rejected

#pragma once

#include <functional>
#include <string>

#include <caf/actor.hpp>
#include <caf/expected.hpp>

#include "timecontrol/actors/atoms.hpp"
#include "timecontrol/core/time.hpp"

namespace tc {

class runtime;

/// What a command does with a call that comes too fast.
enum class on_throttle : uint8_t { wait, reject, drop };

struct command_config {
  /// The command's name: the source of its events, and how the Scheduler
  /// and Controllers name it. Must not be empty.
  std::string name;
  /// A limiter spec (policies/spec.hpp); empty means no limit.
  std::string limiter;
  on_throttle action = on_throttle::reject;
  /// Most calls waiting (action wait).
  size_t queue_limit = 1024;
  /// Most calls running at once; 0 means no limit. Further admitted calls
  /// wait for a free slot.
  size_t max_in_flight = 0;
  /// A call running longer is answered with errc::timed_out and recorded as
  /// call_timed_out; zero means no limit.
  duration timeout{0};
};

/// An operation that answers at once (or throws).
using sync_operation = std::function<caf::expected<std::string>(std::string)>;

/// An operation that answers later by calling `done` exactly once, from any
/// thread.
using async_operation = std::function<void(
    std::string args, std::function<void(caf::expected<std::string>)> done)>;

/// Spawns a command in front of the actor `target`. Errors: errc::bad_config
/// (empty name, bad limiter spec), and errors reading the log.
caf::expected<caf::actor> spawn_command(runtime& rt, command_config config,
                                        caf::actor target);

/// Spawns a command around a callable that answers at once.
caf::expected<caf::actor> spawn_command(runtime& rt, command_config config,
                                        sync_operation op);

/// Spawns a command around a callable that answers later.
caf::expected<caf::actor> spawn_command(runtime& rt, command_config config,
                                        async_operation op);

/// Calls `command` from non-actor code and waits for its answer (like the
/// original library's decorators): (call_atom, args) -> std::string. Not for
/// use under the test coordinator or on hot paths.
caf::expected<std::string> call_blocking(caf::actor_system& sys,
                                         const caf::actor& command,
                                         std::string args);

} // namespace tc
