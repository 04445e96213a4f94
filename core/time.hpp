// The time vocabulary every layer shares.
//
// timecontrol measures time in nanoseconds. A `time_point` counts nanoseconds
// since the Unix epoch (UTC, leap seconds not counted, as std::chrono's
// system_clock does), a `duration` is a signed nanosecond count. Policies take
// `now` as a parameter of this type; actors read it from one injected clock.

#pragma once

#include <chrono>
#include <cstdint>

namespace tc {

using duration = std::chrono::nanoseconds;
using time_point = std::chrono::time_point<std::chrono::system_clock, duration>;

/// Nanoseconds since the epoch, the form stored on disk.
constexpr int64_t to_nanos(time_point t) noexcept {
  return t.time_since_epoch().count();
}

constexpr time_point from_nanos(int64_t ns) noexcept {
  return time_point{duration{ns}};
}

/// a / b rounded towards negative infinity (b > 0), so that times before
/// the epoch fall into buckets aligned like those after it.
constexpr int64_t floor_div(int64_t a, int64_t b) noexcept {
  auto q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

} // namespace tc
