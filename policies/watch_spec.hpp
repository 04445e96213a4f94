// watch: one command a Controller watches, and the spec it is recorded as.
//
// A Controller records every watch it starts (or changes) as a
// policy_changed event whose text is the watch's spec, and rebuilds its
// watches from those on start; plugins (lead_time) read the same text to
// learn what is watched. The spec is
//
//   spec  := "watch " due " grace=" ns [" lead=" ns]
//            [" fail=" ("down" | "call")] " " command
//   due   := "every=" ns | "cron=\"" expression "\""
//   ns    := decimal nanoseconds (period, grace, lead in this order)
//
// A period watch is "every=" (as every spec written before cron watches
// existed, which read as they did); a cron watch is "cron=" with its cron
// expression (policies/cron.hpp) between double quotes, exactly as given
// (a cron expression holds blanks but never a double quote), and period 0:
// "watch cron=\"TZ=Europe/Berlin 30 2 * * *\" grace=600000000000 fail=down
// backup". The spec does not check the expression; a Controller does (and
// refuses a lead for a cron watch).
//
// The command comes last, so that it may hold blanks. " lead=" is written
// only when the lead is not zero, so a watch without a lead is recorded as
// it was before leads existed, and an old spec reads as lead 0.
//
// " fail=" says what a failed call (call_finished with ok = false) is:
// "down" (the default of a `watch`, healthchecks.io's fail signal: the watch
// turns down at once, until a call succeeds) or "call" (any finished call
// counts, as every watch did before this option existed). Every spec written
// now has it. A spec without it was written by an earlier build, whose
// watches counted failures as calls, and it keeps that meaning: it reads as
// fail=call. (A Controller started with a configured watch that differs
// from the logged one, the default fail=down against an old log's spec,
// records the configured watch anew, fail=down, as it does for any change.)
//
// (A command whose own name begins with "lead=<digits> " or "fail=down " or
// "fail=call " would be misread in a spec without those parts; such names
// are not expected.) Stopping a watch is recorded as "unwatch " command;
// pausing and resuming one as "pause " command and "resume " command.

#pragma once

#include <string>
#include <string_view>

#include "timecontrol/core/time.hpp"

namespace tc {

/// One watched command.
struct watch {
  std::string command{};
  /// It must be called at least this often (0 for a cron watch)...
  duration period{0};
  /// ...plus this much before it counts as down.
  duration grace{0};
  /// With the call action, how long before the due time the controller
  /// already asks for a call (0: only when late). Less than the period.
  duration lead{0};
  /// True: any finished call counts as a call, failed or not (spec
  /// fail=call). False, the default: a failed call turns the watch down at
  /// once, until a call succeeds (spec fail=down; healthchecks.io's fail
  /// signal).
  bool count_failures = false;
  /// Not empty: a cron watch, due by this cron expression (policies/cron.hpp,
  /// e.g. "TZ=Europe/Berlin 30 2 * * *") instead of a period, which is then
  /// 0: the next call is due at the first fire time after the latest call
  /// (healthchecks.io's cron checks; policies/deadline.hpp).
  std::string cron{};
  friend bool operator==(const watch&, const watch&) = default;
};

/// The spec of `x` (above).
std::string watch_spec(const watch& x);

/// Parses what watch_spec() writes; false for anything else (`out` is then
/// unchanged).
bool parse_watch_spec(std::string_view in, watch& out);

/// The command of an "unwatch <command>" spec; empty for anything else.
std::string_view parse_unwatch_spec(std::string_view in);

/// The command of a "pause <command>" spec; empty for anything else.
std::string_view parse_pause_spec(std::string_view in);

/// The command of a "resume <command>" spec; empty for anything else.
std::string_view parse_resume_spec(std::string_view in);

} // namespace tc
