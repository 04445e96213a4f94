#include "timecontrol/tools/whatif_simulation.hpp"

#include <algorithm>

#include "timecontrol/policies/admission.hpp"
#include "timecontrol/policies/under_limiter.hpp"

namespace tc::tool {

whatif_outcome simulate(const limiter_spec& spec,
                        const std::vector<time_point>& at) {
  std::vector<requested_call> calls;
  calls.reserve(at.size());
  for (auto t : at)
    calls.push_back(requested_call{t, 1});
  return simulate(spec, calls);
}

whatif_outcome simulate(const limiter_spec& spec,
                        const std::vector<requested_call>& calls) {
  whatif_outcome r;
  r.calls = calls.size();
  if (calls.empty())
    return r;
  auto t0 = calls.front().at;
  // Wait semantics.
  auto lim = make_under_limiter(spec, t0);
  auto most = capacity(lim);
  auto clock = t0;
  for (auto& c : calls) {
    if (c.cost > most) {
      ++r.too_costly;
      continue;
    }
    auto t = c.at;
    clock = std::max(clock, t);
    auto a = admit(lim, clock, c.cost);
    if (!a.admitted) {
      clock = a.earliest;
      admit(lim, clock, c.cost);
    }
    if (clock == never)
      r.past_end_of_time = true;
    // A call of 1700 waiting until 2262 waits longer than a duration holds.
    auto delay = saturating_between(t, clock);
    if (delay > duration{0}) {
      ++r.delayed;
      r.total_delay += delay;
      r.max_delay = std::max(r.max_delay, delay);
    } else {
      ++r.wait_at_once;
    }
  }
  // Reject semantics.
  lim = make_under_limiter(spec, t0);
  for (auto& c : calls) {
    if (c.cost <= most && admit(lim, c.at, c.cost).admitted)
      ++r.reject_admitted;
    else
      ++r.rejected;
  }
  return r;
}

} // namespace tc::tool
