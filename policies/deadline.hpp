// deadline: a command that must be called every `period`, with a `grace` on
// top, and its status. The over-limiter a Controller applies.
//
// Status is a pure function of the recorded facts and `now`:
//
//   status        | when
//   --------------|---------------------------------------------------------
//   paused        | paused() and not resumed() since
//   up / down     | a run is in progress (started(), not finished()): up
//                 | while now <= start + grace, down after
//   new           | never called (unless `first_call_due`, see below)
//   up            | now <= last + period
//   late          | last + period < now <= last + period + grace
//   down          | now > last + period + grace
//
// where `last` is the time of the latest call (a started run counts as a
// call at its start). All bounds are inclusive in favour of the command:
// exactly at `last + period` it is still up, exactly at the end of grace still
// late. With `first_call_due`, a command never called is measured from its
// creation time instead: new while now <= created + period, then late, then
// down.
//
// next_change(now) answers when the status will change if no new fact
// arrives, so an actor needs exactly one timer.
//
// Time going backwards: facts carry their own time and `last` only moves
// forward (a fact earlier than `last` does not move it back); a `now` before
// `last` counts as no time elapsed (up).
//
// Example:
//
//   tc::deadline d{std::chrono::minutes{1}, std::chrono::seconds{10}, now};
//   d.called(now);
//   if (auto t = d.next_change(now)) set_timer(*t);

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "timecontrol/core/deadline_status.hpp"
#include "timecontrol/core/time.hpp"
#include "timecontrol/policies/admission.hpp"

namespace tc {

class deadline {
public:
  // -- constructors -----------------------------------------------------------

  /// A command created at `created` that must be called every `period`
  /// (plus `grace`). Negative durations count as zero.
  deadline(duration period, duration grace, time_point created,
           bool first_call_due = false) noexcept;

  // -- facts ------------------------------------------------------------------

  /// A call happened at `t` (started and finished).
  void called(time_point t) noexcept;

  /// A run started at `t`; it counts as a call at `t`.
  void started(time_point t) noexcept;

  /// The run in progress finished (at `t`; the call time stays its start).
  void finished(time_point t) noexcept;

  /// Watching stops; status is `paused` until resumed().
  void paused(time_point t) noexcept;

  /// Watching resumes at `t`; a command that was called before is measured
  /// from `t` (a pause is not held against it).
  void resumed(time_point t) noexcept;

  // -- queries ----------------------------------------------------------------

  deadline_status status(time_point now) const noexcept;

  /// The first instant after `now` at which status(now) changes if no fact
  /// arrives; empty if it never changes by time alone (new, down, paused).
  std::optional<time_point> next_change(time_point now) const noexcept;

  /// When the next call is due: `last + period` (or `created + period` with
  /// `first_call_due`); empty while never called without `first_call_due`.
  std::optional<time_point> due() const noexcept;

  // -- properties -------------------------------------------------------------

  duration period() const noexcept { return period_; }

  duration grace() const noexcept { return grace_; }

  /// The latest call time, if any.
  std::optional<time_point> last_call() const noexcept;

  /// The start of the run in progress, if any.
  std::optional<time_point> running_since() const noexcept;

  bool is_paused() const noexcept { return paused_; }

  // -- serialization ----------------------------------------------------------

  /// The state as bytes (grammar in detail/byte_io.hpp):
  ///
  ///   deadline := 0x05 0x01 period:i64 grace:i64 created:i64 flags:u8
  ///               last:i64 run_start:i64
  ///   flags    := bit 0 first_call_due | bit 1 called | bit 2 running
  ///               | bit 3 paused
  std::string serialize() const;

  /// Restores a state written by serialize(); empty for any other input.
  static std::optional<deadline> deserialize(std::string_view bytes);

  friend bool operator==(const deadline&, const deadline&) = default;

private:
  duration period_;
  duration grace_;
  time_point created_;
  time_point last_;
  time_point run_start_;
  bool first_call_due_;
  bool called_ = false;
  bool running_ = false;
  bool paused_ = false;
};

} // namespace tc
