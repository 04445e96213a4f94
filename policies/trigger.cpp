#include "timecontrol/policies/trigger.hpp"

#include <algorithm>

#include "timecontrol/policies/admission.hpp"
#include "timecontrol/policies/detail/int128.hpp"

namespace tc {

namespace {

uint64_t splitmix64(uint64_t x) noexcept {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

} // namespace

parse_result<every_trigger> every_trigger::make(
    duration period, time_point start, std::optional<time_point> end,
    std::optional<uint64_t> max_count, duration jitter, uint64_t seed) {
  if (period <= duration{0})
    return parse_error{"period: must be positive, got " +
                           std::to_string(period.count()) + "ns",
                       0};
  if (jitter < duration{0} || jitter >= period)
    return parse_error{"jitter: must be at least 0 and less than the period, "
                       "got " +
                           std::to_string(jitter.count()) + "ns",
                       0};
  if (end && *end < start)
    return parse_error{"end: must not be before start", 0};
  if (max_count && *max_count == 0)
    return parse_error{"max_count: must be positive", 0};
  every_trigger result;
  result.period_ = period;
  result.start_ = start;
  result.end_ = end.value_or(time_point::max());
  result.max_count_ = max_count.value_or(no_count);
  result.jitter_ = jitter;
  result.seed_ = seed;
  return result;
}

duration every_trigger::jitter_of(uint64_t k) const noexcept {
  if (jitter_ <= duration{0})
    return duration{0};
  auto h = splitmix64(seed_ ^ splitmix64(k));
  auto range = static_cast<uint64_t>(jitter_.count()) + 1;
  return duration{static_cast<int64_t>(h % range)};
}

std::optional<time_point> every_trigger::fire_time(uint64_t k) const noexcept {
  if (k >= max_count_)
    return std::nullopt;
  auto offset = static_cast<detail::int128>(k) * period_.count();
  auto at = static_cast<detail::int128>(to_nanos(start_)) + offset +
            jitter_of(k).count();
  if (at > INT64_MAX)
    return std::nullopt;
  auto result = from_nanos(static_cast<int64_t>(at));
  if (result > end_)
    return std::nullopt;
  return result;
}

uint64_t every_trigger::fires_up_to(time_point t) const noexcept {
  t = std::min(t, end_);
  // As in next_after: fires 0 .. k - 1 are before nominal(k) <= t, fire
  // k + 1 is after t, and fire k may be either.
  uint64_t k = 0;
  if (t >= start_) {
    auto diff = static_cast<detail::int128>(to_nanos(t)) - to_nanos(start_);
    auto q = diff / period_.count();
    k = q > static_cast<detail::int128>(UINT64_MAX - 1)
            ? UINT64_MAX - 1
            : static_cast<uint64_t>(q);
  }
  auto n = k;
  if (auto f = fire_time(k); f && *f <= t)
    ++n;
  return std::min(n, max_count_);
}

std::optional<time_point>
every_trigger::next_after(time_point t) const noexcept {
  // k = floor((t - start) / period): nominal(k) <= t < nominal(k + 1). Fire
  // k - 1 is before nominal(k), so the answer is fire k or fire k + 1.
  uint64_t k = 0;
  if (t >= start_) {
    auto diff = static_cast<detail::int128>(to_nanos(t)) - to_nanos(start_);
    auto q = diff / period_.count();
    if (q > static_cast<detail::int128>(UINT64_MAX - 1))
      return std::nullopt;
    k = static_cast<uint64_t>(q);
  }
  for (auto i : {k, k + 1}) {
    auto f = fire_time(i);
    if (!f)
      return std::nullopt; // later fires are past end or max_count too
    if (*f > t)
      return f;
  }
  return std::nullopt;
}

// -- cron_trigger -------------------------------------------------------------

parse_result<cron_trigger> cron_trigger::make(cron_schedule schedule,
                                              duration jitter, uint64_t seed) {
  if (jitter < duration{0})
    return parse_error{"jitter: must not be negative, got " +
                           std::to_string(jitter.count()) + "ns",
                       0};
  cron_trigger result{std::move(schedule)};
  result.jitter_ = jitter;
  result.seed_ = seed;
  return result;
}

duration
cron_trigger::jitter_of(time_point f,
                        std::optional<time_point> next) const noexcept {
  if (jitter_ <= duration{0})
    return duration{0};
  auto cap = jitter_;
  if (next)
    cap = std::min(cap, detail::wait_between(f, *next) - duration{1});
  if (cap <= duration{0})
    return duration{0};
  auto h = splitmix64(seed_ ^ splitmix64(static_cast<uint64_t>(to_nanos(f))));
  auto range = static_cast<uint64_t>(cap.count()) + 1;
  return duration{static_cast<int64_t>(h % range)};
}

std::optional<time_point>
cron_trigger::next_after(time_point t) const noexcept {
  if (jitter_ <= duration{0})
    return schedule_->next_after(t);
  auto fire = [this](time_point f) -> std::optional<time_point> {
    auto n = schedule_->next_after(f);
    return detail::add_sat(f, jitter_of(f, n));
  };
  // A nominal fire p <= t may still be ahead once jittered, if p > t - jitter
  // (jitter(p) <= jitter); only the last such p can be, since jitter(p)
  // keeps p's fire before the next nominal one.
  auto lo = t - std::min(jitter_, detail::wait_between(time_point::min(), t));
  auto first = schedule_->next_after(lo);
  if (!first)
    return std::nullopt;
  if (*first > t)
    return fire(*first);
  // The last nominal fire p <= t: a few steps forward, then by bisection
  // (many fires within one jitter).
  auto p = *first;
  auto n = schedule_->next_after(p);
  for (int steps = 0; n && *n <= t; ++steps) {
    if (steps == 8) {
      // next_after(a) <= t and next_after(b) > t.
      auto a = *n - duration{1};
      auto b = t;
      while (b - a > duration{1}) {
        auto mid = a + (b - a) / 2;
        auto m = schedule_->next_after(mid);
        if (m && *m <= t)
          a = mid;
        else
          b = mid;
      }
      p = *schedule_->next_after(a);
      n = schedule_->next_after(p);
      break;
    }
    p = *n;
    n = schedule_->next_after(p);
  }
  auto jittered = detail::add_sat(p, jitter_of(p, n));
  if (jittered > t)
    return jittered;
  if (!n)
    return std::nullopt;
  return fire(*n);
}

std::optional<time_point> next_fire_after(const trigger& trig,
                                          time_point t) noexcept {
  return std::visit([t](const auto& x) { return x.next_after(t); }, trig);
}

} // namespace tc
