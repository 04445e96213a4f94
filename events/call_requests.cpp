#include "timecontrol/events/call_requests.hpp"

#include <variant>

#include "timecontrol/core/duration_sum.hpp"

namespace tc {

std::optional<time_point> call_requests::request(const envelope& x) {
  auto open = [&]() -> std::set<uint64_t>& {
    auto i = open_.find(x.source);
    if (i == open_.end())
      i = open_.emplace(x.source, std::set<uint64_t>{}).first;
    return i->second;
  };
  // Takes `id` out of the open calls; true if it was there.
  auto close = [&](uint64_t id) {
    auto i = open_.find(x.source);
    if (i == open_.end() || i->second.erase(id) == 0)
      return false;
    if (i->second.empty())
      open_.erase(i);
    return true;
  };
  if (auto* e = std::get_if<call_requested>(&x.body)) {
    open().insert(e->call_id);
    return x.time;
  }
  if (auto* e = std::get_if<call_throttled>(&x.body)) {
    bool waits = e->action == throttle_action::waited;
    bool counted = waits ? open().count(e->call_id) != 0 : close(e->call_id);
    if (counted)
      return std::nullopt;
    if (waits)
      open().insert(e->call_id);
    return x.time;
  }
  if (auto* e = std::get_if<call_admitted>(&x.body)) {
    if (close(e->call_id))
      return std::nullopt;
    // Saturating: a log's `waited` is any 64-bit value (a call of 1700 that
    // waited 273 years was requested before 1677, not in 2010).
    return saturating_sub(x.time, e->waited);
  }
  return std::nullopt;
}

} // namespace tc
