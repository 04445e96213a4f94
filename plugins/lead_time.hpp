// lead_time: learns how long before its due time a watched command must be
// asked for, so that its call has finished by then, and recommends that as
// the watch's lead (actors/controller.hpp).
//
// What it reads (all from the log, nothing else):
//   * the watches of one controller -- the policy_changed events whose
//     source is `controller` (their text is a watch spec,
//     policies/watch_spec.hpp). They say which commands are watched, with
//     what period and grace, and which lead is applied now; so after a
//     restart the replay tells it what was applied before. It learns only
//     for commands that controller watches (and, if `commands` is given,
//     only for those). Cron watches are left out: they take no lead (a
//     command watched by cron is not learned for, and one changed from a
//     period to a cron watch is forgotten).
//   * per watched command, the durations of its calls (call_finished.took,
//     failed calls included: they took the time too), the last `window` of
//     them;
//   * and how long an intent for the command waited in the Scheduler:
//     from intent_fired (source `scheduler`, joined to its target through
//     intent_scheduled) to the command's next call_admitted (call_started
//     in logs of earlier builds), the last `window` of those.
//
// The recommendation for a command with at least `min_samples` durations:
//
//   lead = round_up(q(took) + q(wait) + margin, resolution)
//
// where q is the `quantile` (nearest rank, exact over the window) of the
// last `window` values, q(wait) is 0 without waits (or without
// `count_waits`), and round_up rounds up to a whole multiple of
// `resolution`, so that small fluctuations give the same lead. Adding the
// two quantiles overestimates the quantile of their sum, on the safe side.
// A window of the last calls (not all calls) lets the lead follow durations
// that grow or shrink: after `window` calls only the new ones count.
//
// pending_change(command) says whether the applied lead should change: when
// the recommendation differs from the applied lead by more than
// `hysteresis` and is shorter than the watch's period (a lead of a period
// or more is refused by the controller; such a command needs a longer
// period, not a lead). It answers the watch to send, with the new lead.
// The plugin itself changes nothing; spawn_lead_time (actors/learning.hpp)
// runs it and sends the change.
//
//   tc::lead_time lt{{.controller = "watchdog"}};
//   tc::rebuild(store, lt);
//   if (auto w = lt.pending_change("poll")) ...   // send (watch_atom, *w)
//
// Snapshot (the state; the configuration is not in it, and a window that
// holds more values than `window` keeps the newest on load):
//
//   snapshot := "tc.lead_time/2"
//               watches:n  (command:str period:i64 grace:i64 lead:i64
//                           count_failures:u64)*
//               commands:n (name:str took:n i64* waits:n i64*
//                           fired:u64 [fired_at:i64 if fired = 1])*
//               intents:n  (id:u64 target:str once:u64)*
//
// in plugins/detail/bytes.hpp's encoding, maps in key order, windows oldest
// first. (A "tc.lead_time/1" snapshot, without count_failures, is passed
// over and the plugin rebuilt from the log, so that a lead change never
// turns a fail=call watch into fail=down.) Memory: per command, at most 2 *
// `window` values; per intent for a watched command, its target until a
// one-shot intent fires or is skipped, or the intent is cancelled. A repeating
// intent that runs out by itself
// ("times n", "until") is kept: a long-lived log with many of them grows
// this map (a few dozen bytes each).

#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "timecontrol/core/time.hpp"
#include "timecontrol/plugins/plugin.hpp"
#include "timecontrol/policies/watch_spec.hpp"

namespace tc {

struct lead_time_config {
  /// The controller whose watches it learns for (its name).
  std::string controller{};
  /// Only these of its commands; all it watches when empty.
  std::vector<std::string> commands{};
  /// The Scheduler whose intents it joins to calls (its name).
  std::string scheduler = "scheduler";
  /// How many of the latest calls count.
  size_t window = 100;
  /// No recommendation from fewer durations than this (at least 1).
  size_t min_samples = 5;
  /// The quantile of the window that is covered, in (0, 1].
  double quantile = 0.99;
  /// Added on top, for what the window has not shown yet.
  duration margin = std::chrono::milliseconds{50};
  /// The lead is a whole multiple of this (positive).
  duration resolution = std::chrono::milliseconds{10};
  /// A change smaller than or equal to this is not worth making.
  duration hysteresis = std::chrono::milliseconds{10};
  /// Whether the time intents wait in the Scheduler counts.
  bool count_waits = true;
};

/// What lead_time knows of one command.
struct lead_samples {
  /// call_finished.took of the latest calls, oldest first, in nanoseconds.
  std::deque<int64_t> took;
  /// Intent waits (intent_fired to call_admitted), oldest first.
  std::deque<int64_t> waits;
  /// When the oldest intent fired that no call has started for yet.
  std::optional<time_point> fired{};
  friend bool operator==(const lead_samples&, const lead_samples&) = default;
};

class lead_time final : public plugin {
public:
  /// Out-of-range settings are clamped: window and min_samples to at least
  /// 1, quantile into (0, 1], resolution to at least 1 ns, margin and
  /// hysteresis to at least 0.
  explicit lead_time(lead_time_config config);

  /// "lead_time/<controller>".
  std::string name() const override;

  std::string save() const override;

  [[nodiscard]] caf::error load(std::string_view bytes) override;

  // -- results ----------------------------------------------------------------

  const lead_time_config& config() const noexcept { return config_; }

  /// The recommended lead for `command`; empty with fewer than min_samples
  /// durations or when the command is not watched.
  std::optional<duration> recommended(const std::string& command) const;

  /// The watch as the controller last recorded it (with the lead applied
  /// now); nullptr if it does not watch `command` (or it is not among
  /// `commands`).
  const watch* applied(const std::string& command) const;

  /// The watch to send to the controller if `command`'s lead should change
  /// (see above); empty if not.
  std::optional<watch> pending_change(const std::string& command) const;

  /// pending_change() of every watched command, by command name.
  std::vector<watch> pending_changes() const;

  /// The watched commands and what is known of each.
  const std::map<std::string, watch>& watches() const noexcept {
    return watches_;
  }

  /// nullptr for a command it has no samples of.
  const lead_samples* samples(const std::string& command) const;

protected:
  void apply(const envelope& x) override;

private:
  bool in_scope(const std::string& command) const;

  void push(std::deque<int64_t>& window, int64_t value) const;

  struct pending_intent {
    std::string target;
    /// A one-shot trigger ("now", "once"): forgotten once it fired.
    bool once = false;
    friend bool operator==(const pending_intent&,
                           const pending_intent&) = default;
  };

  lead_time_config config_;
  std::map<std::string, watch> watches_;
  std::map<std::string, lead_samples> samples_;
  std::map<uint64_t, pending_intent> intents_;
};

} // namespace tc
