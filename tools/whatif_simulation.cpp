#include "timecontrol/tools/whatif_simulation.hpp"

#include <algorithm>

#include "timecontrol/policies/admission.hpp"
#include "timecontrol/policies/under_limiter.hpp"

namespace tc::tool {

whatif_outcome simulate(const limiter_spec& spec,
                        const std::vector<time_point>& at) {
  whatif_outcome r;
  r.calls = at.size();
  if (at.empty())
    return r;
  // Wait semantics.
  auto lim = make_under_limiter(spec, at.front());
  auto clock = at.front();
  for (auto t : at) {
    clock = std::max(clock, t);
    auto a = admit(lim, clock);
    if (!a.admitted) {
      clock = a.earliest;
      admit(lim, clock);
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
  lim = make_under_limiter(spec, at.front());
  for (auto t : at) {
    if (admit(lim, t).admitted)
      ++r.reject_admitted;
    else
      ++r.rejected;
  }
  return r;
}

} // namespace tc::tool
