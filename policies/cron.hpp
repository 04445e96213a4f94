// cron_schedule: 5-field cron expressions, in UTC or in an IANA time zone,
// for calendar triggers.
//
//   expression := [zone] (field{5} | macro)
//   zone       := ("CRON_TZ=" | "TZ=") name   an IANA zone of the system tz
//                                             database: "TZ=Europe/Berlin"
//   macro      := "@yearly" | "@annually" | "@monthly" | "@weekly"
//               | "@daily" | "@midnight" | "@hourly"
//   fields     := minute hour day-of-month month day-of-week (blank-separated)
//   field      := item ("," item)*
//   item       := ("*" | value | value "-" value) ["/" step]
//               | day-of-month only: "L" ["-" n]    last day, n days before it
//               | day-of-week only:  value "L"      the last such weekday of
//                                                   the month
//                                  | value "#" k    the k-th such weekday
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
// Values and ranges are Vixie cron's (cronie's src/entry.c): a range lo-hi
// with lo <= hi, a step after "*" or a range; "*" is the field's whole range,
// 0-7 for day-of-week. Beyond cronie:
//
// - "value/step" runs from the value to the field's end: "5/15" in minutes is
//   5,20,35,50, "1/2" in day-of-week is 1-7/2, Monday, Wednesday, Friday and
//   Sunday (7). Cronie refuses "value/step"; Quartz, systemd, robfig/cron
//   and croniter accept it as here, though the last two end day-of-week at 6
//   (so their "1/2" skips Sunday).
// - A day-of-week range ending in Sunday written 0 ("FRI-SUN", "5-0") ends
//   at 7, as cronie does for ranges without a step; with a step too
//   ("5-0/2", which cronie accepts and never fires).
// - "L" in day-of-month is the month's last day and "L-n" (n = 0-30) n days
//   before it: "L-1" is the 30th of a 31-day month, the 27th of February in
//   a leap year. "nL" in day-of-week is the last weekday n of the month
//   ("5L", "FRIL": the last Friday) and "n#k" (k = 1-5) the k-th ("1#1",
//   "MON#1": the first Monday; "#5" fires only in months that have five).
//   These are Quartz's forms (its "L-3", "6L", "6#3"), with cron's weekday
//   numbers (Quartz counts Sunday as 1). They may stand in lists
//   ("L,15", "1#1,1#3"), not in ranges or with steps. Not accepted: "W"
//   (nearest weekday), "LW", "L" alone in day-of-week, "?".
//
// Days: when both day-of-month and day-of-week are restricted, a day matches
// if either matches (as in Vixie cron); when one of them is exactly `*`, the
// other alone decides. Vixie cron tests only the first character, so there
// "*/2" counts as `*` too (the days are then those matching both fields);
// here "*/2" is a restriction like "1-31/2", as in robfig/cron. Kept because
// stored intents mean what they meant when they were written.
//
// An expression that can never fire is refused: every accepted one matches
// some day within the 400-year Gregorian cycle (so "0 0 30 2 *" and
// "0 0 L-29 2 *" are errors; "0 0 29 2 *" fires every four years, "0 9 * 2
// 1#5" in the Februaries of 29 days that begin on a Monday).
//
// Time zones. Without a zone, times are UTC. With one, the fields are read on
// the zone's wall clock (through Howard Hinnant's date/tz on the system tz
// database, /usr/share/zoneinfo, with the POSIX rule each zone file ends
// with for the years after its last listed change; see detail/zone.hpp).
// Daylight-saving changes follow cronie (cron.c, the "DST begins"/"DST ends"
// cases of its main loop), which tells apart "fixed-time" entries from
// "wildcard" ones, whose minute or hour field begins with `*`:
//
// - Spring forward: a local time that does not exist (02:30 in Berlin on the
//   last Sunday of March) fires a fixed-time expression once, at the first
//   instant after the gap (03:00 CEST); several such times in one gap give
//   one fire. A wildcard expression ("*/15 * * * *", "30 * * * *") skips the
//   missing times and goes on at the next existing one.
// - Fall back: a local time that happens twice (02:30 in Berlin on the last
//   Sunday of October) fires a fixed-time expression once, the first time. A
//   wildcard expression fires on the wall clock both times (cronie runs
//   wildcard jobs through the repeated hour, so "*/15 * * * *" keeps firing
//   every 15 minutes and "0 * * * *" every hour).
//
// The rules hold for changes of any size (Lord Howe's 30 minutes, Samoa's
// skipped 30 December 2011; cronie treats a jump of over 3 hours as a clock
// change and runs nothing for it). systemd's OnCalendar differs: it fires
// nothing in a repeated hour (systemd issue 8647). Fires are whole minutes of
// the zone's clock; a zone may not be a whole number of minutes from UTC
// (local mean time before 1900).
//
// Bad input never throws: parse() answers a parse_error whose position is
// the byte where the problem starts. The messages:
//
//   "expected 5 fields (minute hour day-of-month month day-of-week), got N"
//   "unknown macro '@x'"
//   "FIELD: N is out of range LO-HI", "FIELD: 'x' is not a number",
//   "FIELD: unknown name 'x'", "FIELD: a value is missing",
//   "FIELD: empty list item", "FIELD: a step is missing after '/'",
//   "FIELD: step 'x' is not a number", "FIELD: step 0 must be positive",
//   "FIELD: range A-B runs backwards (write it as two ranges)"
//   "day-of-month: 'L3': after 'L' only '-n' may follow (L-3)",
//   "...: 'L-x': expected a number of days after 'L-'",
//   "...: 'L-31': L-n takes n from 0 to 30",
//   "...: 'LW': 'W' (nearest weekday) is not supported",
//   "FIELD: 'L/2' takes no step", "day-of-week: '1-5L' cannot be in a range",
//   "day-of-week: 'L' needs a weekday before it (...)",
//   "day-of-week: '1#6': '#' takes a week from 1 to 5"
//   "day-of-month: no selected day occurs in the selected months"  (the
//       expression could never fire; every accepted one fires at least once
//       in any 41 years, the longest wait being a fifth Monday of February)
//   "a time zone name is missing after 'TZ='",
//   "'x' is not a time zone name (letters, digits, '/', '_', '-' and '+',
//       as in Europe/Berlin)",
//   "'localtime' is this machine's own zone, ...",
//   "unknown time zone 'X' (not in the system tz database,
//       /usr/share/zoneinfo)", "time zone 'X' cannot be read: ..."

#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "timecontrol/core/time.hpp"
#include "timecontrol/policies/parse_result.hpp"

namespace tc {

namespace detail {
class zone;
} // namespace detail

class cron_schedule {
public:
  // -- factories --------------------------------------------------------------

  static parse_result<cron_schedule> parse(std::string_view expression);

  // -- queries ----------------------------------------------------------------

  /// The first fire time strictly after `t`; empty if there is none before
  /// the end of the representable range (year 2262).
  std::optional<time_point> next_after(time_point t) const noexcept;

  /// True if `t` is a fire time.
  bool matches(time_point t) const noexcept;

  /// The expression as given to parse().
  const std::string& text() const noexcept { return text_; }

  /// The time zone's name; empty for UTC.
  const std::string& zone_name() const noexcept;

  friend bool operator==(const cron_schedule& x, const cron_schedule& y) {
    return x.minutes_ == y.minutes_ && x.hours_ == y.hours_ &&
           x.days_ == y.days_ && x.months_ == y.months_ &&
           x.weekdays_ == y.weekdays_ && x.dom_last_ == y.dom_last_ &&
           x.dow_last_ == y.dow_last_ && x.dow_nth_ == y.dow_nth_ &&
           x.dom_star_ == y.dom_star_ && x.dow_star_ == y.dow_star_ &&
           x.wildcard_ == y.wildcard_ && x.zone_name() == y.zone_name();
  }

private:
  friend class cron_parser;

  /// The first matching minute m of the wall clock with from <= m < limit
  /// (minutes since 1970-01-01 on that clock).
  std::optional<int64_t> next_minute(int64_t from,
                                     int64_t limit) const noexcept;

  std::optional<time_point> next_after_zoned(time_point t) const noexcept;

  /// Whether day `d` (weekday `wd`, 0 = Sunday) of a month with `dim` days
  /// matches the day fields; the month is checked apart.
  bool day_matches(int d, int wd, int dim) const noexcept;

  uint64_t minutes_ = 0;  // bit i: minute i (0-59)
  uint32_t hours_ = 0;    // bit i: hour i (0-23)
  uint32_t days_ = 0;     // bit i: day i (1-31)
  uint32_t months_ = 0;   // bit i: month i (1-12)
  uint32_t weekdays_ = 0; // bit i: weekday i (0-6, Sunday = 0)
  uint32_t dom_last_ = 0; // bit n: "L-n", n days before the last day
  uint32_t dow_last_ = 0; // bit i: "iL", the last weekday i of the month
  uint64_t dow_nth_ = 0;  // bit 5i + k - 1: "i#k"
  bool dom_star_ = true;
  bool dow_star_ = true;
  bool wildcard_ = false; // minute or hour begins with '*' (cronie)
  bool calendar_ = false; // any L or # item
  std::shared_ptr<const detail::zone> zone_;
  std::string text_;
};

} // namespace tc
