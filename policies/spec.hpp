// Limiter specs: the short texts a user writes to configure an
// under-limiter, parsed into the configuration of one of the three.
//
//   spec      := min_spec | rate_spec | window_spec
//   min_spec  := "min" duration                      "min 200ms"
//   rate_spec := number "/" [number] unit            "5/s", "0.5/s", "3/10s"
//                ["burst" integer]                   "5/s burst 10" (>= 1)
//   window_spec := integer "per" duration            "20 per 10s"
//   duration  := number unit                         "200ms", "1.5s", "10 s"
//   number    := digits ["." digits]
//   unit      := "ns" | "us" | "ms" | "s" | "m" | "min" | "h" | "d"
//              | "sec" | "second" | "seconds" | "minute" | "minutes"
//              | "hour" | "hours" | "day" | "days"
//
// Words are case-insensitive and blanks between tokens are optional. A
// rate's default burst is its count rounded up (at least 1): "5/s" allows 5
// at once, then 5 per second. Decimals are exact ("0.5/s" is 1 token per 2 s,
// "1.5s" is 1500 ms; whole rates stay as written, "100/min" is 100 per 60 s); a
// duration that is not a whole number of nanoseconds, a zero or overflowing
// value, and anything left over are errors. An error names the byte position
// and what was expected there.

#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "timecontrol/core/time.hpp"
#include "timecontrol/policies/parse_result.hpp"
#include "timecontrol/policies/token_bucket.hpp"

namespace tc {

/// "min 200ms": a min_interval with this period.
struct min_interval_config {
  duration period{0};

  friend bool operator==(const min_interval_config&,
                         const min_interval_config&) = default;
};

/// "5/s burst 10": a token_bucket with this rate and burst.
struct token_bucket_config {
  token_rate rate;
  int64_t burst = 1;

  friend bool operator==(const token_bucket_config&,
                         const token_bucket_config&) = default;
};

/// "20 per 10s": a sliding_window of this limit and window.
struct sliding_window_config {
  uint64_t limit = 0;
  duration window{0};

  friend bool operator==(const sliding_window_config&,
                         const sliding_window_config&) = default;
};

using limiter_spec = std::variant<min_interval_config, token_bucket_config,
                                  sliding_window_config>;

/// Parses a limiter spec; never throws.
parse_result<limiter_spec> parse_limiter_spec(std::string_view text);

/// A canonical text that parses back to `spec` ("min 200ms", "5/1s burst 10",
/// "20 per 10s").
std::string to_string(const limiter_spec& spec);

/// A positive duration: number unit ("200ms", "1.5s", "5 min"), exact to
/// the nanosecond, with nothing left over.
parse_result<duration> parse_duration(std::string_view text);

/// A duration as the shortest exact text: "200ms", "1500ms", "3ns", "2h",
/// "-5s" (parse_duration reads the positive ones back).
std::string duration_to_string(duration d);

/// A duration for people, in the same units: three significant digits in
/// the largest unit it reaches ("350ns", "12.5us", "1.23ms", "2.5s",
/// "57.2min", "3.43h", "4.2d"; "0s"; "-" before a negative one). Rounded,
/// so not for text that must parse back: use duration_to_string there. A
/// value that would round to 1000 of a unit (or 60 min, 24 h) is written in
/// the next one.
std::string duration_to_text(duration d);

} // namespace tc
