// The one answer every under-limiter gives: admit now, or the earliest time at
// which the same call would be admitted.
//
// `min_interval`, `token_bucket` and `sliding_window` all return an
// `admission` (min_interval a subclass of it that adds elapsed and expected),
// so a Command can apply any of them the same way:
//
//   auto a = limiter.admit(now);
//   if (a.admitted) run(); else reject_with_retry_after(a.retry_after);

#pragma once

#include "timecontrol/core/time.hpp"

namespace tc {

/// The decision of an under-limiter for one call at one `now`.
struct admission {
  /// True if the call was admitted (and the limiter's state now counts it).
  bool admitted = false;

  /// When `admitted`, the `now` of the call. Otherwise the earliest time at
  /// which the same call would be admitted if nothing else happens in
  /// between (never before `now`); `never` (time_point::max()) means never,
  /// e.g. more tokens than the burst.
  time_point earliest;

  /// `earliest - now`, never negative; zero when admitted. Saturates at
  /// `duration::max()` when `earliest` is never.
  duration retry_after{0};

  friend bool operator==(const admission&, const admission&) = default;
};

/// The largest representable time point, used as "never".
inline constexpr time_point never = time_point::max();

namespace detail {

/// `to - from`, clamped to [0, duration::max()], without overflow.
constexpr duration wait_between(time_point from, time_point to) noexcept {
  if (to <= from)
    return duration{0};
  if (to == never)
    return duration::max();
  auto f = to_nanos(from);
  auto t = to_nanos(to);
  if (f < 0 && t > INT64_MAX + f)
    return duration::max();
  return duration{t - f};
}

/// `t + d` for d >= 0, saturating at `never`.
constexpr time_point add_sat(time_point t, duration d) noexcept {
  auto n = to_nanos(t);
  auto c = d.count();
  if (c > 0 && n > INT64_MAX - c)
    return never;
  if (c < 0 && n < INT64_MIN - c)
    return time_point::min();
  return from_nanos(n + c);
}

} // namespace detail

} // namespace tc
