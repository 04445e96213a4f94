// Where an intent stands among the fire times of its trigger, as the
// Scheduler's events tell it: when it was scheduled, and the latest fire time
// already handled -- fired (intent_fired.due) or given up (the `missed` fire
// times from intent_misfired.due on). Its next due time follows from that
// alone, so the Scheduler rebuilding its schedule from the log and a view of
// the schedule (plugins/schedule_view.hpp) compute it the same way.
//
//   tc::intent_progress p{scheduled_at};
//   p.fired(due);                        // for each intent_fired
//   p.misfired(trig, due, missed);       // for each intent_misfired
//   auto next = p.next(trig);            // empty: the intent has run out
//
// The next due time is nominal: it may lie in the past of whoever asks, and
// the Scheduler then applies the intent's misfire rule (misfire.hpp).

#pragma once

#include <cstdint>
#include <optional>

#include "timecontrol/core/time.hpp"
#include "timecontrol/policies/trigger.hpp"

namespace tc {

/// The first fire time of `trig` for an intent scheduled at `scheduled`: a
/// "once" counts even if it is past (the misfire rule then decides), the
/// others start at their first fire at or after `scheduled`.
std::optional<time_point> first_due(const trigger& trig, time_point scheduled);

/// The last of `missed` consecutive fire times of `trig` from `due` on
/// (`due` itself for 0 or 1, or when the trigger ends before).
time_point last_missed(const trigger& trig, time_point due, uint32_t missed);

class intent_progress {
public:
  explicit intent_progress(time_point scheduled = time_point{},
                           std::optional<time_point> handled = std::nullopt)
      : scheduled_(scheduled), handled_(handled) {
    // nop
  }

  /// The intent fired for `due`.
  void fired(time_point due) { handled_up_to(due); }

  /// The intent missed `missed` fire times from `due` on.
  void misfired(const trigger& trig, time_point due, uint32_t missed) {
    handled_up_to(last_missed(trig, due, missed));
  }

  /// The next fire time not yet handled; empty if the trigger has run out
  /// (a "once" that fired, an "every ... times n" that fired n times).
  std::optional<time_point> next(const trigger& trig) const;

  time_point scheduled() const noexcept { return scheduled_; }

  /// The latest fire time handled; empty before any.
  std::optional<time_point> handled() const noexcept { return handled_; }

  friend bool operator==(const intent_progress&,
                         const intent_progress&) = default;

private:
  void handled_up_to(time_point t) {
    if (!handled_ || *handled_ < t)
      handled_ = t;
  }

  time_point scheduled_;
  std::optional<time_point> handled_;
};

/// The progress of an intent scheduled at `scheduled` under a key whose
/// earlier intents handled (fired or missed) due times up to `key_handled`:
/// those due times do not run again, so a program that schedules a "once"
/// job under a key at every start runs it once. A first due time after
/// `key_handled` is kept as it is.
intent_progress keyed_progress(const trigger& trig, time_point scheduled,
                               std::optional<time_point> key_handled);

} // namespace tc
