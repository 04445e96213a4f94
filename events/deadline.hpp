// Events a Controller records about the commands it watches.
//
// The source of each is the controller's name; `command` names the watched
// command.

#pragma once

#include <cstdint>
#include <string>

#include <caf/meta/type_name.hpp>

#include "timecontrol/core/time.hpp"
#include "timecontrol/events/event_type.hpp"

namespace tc {

/// Where a watched command stands against its deadline.
enum class deadline_status : uint8_t {
  /// Never called since it was put under watch.
  fresh = 0,
  /// Called within its period.
  up = 1,
  /// Past its period, within the grace.
  late = 2,
  /// Past period and grace, or a run overran its grace.
  down = 3,
  /// Not watched for now.
  paused = 4,
};

std::string_view to_string(deadline_status x) noexcept;

/// A watched command moved from one status to another.
struct deadline_status_changed {
  static constexpr event_type type = event_type::deadline_status_changed;
  std::string command;
  deadline_status from = deadline_status::fresh;
  deadline_status to = deadline_status::fresh;
  friend bool operator==(const deadline_status_changed&,
                         const deadline_status_changed&) = default;
};

/// A watched command was not called within its period.
struct deadline_missed {
  static constexpr event_type type = event_type::deadline_missed;
  std::string command;
  /// How far past the period the command was when the miss was recorded.
  duration late_by{0};
  friend bool operator==(const deadline_missed&,
                         const deadline_missed&) = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f,
                                        deadline_status_changed& x) {
  return f(caf::meta::type_name("deadline_status_changed"), x.command, x.from,
           x.to);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, deadline_missed& x) {
  return f(caf::meta::type_name("deadline_missed"), x.command, x.late_by);
}

} // namespace tc
