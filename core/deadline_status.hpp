// Where a watched command stands against its deadline: decided by the
// `deadline` policy, recorded in `deadline_status_changed` events.

#pragma once

#include <cstdint>
#include <string_view>

namespace tc {

/// The numbers are stored in events: never renumber.
enum class deadline_status : uint8_t {
  /// Never called since it was put under watch ("new").
  never_called = 0,
  /// Called within its period.
  up = 1,
  /// Overdue, but within grace.
  late = 2,
  /// Past period and grace, or a run overran its grace.
  down = 3,
  /// Not watched for now.
  paused = 4,
};

/// "new", "up", "late", "down", "paused"; "" for a value out of range.
std::string_view to_string(deadline_status s) noexcept;

} // namespace tc
