// Misfire rules: what a Scheduler does with fire times that passed while
// nothing ran (a restart, a busy system).
//
// Given a trigger, the first fire time not yet handled (`due`) and `now`,
// resolve_misfires() sorts the fire times in [due, now] into two kinds:
//
//   on time  now - fire <= grace   always run: a fire within grace still
//                                   counts as on time
//   missed   now - fire >  grace   handled by the rule:
//
//   rule      | missed fires
//   ----------|-----------------------------------------------------------
//   run_once  | coalesced: if no fire is on time, one run (for the latest
//             | missed fire); otherwise none (the on-time run covers them)
//   run_all   | each one runs, oldest first (at most max_runs in all;
//             | the rest are skipped)
//   skip      | none runs; the schedule continues with the next fire
//
// The answer lists the fire times to run now, counts what was skipped, and
// gives the next fire time strictly after `now`. It is a pure function of its
// arguments, so replaying the same facts gives the same runs.

#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "timecontrol/core/time.hpp"
#include "timecontrol/policies/trigger.hpp"

namespace tc {

enum class misfire_rule : uint8_t {
  /// Run once now for all the missed fires.
  run_once,
  /// Run every missed fire now.
  run_all,
  /// Run none of the missed fires.
  skip,
};

/// "run_once", "run_all", "skip".
std::string_view to_string(misfire_rule r) noexcept;

struct misfire_policy {
  misfire_rule rule = misfire_rule::run_once;

  /// A fire at most this late still counts as on time (negative counts as 0).
  duration grace{0};

  /// The most runs one resolution returns (at least 1 is always allowed).
  uint64_t max_runs = 1000;

  /// The most fire times examined for a cron or once trigger; a backlog
  /// beyond it is skipped in bulk and `exact` is false in the answer. An
  /// every trigger's backlog is counted, not walked: exact at any length.
  uint64_t max_scan = 1'000'000;
};

struct misfire_outcome {
  /// Fire times to run now, oldest first.
  std::vector<time_point> runs;

  /// Fires in [due, now] that were within grace.
  uint64_t on_time = 0;

  /// Fires in [due, now] beyond grace.
  uint64_t missed = 0;

  /// Fires in [due, now] that will not run.
  uint64_t skipped = 0;

  /// False if the backlog exceeded max_scan; `missed` and `skipped` then
  /// count only the fires examined.
  bool exact = true;

  /// The next fire time strictly after `now`, if any.
  std::optional<time_point> next;
};

/// Resolves the fires of `trig` in [due, now], where `due` is the first fire
/// time not yet handled (it is taken as a fire even if the trigger would not
/// produce it, e.g. after a configuration change). If `due > now` nothing is
/// run and `next` is `due`.
misfire_outcome resolve_misfires(const trigger& trig, time_point due,
                                 time_point now, const misfire_policy& policy);

namespace detail {

/// The same by walking the fire times one by one (for any trigger, up to
/// max_scan); the reference the counted answer is tested against.
misfire_outcome walk_misfires(const trigger& trig, time_point due,
                              time_point now, const misfire_policy& policy);

} // namespace detail

} // namespace tc
