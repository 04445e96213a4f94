#include "timecontrol/policies/misfire.hpp"

#include <algorithm>

#include "timecontrol/policies/admission.hpp"

namespace tc {

std::string_view to_string(misfire_rule r) noexcept {
  switch (r) {
    case misfire_rule::run_once:
      return "run_once";
    case misfire_rule::run_all:
      return "run_all";
    case misfire_rule::skip:
      return "skip";
  }
  return "?";
}

misfire_outcome resolve_misfires(const trigger& trig, time_point due,
                                 time_point now, const misfire_policy& policy) {
  misfire_outcome out;
  if (due > now) {
    out.next = due;
    return out;
  }
  auto grace = std::max(policy.grace, duration{0});
  auto max_runs = std::max<uint64_t>(policy.max_runs, 1);
  // Fires at or after this instant are on time.
  auto on_time_from =
      now - std::min(grace, detail::wait_between(time_point::min(), now));
  std::vector<time_point> on_time;
  std::optional<time_point> latest_missed;
  std::optional<time_point> f = due;
  uint64_t scanned = 0;
  while (f && *f <= now) {
    if (scanned == policy.max_scan) {
      out.exact = false;
      break;
    }
    ++scanned;
    if (*f >= on_time_from) {
      on_time.push_back(*f);
    } else {
      ++out.missed;
      latest_missed = *f;
      if (policy.rule == misfire_rule::run_all && out.runs.size() < max_runs)
        out.runs.push_back(*f);
    }
    f = next_fire_after(trig, *f);
  }
  out.on_time = on_time.size();
  switch (policy.rule) {
    case misfire_rule::run_once:
      if (on_time.empty() && latest_missed)
        out.runs.push_back(*latest_missed);
      break;
    case misfire_rule::run_all:
    case misfire_rule::skip:
      break;
  }
  for (auto t : on_time)
    if (out.runs.size() < max_runs)
      out.runs.push_back(t);
  out.skipped = out.missed + out.on_time - out.runs.size();
  out.next = next_fire_after(trig, now);
  return out;
}

} // namespace tc
