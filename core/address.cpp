#include "timecontrol/core/address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <strings.h>

#include <charconv>

namespace tc {

std::optional<host_port> parse_host_port(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos)
    return std::nullopt;
  auto host = text.substr(0, colon);
  // An IPv6 address in brackets ("[::1]:8080"); without them "::1:8080"
  // would be one address, and no port.
  bool bracketed = host.size() > 2 && host.front() == '[' && host.back() == ']';
  if (bracketed)
    host = host.substr(1, host.size() - 2);
  in6_addr v6{};
  if (host.empty() ||
      (!bracketed && host.find_first_of(":[]") != std::string::npos) ||
      (bracketed && ::inet_pton(AF_INET6, host.c_str(), &v6) != 1) ||
      host.find('/') != std::string::npos)
    return std::nullopt;
  auto port_text = text.substr(colon + 1);
  uint32_t port = 0;
  auto [end, ec] = std::from_chars(port_text.data(),
                                   port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc{} ||
      end != port_text.data() + port_text.size() || port > 65535)
    return std::nullopt;
  return host_port{std::move(host), static_cast<uint16_t>(port)};
}

bool is_loopback(const std::string& host) {
  if (::strcasecmp(host.c_str(), "localhost") == 0)
    return true;
  in_addr v4{};
  if (::inet_aton(host.c_str(), &v4) != 0)
    return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (::inet_pton(AF_INET6, host.c_str(), &v6) != 1)
    return false;
  return IN6_IS_ADDR_LOOPBACK(&v6) ||
         (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127);
}

} // namespace tc
