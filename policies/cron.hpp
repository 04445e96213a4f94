// cron_schedule: 5-field cron expressions in UTC, for calendar triggers.
//
//   expression := field{5} | "@yearly" | "@annually" | "@monthly" | "@weekly"
//                 | "@daily" | "@midnight" | "@hourly"
//   fields     := minute hour day-of-month month day-of-week (blank-separated)
//   field      := item ("," item)*
//   item       := ("*" | value | value "-" value) ["/" step]
//               | value "/" step                 (value to the field's end)
//   value      := number | name
//
//   field        | range | names
//   -------------|-------|---------------------------------------------
//   minute       | 0-59  |
//   hour         | 0-23  |
//   day-of-month | 1-31  |
//   month        | 1-12  | JAN..DEC (any case)
//   day-of-week  | 0-7   | SUN..SAT (any case); 0 and 7 are Sunday
//
// Days: when both day-of-month and day-of-week are restricted, a day matches
// if either matches (as in Vixie cron); when one of them is `*`, the other
// alone decides. A field is unrestricted only when it is exactly `*`
// (unlike Vixie cron, `*/2` counts as restricted).
//
// Times are UTC; there are no time zones and no daylight-saving rules. The
// resolution is one minute: fire times are whole minutes.
//
// Bad input never throws: parse() answers a parse_error naming the field and
// what is wrong ("hour: 24 is out of range 0-23"). Expressions that can never
// fire ("0 0 30 2 *") are rejected too.

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "timecontrol/core/time.hpp"
#include "timecontrol/policies/parse_result.hpp"

namespace tc {

class cron_schedule {
public:
  // -- factories --------------------------------------------------------------

  static parse_result<cron_schedule> parse(std::string_view expression);

  // -- queries ----------------------------------------------------------------

  /// The first matching whole minute strictly after `t`; empty if there is
  /// none before the end of the representable range (year 2262).
  std::optional<time_point> next_after(time_point t) const noexcept;

  /// True if `t` is a whole minute that the expression matches.
  bool matches(time_point t) const noexcept;

  /// The expression as given to parse().
  const std::string& text() const noexcept { return text_; }

  friend bool operator==(const cron_schedule& x, const cron_schedule& y) {
    return x.minutes_ == y.minutes_ && x.hours_ == y.hours_ &&
           x.days_ == y.days_ && x.months_ == y.months_ &&
           x.weekdays_ == y.weekdays_ && x.dom_star_ == y.dom_star_ &&
           x.dow_star_ == y.dow_star_;
  }

private:
  bool day_matches(int month, int day, int weekday) const noexcept;

  uint64_t minutes_ = 0;  // bit i: minute i (0-59)
  uint32_t hours_ = 0;    // bit i: hour i (0-23)
  uint32_t days_ = 0;     // bit i: day i (1-31)
  uint32_t months_ = 0;   // bit i: month i (1-12)
  uint32_t weekdays_ = 0; // bit i: weekday i (0-6, Sunday = 0)
  bool dom_star_ = true;
  bool dow_star_ = true;
  std::string text_;
};

} // namespace tc
