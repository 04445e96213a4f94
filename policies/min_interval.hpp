// min_interval: calls at least `period` apart (the simplest under-limiter;
// with reserve(), its waiting variant).
//
// Example:
//
//   tc::min_interval lim{std::chrono::milliseconds{200}, now};
//   if (auto d = lim.admit(now); !d.admitted)
//     reply_throttled(d.retry_after);   // d.elapsed < d.expected
//
// One limiter shared by several operations shares one `last`.

#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>

#include "timecontrol/core/time.hpp"
#include "timecontrol/policies/admission.hpp"

namespace tc {

/// The decision of `min_interval::admit`: the common `admission` plus the
/// time since the last admitted call.
struct min_interval_decision : admission {
  /// `now - last` at the time of the call, clamped at 0 when `now` is before
  /// `last` (time went backwards).
  duration elapsed{0};

  /// The period the limiter enforces.
  duration expected{0};

  friend bool operator==(const min_interval_decision&,
                         const min_interval_decision&) = default;
};

/// Admits a call only if at least `period` has passed since the last admitted
/// (or reserved) call. Created at `t0`, the last call time starts at `t0`, so
/// the first call is admitted no earlier than `t0 + period`.
///
/// Time going backwards: a `now` before `last` is treated as elapsed 0; the
/// call is refused (admit) or scheduled at `last + period` (reserve). `last`
/// never moves backwards, so the limiter never admits two calls closer than
/// `period` on its own timeline and never answers a negative wait.
///
/// A period of zero or less admits every call.
class min_interval {
public:
  // -- constructors -----------------------------------------------------------

  explicit min_interval(duration period, time_point t0 = time_point{}) noexcept
      : period_(period), last_(t0) {
    // nop
  }

  // -- decisions --------------------------------------------------------------

  /// Refusing variant. Admits the call if `now - last >= period` and then sets
  /// `last = now`; otherwise refuses without changing anything, and reports
  /// `earliest = last + period`.
  min_interval_decision admit(time_point now) noexcept {
    auto d = check(now);
    if (d.admitted)
      last_ = std::max(last_, now);
    return d;
  }

  /// Like admit() but changes nothing.
  min_interval_decision check(time_point now) const noexcept {
    min_interval_decision d;
    d.expected = period_;
    d.elapsed = detail::wait_between(last_, now);
    if (period_ <= duration{0} || (now >= last_ && d.elapsed >= period_)) {
      d.admitted = true;
      d.earliest = now;
    } else {
      d.earliest = detail::add_sat(last_, period_);
      d.retry_after = detail::wait_between(now, d.earliest);
    }
    return d;
  }

  /// Waiting variant. Never refuses: returns how
  /// long the caller must wait before running the call, and books the call at
  /// `now + wait`, which becomes `last`. A call delayed into the future
  /// therefore also delays the calls after it.
  duration reserve(time_point now) noexcept {
    auto at =
        std::max(now, detail::add_sat(last_, std::max(period_, duration{0})));
    last_ = at;
    return detail::wait_between(now, at);
  }

  // -- properties -------------------------------------------------------------

  duration period() const noexcept { return period_; }

  /// The time of the last admitted or reserved call (or t0).
  time_point last() const noexcept { return last_; }

  // -- serialization ----------------------------------------------------------

  /// The state as bytes (grammar in detail/byte_io.hpp):
  ///
  ///   min_interval := 0x01 0x01 period:i64 last:i64
  std::string serialize() const;

  /// Restores a state written by serialize(); empty for any other input.
  static std::optional<min_interval> deserialize(std::string_view bytes);

  friend bool operator==(const min_interval&, const min_interval&) = default;

private:
  duration period_;
  time_point last_;
};

} // namespace tc
