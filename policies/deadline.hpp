// deadline: a command that must be called every `period` (or by a cron
// schedule), with a `grace` on top, and its status. The over-limiter a
// Controller applies.
//
// Status is a pure function of the recorded facts and `now`:
//
//   status        | when
//   --------------|---------------------------------------------------------
//   paused        | paused() and not resumed since (by resumed() or a call)
//   down          | the latest finished call failed (finished(.., false))
//                 | and no call succeeded since
//   up / down     | runs are in progress (started(), not finished()): up
//                 | while now <= start + grace for every one of them, down
//                 | once the earliest-started one outlasts its grace
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
// Failures (healthchecks.io's "fail" signal, hc/api/models.py Check.ping):
// a call that finishes with ok = false turns the command down at once, and it
// stays down (runs that start meanwhile do not bring it up) until a call
// finishes with ok = true. Whether a failure counts so is the caller's
// choice: a Controller watch that counts any finished call passes ok = true.
//
// Runs are kept per call id (healthchecks keys runs by their "rid"): several
// calls may run at once, each is held to its grace from its own start, and
// finishing one leaves the others running. (healthchecks keeps only the
// latest start, so an older run that never ends is forgotten there once a
// newer one starts; here it still turns the command down.)
//
// Pause (healthchecks' pause API): status `paused`; runs in progress and a
// failure are forgotten. It ends with resumed() or with any call fact (start,
// finish, failure) stamped at or after the pause (healthchecks: a ping to a
// paused check resumes it, unless its manual_resume is set). A resumed
// command is measured from the resume: due = resume time + period (the call
// that resumed it counts as a call at its time). Facts stamped before the
// latest pause or resume (`epoch`) only move `last`: they neither resume,
// nor start runs, nor fail the command, as if they had come before the
// pause, which is where they belong in time.
//
// Cron deadlines (healthchecks' cron checks, hc/api/models.py
// Check.get_grace_start for kind "cron"): instead of a period, a cron
// schedule (policies/cron.hpp, in UTC or in an IANA time zone) says when
// the next call is due: at the first fire time of the schedule strictly
// after `last` (computed on the zone's clock, with cron.hpp's rules for
// daylight-saving changes: a fixed time in a spring-forward gap is due at
// the first instant after the gap; one that happens twice is due the first
// time). So, with due = next_after(last), the table above reads
//
//   up            | now <= due
//   late          | due < now <= due + grace
//   down          | now > due + grace
//
// and every other rule (runs, failures, pause and resume, inclusive bounds)
// is the same: a resumed cron deadline is due at the first fire time after
// the resume, and with `first_call_due` a command never called is due at
// the first fire time after its creation. Differences from healthchecks:
// there a check's grace starts at the fire time (`>=`) and down comes at
// + grace, one nanosecond earlier than here; there `last` is the success
// ping (the end of a run), here a call counts at its start; and a check
// never pinged stays "new" (it is measured only after its first ping),
// where a Controller's watch (first_call_due) is due at the first fire time
// after the watch began. A schedule with no fire time left before year 2262
// is never due (up for ever). A cron deadline costs no more memory than a
// period one: the parsed schedule is shared by the copies of a deadline
// (reference-counted, immutable) in the word that holds a period.
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
#include <vector>

#include "timecontrol/core/deadline_status.hpp"
#include "timecontrol/core/time.hpp"
#include "timecontrol/policies/admission.hpp"

namespace tc {

class cron_schedule;

namespace detail {
struct shared_cron;
} // namespace detail

class deadline {
public:
  // -- constructors -----------------------------------------------------------

  /// A command created at `created` that must be called every `period`
  /// (plus `grace`). Negative durations count as zero.
  deadline(duration period, duration grace, time_point created,
           bool first_call_due = false) noexcept;

  /// A command created at `created` that must be called by the cron
  /// `schedule` (plus `grace`): due at the first fire time after its latest
  /// call (see above). A negative grace counts as zero.
  deadline(cron_schedule schedule, duration grace, time_point created,
           bool first_call_due = false);

  // -- facts ------------------------------------------------------------------

  /// A call happened at `t` (started and finished).
  void called(time_point t) noexcept;

  /// A run (call id 0) started at `t`; it counts as a call at `t`.
  void started(time_point t) { started(0, t); }

  /// Run `call` started at `t`; it counts as a call at `t`. The same id
  /// started again moves its start to `t` (the later one wins).
  void started(uint64_t call, time_point t);

  /// The run of call id 0 finished well (at `t`; the call time stays its
  /// start).
  void finished(time_point t) noexcept { finished(0, t, true); }

  /// Run `call` finished at `t`: with `ok`, a success, which ends a failure;
  /// without, a failure: down at once (see above). A call id that is not
  /// running (started before the watch, or before a pause) ends no run but
  /// still counts as a success or failure.
  void finished(uint64_t call, time_point t, bool ok) noexcept;

  /// Watching stops; status is `paused` until resumed() or a call at or
  /// after `t`. Runs in progress and a failure are forgotten. Pausing a
  /// paused command moves its pause to `t` (if later).
  void paused(time_point t) noexcept;

  /// Watching resumes at `t`; a command that was called before is measured
  /// from `t` (a pause is not held against it).
  void resumed(time_point t) noexcept;

  /// New period and grace; a command never called is measured from `since`
  /// (as a new watch is). What the calls said (and a pause) stays.
  void reconfigure(duration period, duration grace, time_point since) noexcept;

  /// The same with a cron schedule instead of a period.
  void reconfigure(cron_schedule schedule, duration grace, time_point since);

  /// Takes what the calls said in `calls` (a state saved in a snapshot) into
  /// this state, rebuilt from the pauses and resumes (a subset of those
  /// `calls` saw): the latest call, the runs, a failure, and a resume by a
  /// call at or after this state's latest pause. Unless this state is
  /// paused then: the latest call only. Used by a Controller's restore, so that
  /// a snapshot plus the pauses give what replaying every fact gives.
  void merge_calls(const deadline& calls);

  // -- queries ----------------------------------------------------------------

  deadline_status status(time_point now) const noexcept;

  /// The first instant after `now` at which status(now) changes if no fact
  /// arrives; empty if it never changes by time alone (new, down, paused).
  std::optional<time_point> next_change(time_point now) const noexcept;

  /// When the next call is due: `last + period` (or `created + period` with
  /// `first_call_due`), for a cron deadline the first fire time after
  /// those (`never` if none is left); empty while never called without
  /// `first_call_due`.
  std::optional<time_point> due() const noexcept;

  // -- properties -------------------------------------------------------------

  /// The period; zero for a cron deadline.
  duration period() const noexcept { return rule_.period(); }

  /// The cron schedule of a cron deadline; nullptr for a period one.
  const cron_schedule* schedule() const noexcept { return rule_.cron(); }

  duration grace() const noexcept { return grace_; }

  /// The latest call time, if any.
  std::optional<time_point> last_call() const noexcept;

  /// The start of the earliest-started run in progress, if any.
  std::optional<time_point> running_since() const noexcept;

  /// How many runs are in progress.
  size_t running() const noexcept { return runs_.size(); }

  bool is_paused() const noexcept { return paused_; }

  /// True while down by a failure (see above).
  bool is_failed() const noexcept { return failed_; }

  /// A failure no longer holds it down: for a caller that starts to count
  /// failed calls as calls (a watch changed to fail=call). Its status is then
  /// measured from its latest call, as if the failed call had succeeded (its
  /// start already counted as a call).
  void forget_failure() noexcept { failed_ = false; }

  // -- serialization ----------------------------------------------------------

  /// The state as bytes (grammar in detail/byte_io.hpp):
  ///
  ///   deadline := 0x05 0x03 period:i64 grace:i64 created:i64 flags:u8
  ///               last:i64 epoch:i64 resumed_by:i64
  ///               runs:varint (call:varint start:i64){runs}
  ///               cron:str
  ///   flags    := bit 0 first_call_due | bit 1 called | bit 2 failed
  ///               | bit 3 paused | bit 4 resumed by a call (at
  ///               resumed_by) since the latest pause
  ///   str      := size:varint byte{size}
  ///
  /// where `cron` is the cron expression of a cron deadline (as given to
  /// cron_schedule::parse; its period is 0) and empty for a period one. A
  /// cron expression that no longer parses (its time zone left the system
  /// tz database) does not read.
  ///
  /// Version 2, written by earlier builds, still reads: version 3 without
  /// `cron` (a period deadline).
  ///
  /// Version 1, written by earlier builds, still reads:
  ///
  ///   deadline := 0x05 0x01 period:i64 grace:i64 created:i64 flags:u8
  ///               last:i64 run_start:i64
  ///   flags    := bit 0 first_call_due | bit 1 called | bit 2 running
  ///               | bit 3 paused
  ///
  /// (its run becomes the run of call id 0, its epoch the earliest time).
  std::string serialize() const;

  /// Restores a state written by serialize() (version 3, 2 or 1); empty for
  /// any other input.
  static std::optional<deadline> deserialize(std::string_view bytes);

  friend bool operator==(const deadline&, const deadline&) = default;

private:
  struct run {
    uint64_t call = 0;
    time_point start{};
    friend bool operator==(const run&, const run&) = default;
  };

  // Whether a call fact at `t` counts for runs and failures; resumes a
  // paused command when `t` is at or after the pause.
  bool admit(time_point t) noexcept;

  void note_call(time_point t) noexcept;

  /// When a command called (or created) at `ref` is due.
  time_point due_after(time_point ref) const noexcept;

  // The period, or a cron schedule shared by the copies of a deadline: one
  // word, so that a period deadline is as small as it was before cron ones.
  class rule {
  public:
    explicit rule(duration period) noexcept;
    explicit rule(cron_schedule schedule);
    rule(const rule& other) noexcept;
    rule(rule&& other) noexcept;
    rule& operator=(const rule& other) noexcept;
    rule& operator=(rule&& other) noexcept;
    ~rule();

    /// Zero for a cron schedule.
    duration period() const noexcept;

    /// Null for a period.
    const cron_schedule* cron() const noexcept;

    /// Same period, or equal schedules (cron_schedule's ==).
    friend bool operator==(const rule& x, const rule& y) noexcept {
      return x.equals(y);
    }

  private:
    bool equals(const rule& other) const noexcept;

    const detail::shared_cron* shared() const noexcept;

    // >= 0: the period in nanoseconds; < 0: the bitwise complement of the
    // address of a detail::shared_cron (user-space addresses have the top
    // bit clear).
    int64_t bits_ = 0;
  };

  rule rule_;
  duration grace_;
  time_point created_;
  time_point last_;
  // The latest pause or resume; call facts before it start no run and fail
  // nothing.
  time_point epoch_ = time_point::min();
  time_point resumed_by_{};
  // Runs in progress, by call id; usually zero or one (small, no map).
  std::vector<run> runs_{};
  bool first_call_due_;
  bool called_ = false;
  bool failed_ = false;
  bool paused_ = false;
  bool resumed_by_call_ = false;
};

} // namespace tc
