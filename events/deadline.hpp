// Events a Controller records about the commands it watches.
//
// The source of each is the controller's name; `command` names the watched
// command.

#pragma once

#include <cstdint>
#include <string>

#include <caf/meta/type_name.hpp>

#include "timecontrol/core/deadline_status.hpp"
#include "timecontrol/core/time.hpp"
#include "timecontrol/events/event_type.hpp"

namespace tc {

/// A watched command moved from one status to another.
struct deadline_status_changed {
  static constexpr event_type type = event_type::deadline_status_changed;
  std::string command;
  deadline_status from = deadline_status::never_called;
  deadline_status to = deadline_status::never_called;
  friend bool operator==(const deadline_status_changed&,
                         const deadline_status_changed&) = default;
};

/// A watched command was not called within its period.
struct deadline_missed {
  static constexpr event_type type = event_type::deadline_missed;
  std::string command;
  /// How far past the period the command was when the miss was recorded;
  /// for a run that outlasted its grace, how far past the end of the grace.
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
