#include "timecontrol/policies/detail/zone.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>

#include <date/tz.h>

namespace tc::detail {

namespace {

// Where date/tz 3.0.1 with USE_OS_TZDB reads zones on Linux (its
// discover_tz_dir()); the footer is read from the same file.
constexpr std::string_view tz_dir = "/usr/share/zoneinfo";

int64_t floor_div(int64_t a, int64_t b) {
  auto q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// Days since 1970-01-01 of a civil date (H. Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  auto era = (y >= 0 ? y : y - 399) / 400;
  auto yoe = y - era * 400;
  auto doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  auto doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int64_t year_of_days(int64_t z) {
  z += 719468;
  auto era = (z >= 0 ? z : z - 146096) / 146097;
  auto doe = z - era * 146097;
  auto yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  auto doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  auto mp = (5 * doy + 2) / 153;
  auto y = yoe + era * 400;
  return mp < 10 ? y : y + 1;
}

bool leap(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int days_in_month(int64_t y, int m) {
  static constexpr int days[] = {31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : days[m - 1];
}

// A reader of POSIX TZ strings (RFC 8536 section 3.3.1).
class tz_reader {
public:
  explicit tz_reader(std::string_view in) : in_(in) {}

  std::optional<posix_tz> run() {
    posix_tz result;
    if (!name())
      return std::nullopt;
    auto std_west = hms(24);
    if (!std_west)
      return std::nullopt;
    result.std_offset = -*std_west;
    if (at_end())
      return result;
    if (!name())
      return std::nullopt;
    result.has_dst = true;
    result.dst_offset = result.std_offset + 3600;
    if (!at_end() && in_[pos_] != ',') {
      auto dst_west = hms(24);
      if (!dst_west)
        return std::nullopt;
      result.dst_offset = -*dst_west;
    }
    // zic always writes the rules when there is a DST name; without them
    // POSIX leaves the dates to the implementation.
    if (!take(',') || !date_rule(result.start) || !take(',') ||
        !date_rule(result.end) || !at_end())
      return std::nullopt;
    return result;
  }

private:
  bool at_end() const { return pos_ == in_.size(); }

  bool take(char c) {
    if (pos_ < in_.size() && in_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  static bool alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }

  static bool digit(char c) { return c >= '0' && c <= '9'; }

  // A zone abbreviation: three or more letters, or <...> of letters,
  // digits, '+' and '-'.
  bool name() {
    auto start = pos_;
    if (take('<')) {
      while (pos_ < in_.size() && in_[pos_] != '>') {
        auto c = in_[pos_];
        if (!alpha(c) && !digit(c) && c != '+' && c != '-')
          return false;
        ++pos_;
      }
      if (pos_ - start - 1 < 3 || !take('>'))
        return false;
      return true;
    }
    while (pos_ < in_.size() && alpha(in_[pos_]))
      ++pos_;
    return pos_ - start >= 3;
  }

  std::optional<int> number(int max) {
    int v = 0;
    int digits = 0;
    while (pos_ < in_.size() && digit(in_[pos_])) {
      v = v * 10 + (in_[pos_++] - '0');
      if (++digits > 3 || v > max)
        return std::nullopt;
    }
    if (digits == 0)
      return std::nullopt;
    return v;
  }

  // [+|-]hh[:mm[:ss]] in seconds, hours at most `max_hours`.
  std::optional<int32_t> hms(int max_hours) {
    int sign = 1;
    if (take('-'))
      sign = -1;
    else
      take('+');
    auto h = number(max_hours);
    if (!h)
      return std::nullopt;
    int32_t result = *h * 3600;
    if (take(':')) {
      auto m = number(59);
      if (!m)
        return std::nullopt;
      result += *m * 60;
      if (take(':')) {
        auto s = number(59);
        if (!s)
          return std::nullopt;
        result += *s;
      }
    }
    return sign * result;
  }

  bool date_rule(posix_tz::rule& r) {
    if (take('J')) {
      auto n = number(365);
      if (!n || *n < 1)
        return false;
      r.kind = 'J';
      r.n = *n;
    } else if (take('M')) {
      auto m = number(12);
      if (!m || *m < 1 || !take('.'))
        return false;
      auto w = number(5);
      if (!w || *w < 1 || !take('.'))
        return false;
      auto d = number(6);
      if (!d)
        return false;
      r.kind = 'M';
      r.m = *m;
      r.w = *w;
      r.d = *d;
    } else {
      auto n = number(365);
      if (!n)
        return false;
      r.kind = 'D';
      r.n = *n;
    }
    r.time = 7200;
    if (take('/')) {
      auto t = hms(167);
      if (!t)
        return false;
      r.time = *t;
    }
    return true;
  }

  std::string_view in_;
  size_t pos_ = 0;
};

// The footer of a TZif file of version 2 or later: the text between its
// last two newlines.
std::optional<std::string> read_footer(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return std::nullopt;
  std::string bytes;
  std::array<char, 4096> buf;
  while (in.read(buf.data(), buf.size()) || in.gcount() > 0) {
    bytes.append(buf.data(), static_cast<size_t>(in.gcount()));
    if (bytes.size() > (1u << 20))
      return std::nullopt;
  }
  if (bytes.size() < 6 || bytes.compare(0, 4, "TZif") != 0 || bytes[4] < '2' ||
      bytes.back() != '\n')
    return std::nullopt;
  auto open = bytes.rfind('\n', bytes.size() - 2);
  if (open == std::string::npos)
    return std::nullopt;
  return bytes.substr(open + 1, bytes.size() - open - 2);
}

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 255 || name.front() == '/' ||
      name.back() == '/' || name.find("//") != std::string_view::npos ||
      name.find("..") != std::string_view::npos)
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '/' || c == '_' || c == '-' ||
           c == '+';
  });
}

const date::time_zone* date_zone(const void* p) {
  return static_cast<const date::time_zone*>(p);
}

} // namespace

// -- posix_tz -----------------------------------------------------------------

std::optional<posix_tz> posix_tz::parse(std::string_view text) {
  return tz_reader{text}.run();
}

int64_t posix_tz::change(int64_t y, bool to_dst) const noexcept {
  const auto& r = to_dst ? start : end;
  int64_t day = 0;
  switch (r.kind) {
    case 'J':
      day = days_from_civil(y, 1, 1) + r.n - 1 + (leap(y) && r.n >= 60 ? 1 : 0);
      break;
    case 'D':
      day = days_from_civil(y, 1, 1) + r.n;
      break;
    default: {
      auto first = days_from_civil(y, r.m, 1);
      auto wd1 = floor_div(first + 4, 7) * -7 + first + 4; // weekday, 0 = Sun
      auto d = 1 + (r.d - wd1 + 7) % 7 + 7 * (r.w - 1);
      while (d > days_in_month(y, r.m))
        d -= 7;
      day = first + d - 1;
    }
  }
  return day * 86400 + r.time - (to_dst ? std_offset : dst_offset);
}

// -- zone ---------------------------------------------------------------------

std::variant<std::shared_ptr<const zone>, std::string>
zone::load(std::string_view name) {
  // A char first, not "'": GCC 12 at -O3 reports a false -Wrestrict for a
  // one-character literal + std::string (GCC bug 105329).
  auto quoted = '\'' + std::string{name} + '\'';
  if (!valid_name(name))
    return '\'' + std::string{name.substr(0, 64)} +
           "' is not a time zone name (letters, digits, '/', '_', '-' and "
           "'+', as in Europe/Berlin)";
  if (name == "localtime")
    return "'localtime' is this machine's own zone, not the same on every "
           "machine; name the zone (e.g. Europe/Berlin)";
  static std::mutex mtx;
  static std::map<std::string, std::shared_ptr<const zone>, std::less<>> cache;
  std::lock_guard<std::mutex> guard{mtx};
  if (auto i = cache.find(name); i != cache.end())
    return i->second;
  const date::time_zone* tz = nullptr;
  try {
    tz = date::locate_zone(std::string{name});
  } catch (const std::exception&) {
    return "unknown time zone " + quoted + " (not in the system tz database, " +
           std::string{tz_dir} + ")";
  }
  int64_t last_change = INT64_MIN;
  try {
    // Loads the zone's file (date/tz reads it on first use).
    auto far = date::sys_seconds{std::chrono::seconds{int64_t{1} << 36}};
    auto info = tz->get_info(far);
    last_change = info.begin.time_since_epoch().count();
  } catch (const std::exception& e) {
    return "time zone " + quoted + " cannot be read: " + e.what();
  }
  auto z = std::make_shared<zone>();
  z->name_ = std::string{name};
  z->tz_ = tz;
  if (auto text = read_footer(std::string{tz_dir} + "/" + z->name_)) {
    if (auto rule = posix_tz::parse(*text); rule && rule->has_dst) {
      z->footer_ = rule;
      z->footer_from_ = last_change;
    }
  }
  cache.emplace(z->name_, z);
  return std::shared_ptr<const zone>{std::move(z)};
}

zone_segment zone::footer_segment(int64_t s) const noexcept {
  const auto& f = *footer_;
  auto y = year_of_days(floor_div(s, 86400));
  struct change {
    int64_t at;
    bool to_dst;
  };
  std::array<change, 10> cs;
  size_t n = 0;
  for (auto k = y - 2; k <= y + 2; ++k) {
    cs[n++] = {f.change(k, true), true};
    cs[n++] = {f.change(k, false), false};
  }
  // At one instant an end comes before a start (a DST all year round ends
  // as the next year's starts).
  std::sort(cs.begin(), cs.end(), [](const change& a, const change& b) {
    return a.at != b.at ? a.at < b.at : a.to_dst < b.to_dst;
  });
  // The state at s is the one of the last change at or before it.
  size_t last = 0;
  for (size_t i = 0; i < n; ++i)
    if (cs[i].at <= s)
      last = i;
  bool dst = cs[last].to_dst;
  auto begin = cs[last].at;
  for (size_t i = last; i > 0 && cs[i - 1].to_dst == dst; --i)
    begin = cs[i - 1].at;
  int64_t end = INT64_MAX;
  for (size_t i = last + 1; i < n; ++i)
    if (cs[i].to_dst != dst) {
      end = cs[i].at;
      break;
    }
  return {std::max(begin, footer_from_), end,
          dst ? f.dst_offset : f.std_offset};
}

zone_segment zone::segment_at(int64_t s) const noexcept {
  // The last segments this thread asked for (zones live for ever, so their
  // addresses name them).
  struct entry {
    const zone* z = nullptr;
    zone_segment seg{};
  };
  thread_local std::array<entry, 4> recent;
  thread_local size_t next = 0;
  for (auto& e : recent)
    if (e.z == this && s >= e.seg.begin && s < e.seg.end)
      return e.seg;
  auto seg = compute_segment(s);
  recent[next] = {this, seg};
  next = (next + 1) % recent.size();
  return seg;
}

zone_segment zone::compute_segment(int64_t s) const noexcept {
  if (footer_ && s >= footer_from_)
    return footer_segment(s);
  auto info =
      date_zone(tz_)->get_info(date::sys_seconds{std::chrono::seconds{s}});
  auto begin = info.begin.time_since_epoch().count();
  auto end = info.end.time_since_epoch().count();
  if (footer_ && end > footer_from_)
    end = footer_from_;
  return {begin, end, static_cast<int32_t>(info.offset.count())};
}

} // namespace tc::detail
