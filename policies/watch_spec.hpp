// watch: one command a Controller watches, and the spec it is recorded as.
//
// A Controller records every watch it starts (or changes) as a
// policy_changed event whose text is the watch's spec, and rebuilds its
// watches from those on start; plugins (lead_time) read the same text to
// learn what is watched. The spec is
//
//   spec  := "watch every=" ns " grace=" ns [" lead=" ns] " " command
//   ns    := decimal nanoseconds (period, grace, lead in this order)
//
// The command comes last, so that it may hold blanks. " lead=" is written
// only when the lead is not zero, so a watch without a lead is recorded as
// it was before leads existed, and an old spec reads as lead 0. (A command
// whose own name begins with "lead=<digits> " would be misread in a spec
// without a lead; such names are not expected.) Stopping a watch is
// recorded as "unwatch " command.

#pragma once

#include <string>
#include <string_view>

#include "timecontrol/core/time.hpp"

namespace tc {

/// One watched command.
struct watch {
  std::string command{};
  /// It must be called at least this often...
  duration period{0};
  /// ...plus this much before it counts as down.
  duration grace{0};
  /// With the call action, how long before the due time the controller
  /// already asks for a call (0: only when late). Less than the period.
  duration lead{0};
  friend bool operator==(const watch&, const watch&) = default;
};

/// The spec of `x` (above).
std::string watch_spec(const watch& x);

/// Parses what watch_spec() writes; false for anything else (`out` is then
/// unchanged).
bool parse_watch_spec(std::string_view in, watch& out);

/// The command of an "unwatch <command>" spec; empty for anything else.
std::string_view parse_unwatch_spec(std::string_view in);

} // namespace tc
