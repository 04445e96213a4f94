// Internal: an IANA time zone of the system tz database, as cron_schedule
// needs it: the stretch of UTC time with one offset that contains an instant.
// Not part of the API.
//
// The offsets come from Howard Hinnant's date/tz (Debian's
// libhowardhinnant-date-dev, built with USE_OS_TZDB: it reads the compiled
// files in /usr/share/zoneinfo). date 3.0.1 reads only the explicit
// transitions of a file; past the last one (2037 in Debian's "fat" files,
// earlier in "slim" ones) it keeps the last offset for ever, so Berlin would
// stay on winter time from 2038. Every version-2+ file ends with a POSIX TZ
// string (RFC 8536 section 3.3) for the time after its last transition; this
// file reads it and applies it from there on, as glibc's localtime does.
//
// Zones are loaded once per process and shared (load() caches them by name);
// they are immutable, so any thread may use them.

#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace tc::detail {

/// A POSIX TZ string: "CET-1CEST,M3.5.0,M10.5.0/3", "<+1030>-10:30<+11>-11,
/// M10.1.0,M4.1.0", "EST5". Offsets are in seconds east of UTC (POSIX writes
/// them west, with the opposite sign).
struct posix_tz {
  struct rule {
    /// 'J': day n (1-365) of the year, February 29 never counted;
    /// 'D': day n (0-365), February 29 counted; 'M': weekday d (0 = Sunday)
    /// of week w (1-5, 5 = the last) of month m.
    char kind = 'M';
    int n = 0;
    int m = 0;
    int w = 0;
    int d = 0;
    /// Local time of day of the change, in the time in force before it, in
    /// seconds (-167h to 167h; default 02:00).
    int32_t time = 7200;
  };

  int32_t std_offset = 0;
  bool has_dst = false;
  int32_t dst_offset = 0;
  rule start;
  rule end;

  /// Parses a TZ string; empty if it is not one.
  static std::optional<posix_tz> parse(std::string_view text);

  /// The UTC instant (seconds) at which DST starts (`to_dst`) or ends in
  /// year `y`. Requires has_dst.
  int64_t change(int64_t y, bool to_dst) const noexcept;
};

/// A stretch [begin, end) of UTC seconds with one offset.
struct zone_segment {
  int64_t begin;
  int64_t end;    // INT64_MAX: no change after begin
  int32_t offset; // seconds east of UTC
};

class zone {
public:
  /// The zone called `name` ("Europe/Berlin"), or a sentence saying why
  /// there is none ("unknown time zone 'Europe/Berlni'").
  static std::variant<std::shared_ptr<const zone>, std::string>
  load(std::string_view name);

  const std::string& name() const noexcept { return name_; }

  /// The segment that contains UTC second `s` (each thread remembers the
  /// last four it was asked for).
  zone_segment segment_at(int64_t s) const noexcept;

  /// The POSIX TZ string the zone follows after its last transition, if
  /// there is one and it parsed.
  const std::optional<posix_tz>& footer() const noexcept { return footer_; }

private:
  zone_segment compute_segment(int64_t s) const noexcept;

  zone_segment footer_segment(int64_t s) const noexcept;

  std::string name_;
  const void* tz_ = nullptr; // a date::time_zone, which lives for ever
  std::optional<posix_tz> footer_;
  int64_t footer_from_ = INT64_MAX; // the last transition date/tz knows
};

} // namespace tc::detail
