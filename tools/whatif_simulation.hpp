// The simulation behind `timecontrol whatif`: a command's recorded calls
// replayed against another under-limiter, in both of its semantics:
//
//   wait    a call that comes too fast waits and runs at the limiter's
//           `earliest`, which becomes the limiter's time: calls queue up
//           behind it in order (a call is never run before an earlier one);
//   reject  a call that comes too fast is rejected and takes nothing from
//           the limiter.
//
// A call takes its cost from the limiter (call_admitted's `cost`, 1 for a
// plain call), as the Command does; a call costing more than the policy
// ever holds (its burst, its window's limit, 1 for "min") could never run
// under it: counted as too_costly and rejected, not simulated.
//
// Calls of a key (a command that limits each key: actors/command.hpp) are
// simulated against their key's own limiter, as the Command decides them:
// in the wait semantics each key queues on its own (a key's wait holds up
// no other key); the outcome adds up every key's.
//
// The delays are added up in 128 bits (tc::duration_sum): 150 000 calls at
// 100/s against 1/s wait 1.1e19 ns in all, past 64-bit nanoseconds.

#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "timecontrol/core/duration_sum.hpp"
#include "timecontrol/core/time.hpp"
#include "timecontrol/policies/spec.hpp"

namespace tc::tool {

struct whatif_outcome {
  size_t calls = 0;
  /// Wait semantics.
  size_t wait_at_once = 0;
  size_t delayed = 0;
  duration_sum total_delay;
  duration max_delay{0};
  /// Whether the waiting calls were pushed to the end of 64-bit time (the
  /// year 2262), where the limiter's clock stops: their delays are counted
  /// up to it.
  bool past_end_of_time = false;
  /// Reject semantics.
  size_t reject_admitted = 0;
  size_t rejected = 0;
  /// Calls whose cost is above the policy's capacity (in both semantics:
  /// never run; counted among `rejected` too).
  size_t too_costly = 0;

  /// The mean delay of the delayed calls (exact, truncated to the ns).
  duration mean_delay() const { return total_delay.mean(delayed); }
};

/// A recorded call: when it was requested, what it cost, and its key ("":
/// the command's own limiter).
struct requested_call {
  time_point at{};
  uint64_t cost = 1;
  std::string key;
  friend auto operator<=>(const requested_call&,
                          const requested_call&) = default;
};

/// Replays calls requested at `at` (in order) against `spec`, each of cost 1.
whatif_outcome simulate(const limiter_spec& spec,
                        const std::vector<time_point>& at);

/// Replays `calls` (in order of their times) against `spec`.
whatif_outcome simulate(const limiter_spec& spec,
                        const std::vector<requested_call>& calls);

} // namespace tc::tool
