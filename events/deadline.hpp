// Events a Controller records about the commands it watches.
//
// The source of each is the controller's name; `command` names the watched
// command.

#pragma once

#include <cstdint>
#include <string>

#include "timecontrol/core/deadline_status.hpp"
#include "timecontrol/core/time.hpp"
#include "timecontrol/events/fields.hpp"

namespace tc {

/// A watched command moved from one status to another.
struct deadline_status_changed {
  std::string command;
  deadline_status from = deadline_status::never_called;
  deadline_status to = deadline_status::never_called;
  static constexpr auto fields() {
    return std::tuple{field{"command", &deadline_status_changed::command},
                      field{"from", &deadline_status_changed::from},
                      field{"to", &deadline_status_changed::to}};
  }
  friend bool operator==(const deadline_status_changed&,
                         const deadline_status_changed&) = default;
};

/// A watched command was not called within its period.
struct deadline_missed {
  std::string command;
  /// How far past the period the command was when the miss was recorded;
  /// for a run that outlasted its grace, how far past the end of the grace.
  duration late_by{0};
  static constexpr auto fields() {
    return std::tuple{field{"command", &deadline_missed::command},
                      field{"late_by", &deadline_missed::late_by}};
  }
  friend bool operator==(const deadline_missed&,
                         const deadline_missed&) = default;
};

} // namespace tc
