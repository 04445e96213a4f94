// Configuration and lifecycle events, and what a repair of the log records.

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

/// A process connected to this node over the network (net/node.hpp) and
/// introduced itself. The source is the serving node's name. Record format
/// version 5.
struct node_joined {
  /// The connecting process's name.
  std::string node;
  uint32_t pid = 0;
  static constexpr auto fields() {
    return std::tuple{field{"node", &node_joined::node},
                      field{"pid", &node_joined::pid}};
  }
  uint8_t record_version() const noexcept { return 5; }
  friend bool operator==(const node_joined&, const node_joined&) = default;
};

/// A connected process is gone: it disconnected, stopped, or its connection
/// was lost (no heartbeat within the timeout). The source is the serving
/// node's name. Record format version 5.
struct node_lost {
  std::string node;
  /// Why: "connection lost" (cut, or no heartbeat within the timeout),
  /// "left" (the process let go: its remote_node ended), "ended" (gone, and
  /// CAF does not say how; seen when a process lets go), or CAF's reason.
  std::string reason;
  static constexpr auto fields() {
    return std::tuple{field{"node", &node_lost::node},
                      field{"reason", &node_lost::reason}};
  }
  uint8_t record_version() const noexcept { return 5; }
  friend bool operator==(const node_lost&, const node_lost&) = default;
};

/// A repair salvaged the log (tc::repair_log(), `timecontrol repair`): what
/// it could not keep. No event has, or will ever have, a sequence number
/// named here; readers skip them without an error. The event itself takes
/// the first sequence number after every number the log may have handed
/// out before the repair. Its source is "repair".
///
/// `lost` and `skipped` are sequence number ranges, "5..9,12" (empty: none).
struct log_repaired {
  /// Numbers of events that were stored and are lost.
  std::string lost;
  /// Numbers that may have been handed out (a writer numbered events up to
  /// them, or may have), but that no stored event is known to have had.
  std::string skipped;
  /// What was damaged: the files and offsets, for people.
  std::string damage;
  static constexpr auto fields() {
    return std::tuple{field{"lost", &log_repaired::lost},
                      field{"skipped", &log_repaired::skipped},
                      field{"damage", &log_repaired::damage}};
  }
  friend bool operator==(const log_repaired&, const log_repaired&) = default;
};

} // namespace tc
