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
//
// Firing, step by step. The due intent comes off the schedule (a binary heap
// of (time, -priority, id), one timer for its top), takes one slot of the
// budget and asks its command (check_atom) when it would admit a call:
//   now     intent_fired is recorded, and once the Log has written it
//           (persist, then act) (call_atom, args) is sent; the slot is held
//           until the command answers (with a value or an error)
//   later   the slot is freed and the intent waits until the answered time,
//           then asks again; its due time (recorded in intent_fired) stays
// One intent per command holds the command from the check until the call is
// sent, so intents for one command never race each other past its limiter;
// others for that command wait their turn in order of time and priority.
//
// A fire held back past later fire times of its trigger (its command was not
// there, or the budget or the command's limiter held it) is decided with
// them by its misfire rule when it finally fires: coalesce runs once, for
// the latest, and records the others as missed; skip runs none of the
// missed; run-all runs each. So one run never follows another at once for
// consecutive fire times.
//
// Persist, then act: a call is made only once its intent_fired is written,
// and a schedule or cancel request is answered only once its event is
// written. A process killed at any moment therefore never ran a due time the
// log does not show as fired: no due time runs twice across restarts (one
// may run not at all: fired, then killed before the call). An id the caller
// got names an intent every later process finds.
//
// A target that is not registered (yet), or that answers the check with an
// error (gone, or not a command), is tried again as soon as a command of that
// name registers in the runtime, or else every `retry_unknown`; after
// `unknown_patience` past the due time that fire time is given up and
// recorded as intent_misfired (missed 1, skipped).
//
// Misfires. A fire time later than `grace` (the intent's misfire spec) when
// the Scheduler gets to it -- after a restart, or when the command's limiter
// or the budget held it back -- is missed; resolve_misfires() applies the
// rule (coalesce: one run for the latest; run-all: each runs, oldest first;
// skip: none) and intent_misfired records (first missed time, count, action).
//
// Triggers. An "every" without "from" starts when it is scheduled; its
// jitter is seeded with the intent id. intent_scheduled stores such a
// trigger, and "now", in canonical form (to_spec), so replay means the same.
//
// Arguments. Fixed ones are passed as they are. With args_seed != 0, `args`
// is a generator spec (policies/fuzzy_args.hpp) and firing number k (0, 1,
// ... per intent, counted across restarts) passes
// args_generator::draw(args_seed, k). intent_scheduled stores them as
// encode_intent_args() (events/intent.hpp) writes them.
//
// Keys. An intent with a key is scheduled only if no intent of that key is
// pending; otherwise the answer is the pending one's id and nothing is
// recorded. So a program schedules its recurring jobs under keys at every
// start, and each is scheduled once. A key remembers the latest due time its
// intents handled (fired or missed), also after they ran out or were
// cancelled: a new intent under the key skips due times up to it, and if
// none is left (a "once" job that ran), nothing is recorded and the answer
// is the key's latest intent's id. So no due time runs twice under one key.
//
// Rebuilding. The Scheduler rebuilds its schedule through the schedule_view
// plugin (plugins/schedule_view.hpp), starting from that view's snapshot:
// the one fold of the Scheduler's events. The Scheduler saves that snapshot
// itself now and then (scheduler_config::snapshot_every), built from the
// log rather than from its own state, so that it says exactly what the log
// holds up to the seq it covers (a live view may save one too).
//
// Memory, measured with 1 000 000 pending intents with short fixed arguments
// (bench.scheduler, scheduler_memory): about 185 bytes of heap per intent
// scheduled live, about 210 per intent rebuilt from the log on start -- the
// parsed trigger, the arguments, a hash map node and a 24-byte heap key.
// Intents for one command share its name.

#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "timecontrol/actors/atoms.hpp"
#include "timecontrol/core/time.hpp"
#include "timecontrol/events/intent.hpp"

namespace tc {

class runtime;

struct scheduler_config {
  /// The source of the Scheduler's events; a runtime has one Scheduler per
  /// name, and a restarted one with the same name continues its schedule.
  std::string name{default_scheduler_name};
  /// The budget: most intents between their check and the answer to their
  /// call, over all commands. At least 1.
  size_t max_in_flight = 16;
  /// How often a fire whose target is not registered is tried again.
  duration retry_unknown = std::chrono::seconds{1};
  /// How long after its due time such a fire is given up (recorded as
  /// intent_misfired, skipped).
  duration unknown_patience = std::chrono::minutes{1};
  /// A check or call not answered within this time frees its place in the
  /// budget (a command may drop calls); zero waits forever.
  duration call_timeout = std::chrono::minutes{5};
  /// Saves the schedule (the snapshot of plugins/schedule_view.hpp, under
  /// that view's name) after this many of its own events, and at least as
  /// many as it has pending intents; a restart then reads only its events
  /// after the snapshot. 0: never.
  uint64_t snapshot_every = 10000;
};

/// What a user or a controller asks the Scheduler for.
struct intent {
  /// The command to call (its name).
  std::string target{};
  /// The trigger spec: "now", "once <time>", "every <duration>" (optionally
  /// "every 5s jitter 1s", "... from <time> until <time> times <n>"), or
  /// "cron <5 fields>".
  std::string trigger{};
  /// The misfire rule spec: "coalesce", "run-all" or "skip", optionally with
  /// "grace <duration>"; empty means "coalesce".
  std::string misfire{};
  /// Higher fires first among intents due at the same time.
  int32_t priority = 0;
  /// The arguments passed to the command as (call_atom, args).
  std::string args{};
  /// When non-zero, the arguments of each firing are drawn from a generator
  /// seeded with (args_seed, firing number) instead of `args` (fuzzy runs);
  /// the drawn arguments are recorded in intent_fired.
  uint64_t args_seed = 0;
  /// Non-empty: schedule only unless an intent of this key is pending, and
  /// then answer that one's id (a program that restarts schedules its jobs
  /// again without looking into the log). The key is recorded in
  /// intent_scheduled; it is free again once its intent is cancelled or has
  /// run out.
  std::string key{};

  friend bool operator==(const intent&, const intent&) = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, intent& x) {
  return f(caf::meta::type_name("tc::intent"), x.target, x.trigger, x.misfire,
           x.priority, x.args, x.args_seed, x.key);
}

using scheduler_actor = caf::typed_actor<
    // Adds an intent; answers its id. errc::bad_config for a bad trigger or
    // misfire spec.
    caf::replies_to<schedule_atom, intent>::with<uint64_t>,
    // Cancels an intent; answers false if there is no such pending intent.
    caf::replies_to<cancel_atom, uint64_t>::with<bool>,
    // The number of pending intents.
    caf::replies_to<status_atom>::with<uint64_t>,
    // The next due time of a pending intent; errc::not_found if there is
    // none.
    caf::replies_to<status_atom, uint64_t>::with<time_point>>;

/// Spawns a Scheduler that rebuilds its schedule from `rt`'s store (events
/// of source `config.name`) and records through `rt`'s Log. Errors:
/// errc::bad_config (budget 0), and errors reading the log.
[[nodiscard]] caf::expected<scheduler_actor>
spawn_scheduler(runtime& rt, scheduler_config config = {});

} // namespace tc
