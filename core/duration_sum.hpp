// Adding up durations and times without overflowing 64-bit nanoseconds.
//
// A duration is a signed 64-bit count of nanoseconds: about 292 years either
// way. Sums of many delays (150 000 calls each waiting up to 40 hours add up
// to more than that), and differences of times far apart (1700 and 2200),
// leave that range. Two tools, chosen per place:
//
//   duration_sum          an exact 128-bit sum of durations, for totals and
//                         means that must be exact (any 2^64 durations fit);
//   saturating_add,       a result clamped to the range of duration (or
//   saturating_sub,       of time_point), for values that are reported as a
//   saturating_between    duration anyway or only compared with a bound.
//
// Example:
//
//   tc::duration_sum total;
//   for (auto d : delays)
//     total += d;
//   auto mean = total.mean(delays.size()); // exact, truncated towards 0

#pragma once

#include <cstdint>
#include <limits>

#include "timecontrol/core/time.hpp"

namespace tc {

/// `a + b`, clamped to the range of duration instead of overflowing.
constexpr duration saturating_add(duration a, duration b) noexcept {
  int64_t r = 0;
  if (__builtin_add_overflow(a.count(), b.count(), &r))
    return b.count() > 0 ? duration::max() : duration::min();
  return duration{r};
}

/// `to - from`, clamped to the range of duration instead of overflowing
/// (times more than about 292 years apart).
constexpr duration saturating_between(time_point from, time_point to) noexcept {
  int64_t r = 0;
  if (__builtin_sub_overflow(to_nanos(to), to_nanos(from), &r))
    return to > from ? duration::max() : duration::min();
  return duration{r};
}

/// `t + d`, clamped to the range of time_point instead of overflowing.
constexpr time_point saturating_add(time_point t, duration d) noexcept {
  int64_t r = 0;
  if (__builtin_add_overflow(to_nanos(t), d.count(), &r))
    return d.count() > 0 ? time_point::max() : time_point::min();
  return from_nanos(r);
}

/// `t - d`, clamped to the range of time_point instead of overflowing.
constexpr time_point saturating_sub(time_point t, duration d) noexcept {
  int64_t r = 0;
  if (__builtin_sub_overflow(to_nanos(t), d.count(), &r))
    return d.count() > 0 ? time_point::min() : time_point::max();
  return from_nanos(r);
}

/// An exact sum of durations in 128 bits: 2^64 durations of any value fit.
class duration_sum {
public:
  __extension__ typedef __int128 value_type;

  constexpr duration_sum& operator+=(duration d) noexcept {
    ns_ += d.count();
    return *this;
  }

  constexpr duration_sum& operator+=(const duration_sum& other) noexcept {
    ns_ += other.ns_;
    return *this;
  }

  /// The exact sum in nanoseconds.
  constexpr value_type nanos() const noexcept { return ns_; }

  /// The sum as a duration, clamped to its range.
  constexpr duration clamped() const noexcept {
    if (ns_ > std::numeric_limits<int64_t>::max())
      return duration::max();
    if (ns_ < std::numeric_limits<int64_t>::min())
      return duration::min();
    return duration{static_cast<int64_t>(ns_)};
  }

  /// The sum divided by `n`, truncated towards zero (0 for n = 0). When the
  /// sum is of `n` durations the mean lies between the smallest and the
  /// largest of them, so it is exact and fits.
  constexpr duration mean(uint64_t n) const noexcept {
    if (n == 0)
      return duration{0};
    duration_sum q;
    q.ns_ = ns_ / static_cast<value_type>(n);
    return q.clamped();
  }

  /// The sum in seconds, for rates and shares.
  constexpr long double seconds() const noexcept {
    return static_cast<long double>(ns_) / 1e9L;
  }

  friend constexpr bool operator==(const duration_sum&,
                                   const duration_sum&) = default;

private:
  value_type ns_ = 0;
};

} // namespace tc
