// Configuration and lifecycle events.

#pragma once

#include <cstdint>
#include <string>

#include <caf/meta/type_name.hpp>

#include "timecontrol/events/event_type.hpp"

namespace tc {

/// The policy of the source (a command's limiter, a controller's deadline)
/// changed at run time. `policy` is the new policy's spec, e.g. "5/s burst 10".
struct policy_changed {
  static constexpr event_type type = event_type::policy_changed;
  std::string policy;
  friend bool operator==(const policy_changed&,
                         const policy_changed&) = default;
};

/// A process began writing to the log. The source is the node's name.
struct node_started {
  static constexpr event_type type = event_type::node_started;
  uint32_t pid = 0;
  /// The timecontrol version of the writer.
  std::string version;
  friend bool operator==(const node_started&, const node_started&) = default;
};

/// A process stopped writing to the log in an orderly way.
struct node_stopped {
  static constexpr event_type type = event_type::node_stopped;
  std::string reason;
  friend bool operator==(const node_stopped&, const node_stopped&) = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, policy_changed& x) {
  return f(caf::meta::type_name("policy_changed"), x.policy);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_started& x) {
  return f(caf::meta::type_name("node_started"), x.pid, x.version);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_stopped& x) {
  return f(caf::meta::type_name("node_stopped"), x.reason);
}

} // namespace tc
