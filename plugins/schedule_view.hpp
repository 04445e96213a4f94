// schedule_view: what will run when, as the Scheduler's events tell it.
//
// It folds one Scheduler's events (intent_scheduled, intent_fired,
// intent_misfired, intent_cancelled of the source `scheduler`) into its
// pending intents: each with its target, trigger and misfire specs, priority,
// arguments (as intent_scheduled stores them), how often it fired, the last
// due time it fired for, and its next due time. The next due time comes from
// the same policies the Scheduler rebuilds its schedule with
// (policies/intent_progress.hpp): the fire time of its trigger after the
// latest one fired or misfired. An intent leaves the view when it is
// cancelled or has run out (a "once" that fired, an "every ... times n" that
// fired n times).
//
// Like every plugin it has no clock: "next" is relative to the events seen,
// so a next due time may lie before the latest event (the Scheduler was
// stopped, or busy) -- the Scheduler then applies the intent's misfire rule
// when it gets to it, and the view learns what happened from the events that
// records. until() is the time of the latest event seen.
//
//   tc::schedule_view v;                       // the default "scheduler"
//   if (auto err = tc::rebuild(store, v)) ...
//   for (auto& run : v.upcoming(from, until, 20))
//     ... run.due, run.id, v.find(run.id)->target ...
//
// Read live from another actor: run it with spawn_plugin() and ask that
// actor with read_plugin<schedule_view>() (actors/read_plugin.hpp), which
// sends (status_atom), loads the answered bytes into a fresh view and hands
// it over.
//
// An intent_scheduled whose trigger, misfire spec or arguments do not parse
// (a log written by a newer version) cannot be placed; its id is listed in
// unreadable() with the reason instead of failing the whole view.
//
// The Scheduler rebuilds its schedule through this view: it is the one fold
// of the Scheduler's events.

#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "timecontrol/core/time.hpp"
#include "timecontrol/events/intent.hpp"
#include "timecontrol/plugins/plugin.hpp"
#include "timecontrol/policies/intent_progress.hpp"
#include "timecontrol/policies/trigger.hpp"

namespace tc {

/// A pending intent, as its events describe it.
struct pending_intent {
  uint64_t id = 0;
  /// The command to call.
  std::string target;
  /// The trigger and misfire specs as stored (canonical where the Scheduler
  /// makes them so, e.g. "every 5s from <ns>").
  std::string trigger_spec;
  std::string misfire_spec;
  int32_t priority = 0;
  /// The arguments as intent_scheduled stores them (see
  /// decode_intent_args() in events/intent.hpp).
  std::string args;
  /// The key it was scheduled under; empty for none.
  std::string key;
  /// Firings recorded (intent_fired).
  uint64_t fired = 0;
  /// The due time of the latest firing; empty before any.
  std::optional<time_point> last_fired;
  /// The next due time (see above).
  time_point next{};
  /// When it was scheduled, and the latest fire time handled.
  intent_progress progress;
  /// The trigger, parsed from trigger_spec as the Scheduler parses it.
  trigger trig{once_trigger{time_point{}}};

  friend bool operator==(const pending_intent&,
                         const pending_intent&) = default;
};

/// One fire time of one intent.
struct scheduled_run {
  time_point due{};
  uint64_t id = 0;
  int32_t priority = 0;

  friend bool operator==(const scheduled_run&, const scheduled_run&) = default;
};

class schedule_view final : public plugin {
public:
  /// Reads the events of the Scheduler named `scheduler`.
  explicit schedule_view(std::string scheduler = std::string{
                             default_scheduler_name});

  /// "schedule_view" for the default Scheduler, "schedule_view/<name>" for
  /// another.
  std::string name() const override;

  /// The Scheduler's events only.
  replay_query filter() const override;

  /// The pending intents, the unreadable ones, until() and the Scheduler's
  /// name (a loaded snapshot brings its own).
  std::string save() const override;

  [[nodiscard]] caf::error load(std::string_view bytes) override;

  // -- results ----------------------------------------------------------------

  /// The Scheduler whose events it reads.
  const std::string& scheduler() const noexcept { return scheduler_; }

  /// The pending intents, by id.
  const std::map<uint64_t, pending_intent>& pending() const noexcept {
    return pending_;
  }

  /// nullptr if `id` is not pending.
  const pending_intent* find(uint64_t id) const;

  /// The fire times in [from, until] of the pending intents, from each one's
  /// next due time on (repeating triggers expanded), at most `limit` of
  /// them: in order of time, then higher priority, then lower id -- the
  /// order in which the Scheduler takes intents due at the same time.
  /// `target` non-empty: only intents for that command.
  std::vector<scheduled_run> upcoming(time_point from, time_point until,
                                      size_t limit,
                                      std::string_view target = {}) const;

  /// The earliest next due time among the intents for `target`, in the
  /// order of upcoming(); empty if none is pending.
  std::optional<scheduled_run> next(std::string_view target) const;

  /// Intents whose intent_scheduled could not be read: id -> reason.
  const std::map<uint64_t, std::string>& unreadable() const noexcept {
    return unreadable_;
  }

  /// The pending intent scheduled under `key`; nullptr if none is.
  const pending_intent* keyed(std::string_view key) const;

  /// What the intents scheduled under a key have done, pending or not.
  struct key_history {
    /// The latest intent scheduled under the key.
    uint64_t last_id = 0;
    /// The latest due time any of them handled (fired or missed).
    std::optional<time_point> handled;
    friend bool operator==(const key_history&, const key_history&) = default;
  };

  /// Every key used, with its history (one entry per key ever used).
  const std::map<std::string, key_history, std::less<>>&
  key_histories() const noexcept {
    return key_histories_;
  }

  /// The highest intent id ever scheduled (pending or not); 0 before any.
  /// A Scheduler numbers its next intent after it.
  uint64_t last_id() const noexcept { return last_id_; }

  /// The time of the latest event seen.
  time_point until() const noexcept { return until_; }

protected:
  void apply(const envelope& x) override;

private:
  void advance(std::map<uint64_t, pending_intent>::iterator i);

  // Notes in key_histories_ what `p` handled.
  void note_handled(const pending_intent& p);

  // Takes `id` out of the pending intents and the keys.
  void forget(uint64_t id);

  std::string scheduler_;
  std::map<uint64_t, pending_intent> pending_;
  std::map<uint64_t, std::string> unreadable_;
  std::map<std::string, uint64_t, std::less<>> keys_;
  std::map<std::string, key_history, std::less<>> key_histories_;
  uint64_t last_id_ = 0;
  time_point until_{};
};

} // namespace tc
