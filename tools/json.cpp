#include "timecontrol/tools/json.hpp"

#include "timecontrol/tools/format.hpp"

namespace tc::tool {

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

} // namespace tc::tool
