// Configuration and lifecycle events.

#pragma once

#include <cstdint>
#include <string>

#include "timecontrol/events/fields.hpp"

namespace tc {

/// The policy of the source (a command's limiter, a controller's deadline)
/// changed at run time. `policy` is the new policy's spec, e.g. "5/s burst 10".
struct policy_changed {
  std::string policy;
  static constexpr auto fields() {
    return std::tuple{field{"policy", &policy_changed::policy}};
  }
  friend bool operator==(const policy_changed&,
                         const policy_changed&) = default;
};

/// A process began writing to the log. The source is the node's name.
struct node_started {
  uint32_t pid = 0;
  /// The timecontrol version of the writer.
  std::string version;
  static constexpr auto fields() {
    return std::tuple{field{"pid", &node_started::pid},
                      field{"version", &node_started::version}};
  }
  friend bool operator==(const node_started&, const node_started&) = default;
};

/// A process stopped writing to the log in an orderly way.
struct node_stopped {
  std::string reason;
  static constexpr auto fields() {
    return std::tuple{field{"reason", &node_stopped::reason}};
  }
  friend bool operator==(const node_stopped&, const node_stopped&) = default;
};

} // namespace tc
