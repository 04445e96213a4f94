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

namespace {

// Fires at or after this instant are on time.
time_point on_time_from(time_point now, const misfire_policy& policy) {
  auto grace = std::max(policy.grace, duration{0});
  return now - std::min(grace, detail::wait_between(time_point::min(), now));
}

// An every trigger's fires are numbered and strictly increase, so the
// backlog is counted, not walked: the same answer as the walk, whatever its
// length. The fires in [due, now] are `due` and fires j0 .. i1 - 1.
misfire_outcome resolve_every(const every_trigger& trig, time_point due,
                              time_point now, const misfire_policy& policy) {
  misfire_outcome out;
  auto max_runs = std::max<uint64_t>(policy.max_runs, 1);
  auto from = on_time_from(now, policy);
  auto j0 = trig.fires_up_to(due);
  auto i1 = trig.fires_up_to(now);
  auto fire = [&](uint64_t i) { // element i of [due, fire j0, fire j0+1, ...]
    return i == 0 ? due : *trig.fire_time(j0 + i - 1);
  };
  auto total = 1 + (i1 - j0);
  uint64_t missed = 0;
  if (due < from) {
    auto m = trig.fires_up_to(from - duration{1});
    missed = 1 + (std::max(m, j0) - j0);
  }
  out.missed = missed;
  out.on_time = total - missed;
  switch (policy.rule) {
    case misfire_rule::run_once:
      if (out.on_time == 0 && missed > 0)
        out.runs.push_back(fire(missed - 1));
      break;
    case misfire_rule::run_all:
      for (uint64_t i = 0; i < missed && out.runs.size() < max_runs; ++i)
        out.runs.push_back(fire(i));
      break;
    case misfire_rule::skip:
      break;
  }
  for (auto i = missed; i < total && out.runs.size() < max_runs; ++i)
    out.runs.push_back(fire(i));
  out.skipped = out.missed + out.on_time - out.runs.size();
  out.next = trig.next_after(now);
  return out;
}

} // namespace

misfire_outcome resolve_misfires(const trigger& trig, time_point due,
                                 time_point now, const misfire_policy& policy) {
  if (due > now) {
    misfire_outcome out;
    out.next = due;
    return out;
  }
  if (auto* every = std::get_if<every_trigger>(&trig))
    return resolve_every(*every, due, now, policy);
  return detail::walk_misfires(trig, due, now, policy);
}

misfire_outcome detail::walk_misfires(const trigger& trig, time_point due,
                                      time_point now,
                                      const misfire_policy& policy) {
  misfire_outcome out;
  if (due > now) {
    out.next = due;
    return out;
  }
  auto max_runs = std::max<uint64_t>(policy.max_runs, 1);
  auto on_time_from = tc::on_time_from(now, policy);
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
