// max_interval: calls at most `period` apart (an over-limiter on its own,
// without the Controller's grace and status). It never blocks a call; it
// reports calls that came late.
//
// Example:
//
//   tc::max_interval lim{std::chrono::seconds{5}};
//   if (auto r = lim.call(now); r.late)
//     emit_late(r.elapsed, r.expected);

#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>

#include "timecontrol/core/time.hpp"
#include "timecontrol/policies/admission.hpp"

namespace tc {

/// What `max_interval` says about one call.
struct lateness {
  /// True if more than `expected` passed since the previous call.
  bool late = false;

  /// `now - last`, clamped at 0 when `now` is before `last`.
  duration elapsed{0};

  /// The period the limiter watches.
  duration expected{0};

  friend bool operator==(const lateness&, const lateness&) = default;
};

/// Reports a call as late when more than `period` passed since the previous
/// call. The last call time starts at `t0` (the epoch by default, as in the
/// original). The call still happens: `last` becomes `now` either way.
///
/// Exactly `period` after the previous call is not late. Time going
/// backwards: a `now` before `last` has elapsed 0, is not late, and does not
/// move `last` backwards.
class max_interval {
public:
  // -- constructors -----------------------------------------------------------

  explicit max_interval(duration period, time_point t0 = time_point{}) noexcept
      : period_(period), last_(t0) {
    // nop
  }

  // -- decisions --------------------------------------------------------------

  /// Records a call at `now` and says whether it came late.
  lateness call(time_point now) noexcept {
    auto r = check(now);
    last_ = std::max(last_, now);
    return r;
  }

  /// What call(now) would say, without recording anything.
  lateness check(time_point now) const noexcept {
    lateness r;
    r.expected = period_;
    r.elapsed = detail::wait_between(last_, now);
    r.late = r.elapsed > period_;
    return r;
  }

  /// The first instant at which a call would be late: `last + period + 1ns`.
  /// An actor sets its one timer here.
  time_point late_from() const noexcept {
    auto end = detail::add_sat(last_, std::max(period_, duration{0}));
    return detail::add_sat(end, duration{1});
  }

  // -- properties -------------------------------------------------------------

  duration period() const noexcept { return period_; }

  time_point last() const noexcept { return last_; }

  friend bool operator==(const max_interval&, const max_interval&) = default;

private:
  duration period_;
  time_point last_;
};

} // namespace tc
