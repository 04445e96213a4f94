#include "timecontrol/tools/whatif_simulation.hpp"

#include <algorithm>
#include <map>

#include "timecontrol/policies/admission.hpp"
#include "timecontrol/policies/under_limiter.hpp"

namespace tc::tool {

whatif_outcome simulate(const limiter_spec& spec,
                        const std::vector<time_point>& at) {
  std::vector<requested_call> calls;
  calls.reserve(at.size());
  for (auto t : at)
    calls.push_back(requested_call{t, 1, {}});
  return simulate(spec, calls);
}

namespace {

/// The simulation of calls that all go to one limiter.
whatif_outcome simulate_one(const limiter_spec& spec,
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

/// Adds `x`'s counts to `r`.
void add(whatif_outcome& r, const whatif_outcome& x) {
  r.calls += x.calls;
  r.wait_at_once += x.wait_at_once;
  r.delayed += x.delayed;
  r.total_delay += x.total_delay;
  r.max_delay = std::max(r.max_delay, x.max_delay);
  r.past_end_of_time = r.past_end_of_time || x.past_end_of_time;
  r.reject_admitted += x.reject_admitted;
  r.rejected += x.rejected;
  r.too_costly += x.too_costly;
}

} // namespace

whatif_outcome simulate(const limiter_spec& spec,
                        const std::vector<requested_call>& calls) {
  if (std::all_of(calls.begin(), calls.end(),
                  [](const requested_call& c) { return c.key.empty(); }))
    return simulate_one(spec, calls);
  // Each key against its own limiter, in its own order.
  std::map<std::string, std::vector<requested_call>> by_key;
  for (auto& c : calls)
    by_key[c.key].push_back(c);
  whatif_outcome r;
  for (auto& [key, of_key] : by_key)
    add(r, simulate_one(spec, of_key));
  return r;
}

} // namespace tc::tool
