// Network addresses as users write them: HOST:PORT, and whether a host is
// this machine's loopback interface. Shared by the dashboard (http/) and
// nodes (net/). Not installed.

#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace tc {

struct host_port {
  /// A name or an address, without brackets.
  std::string host;
  uint16_t port = 0;
};

/// Reads "HOST:PORT" ("127.0.0.1:8080", "[::1]:8080", "example.org:0"):
/// nothing for a missing host or port, a port above 65535, a scheme or
/// path ("http://..."), or an IPv6 address without brackets (its last group
/// would read as the port).
std::optional<host_port> parse_host_port(const std::string& text);

/// True for an address of this machine's loopback interface: 127.0.0.0/8
/// (as the resolver reads numbers: "127.1" too), ::1 and ::ffff:127.x.y.z,
/// or the name "localhost". Not any other name (one beginning with "127."
/// may resolve anywhere).
bool is_loopback(const std::string& host);

} // namespace tc
