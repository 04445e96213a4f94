#include "timecontrol/text/json.hpp"

#include "timecontrol/text/format.hpp"

namespace tc {

std::string valid_utf8(std::string_view text) {
  // nlohmann's dump replaces the bad bytes; parsing its output back gives
  // the string without the escapes.
  return json::parse(dump_json(json(std::string{text}))).get<std::string>();
}

json json_time(time_point t) {
  if (t == time_point::max())
    return nullptr;
  return format_time(t);
}

json json_nanos(duration d) {
  if (d == duration::max())
    return nullptr;
  return d.count();
}

} // namespace tc
