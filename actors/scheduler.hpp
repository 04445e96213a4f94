// The Scheduler: the plan of what runs when.
//
// It holds intents: call command X (by name, looked up in the runtime's
// command registry) with given arguments at a
// trigger ("once <ns since epoch>", "every 5s", "cron */5 * * * *"; see
// intent), with a priority and a misfire rule. It fires due intents in order
// of time and then priority, within a budget of calls in flight, and never
// faster than the target command allows: before firing it asks the command
// (check_atom) and waits until the command would admit the call. Every step
// is recorded: intent_scheduled, intent_fired (with the arguments passed, so
// replay is exact), intent_misfired, intent_cancelled.
//
// On start the Scheduler rebuilds its schedule from the log (scheduled minus
// cancelled and finished ones), applies each intent's misfire rule to what
// came due while the process was stopped, and never fires an intent twice
// for one due time.

#pragma once

#include <cstdint>
#include <string>

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "timecontrol/actors/atoms.hpp"
#include "timecontrol/core/time.hpp"

namespace tc {

class runtime;

/// What a user or a controller asks the Scheduler for.
struct intent {
  /// The command to call (its name).
  std::string target;
  /// The trigger spec: "now", "once <time>", "every <duration>" (optionally
  /// "every 5s jitter 1s", "... from <time> until <time> times <n>"), or
  /// "cron <5 fields>".
  std::string trigger;
  /// The misfire rule spec: "coalesce", "run-all" or "skip", optionally with
  /// "grace <duration>"; empty means "coalesce".
  std::string misfire;
  /// Higher fires first among intents due at the same time.
  int32_t priority = 0;
  /// The arguments passed to the command as (call_atom, args).
  std::string args;
  /// When non-zero, the arguments of each firing are drawn from a generator
  /// seeded with (args_seed, firing number) instead of `args` (fuzzy runs);
  /// the drawn arguments are recorded in intent_fired.
  uint64_t args_seed = 0;

  friend bool operator==(const intent&, const intent&) = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, intent& x) {
  return f(caf::meta::type_name("tc::intent"), x.target, x.trigger, x.misfire,
           x.priority, x.args, x.args_seed);
}

using scheduler_actor = caf::typed_actor<
    // Adds an intent; answers its id. errc::bad_config for a bad trigger or
    // misfire spec.
    caf::replies_to<schedule_atom, intent>::with<uint64_t>,
    // Cancels an intent; answers false if there is no such pending intent.
    caf::replies_to<cancel_atom, uint64_t>::with<bool>,
    // Internal: the timer for the next due intent.
    caf::reacts_to<timer_atom, uint64_t>>;

} // namespace tc
