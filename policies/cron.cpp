#include "timecontrol/policies/cron.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <chrono>
#include <vector>

#include "timecontrol/policies/detail/int128.hpp"
#include "timecontrol/policies/detail/zone.hpp"

namespace tc {

namespace {

constexpr int64_t ns_per_minute = 60'000'000'000;
constexpr int64_t minutes_per_day = 1440;

// Civil dates from days since 1970-01-01 (H. Hinnant's algorithm).
struct civil_date {
  int64_t y;
  int m;
  int d;
};

civil_date civil_from_days(int64_t z) noexcept {
  z += 719468;
  auto era = (z >= 0 ? z : z - 146096) / 146097;
  auto doe = z - era * 146097;
  auto yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  auto doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  auto mp = (5 * doy + 2) / 153;
  auto d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  auto m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  auto y = yoe + era * 400;
  return {m <= 2 ? y + 1 : y, m, d};
}

int weekday_of_days(int64_t z) noexcept {
  return static_cast<int>(z + 4 - floor_div(z + 4, 7) * 7); // 0 = Sunday
}

bool leap(int64_t y) noexcept {
  return (y & 3) == 0 && (y % 100 != 0 || y % 400 == 0);
}

int days_in_month(int64_t y, int m) noexcept {
  static constexpr int days[] = {31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : days[m - 1];
}

// The next set bit at or above `from` (in [0, 64)), or -1.
int next_bit(uint64_t bits, int from) noexcept {
  if (from >= 64)
    return -1;
  auto rest = bits >> from;
  if (rest == 0)
    return -1;
  return from + std::countr_zero(rest);
}

// The range of minute indices whose instants fit in time_point (whole
// minutes from 1677-09-21 to 2262-04-11).
constexpr int64_t first_minute = INT64_MIN / ns_per_minute;
constexpr int64_t last_minute = INT64_MAX / ns_per_minute;

struct field_spec {
  const char* name;
  int lo;
  int hi;
  const char* const* names; // lo-based names or nullptr
  int name_count;
  int name_base;
};

constexpr const char* month_names[] = {"JAN", "FEB", "MAR", "APR",
                                       "MAY", "JUN", "JUL", "AUG",
                                       "SEP", "OCT", "NOV", "DEC"};
constexpr const char* weekday_names[] = {"SUN", "MON", "TUE", "WED",
                                         "THU", "FRI", "SAT"};

constexpr field_spec fields[] = {
    {"minute", 0, 59, nullptr, 0, 0},
    {"hour", 0, 23, nullptr, 0, 0},
    {"day-of-month", 1, 31, nullptr, 0, 0},
    {"month", 1, 12, month_names, 12, 1},
    {"day-of-week", 0, 7, weekday_names, 7, 0},
};

constexpr int dom_field = 2;
constexpr int dow_field = 4;

// What one field sets besides its plain bits.
struct field_bits {
  uint64_t plain = 0;
  uint32_t last = 0; // day-of-month: L-n; day-of-week: nL
  uint64_t nth = 0;  // day-of-week: n#k
};

class field_parser {
public:
  field_parser(int field, std::string_view text, size_t offset)
      : field_(field), spec_(fields[field]), text_(text), offset_(offset) {
    // nop
  }

  /// Parses the whole field; returns an error or nothing.
  std::optional<parse_error> run(field_bits& out) {
    size_t pos = 0;
    for (;;) {
      auto comma = text_.find(',', pos);
      auto item = text_.substr(pos, comma == std::string_view::npos
                                        ? std::string_view::npos
                                        : comma - pos);
      if (auto err = parse_item(item, pos, out))
        return err;
      if (comma == std::string_view::npos)
        return std::nullopt;
      pos = comma + 1;
    }
  }

private:
  // 'text', for messages. (Built by appending: GCC 12 at -O3 reports a
  // false -Wrestrict for a one-character literal + std::string, GCC bug
  // 105329.)
  static std::string quoted(std::string_view text) {
    std::string result;
    result.reserve(text.size() + 2);
    result += '\'';
    result += text;
    result += '\'';
    return result;
  }

  parse_error fail(size_t pos, std::string what) const {
    return parse_error{std::string{spec_.name} + ": " + std::move(what),
                       offset_ + pos};
  }

  // A decimal number of at most a few digits, without a sign.
  static std::optional<long> digits(std::string_view s) {
    if (s.empty())
      return std::nullopt;
    long v = 0;
    for (auto c : s) {
      if (!std::isdigit(static_cast<unsigned char>(c)))
        return std::nullopt;
      v = std::min<long>(v * 10 + (c - '0'), 100'000);
    }
    return v;
  }

  // Parses a number or a name.
  std::optional<parse_error> value(std::string_view s, size_t pos, int& out) {
    if (s.empty())
      return fail(pos, "a value is missing");
    if (std::isdigit(static_cast<unsigned char>(s.front()))) {
      auto v = digits(s);
      if (!v)
        return fail(pos, quoted(s) + " is not a number");
      if (*v < spec_.lo || *v > spec_.hi)
        return fail(pos, std::string{s} + " is out of range " +
                             std::to_string(spec_.lo) + "-" +
                             std::to_string(spec_.hi));
      out = static_cast<int>(*v);
      return std::nullopt;
    }
    if (spec_.names != nullptr && s.size() == 3) {
      std::string upper;
      for (auto c : s)
        upper.push_back(
            static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
      for (int i = 0; i < spec_.name_count; ++i)
        if (upper == spec_.names[i]) {
          out = i + spec_.name_base;
          return std::nullopt;
        }
    }
    if (spec_.names == nullptr)
      return fail(pos, quoted(s) + " is not a number");
    return fail(pos, "unknown name " + quoted(s));
  }

  static bool is(char c, char upper) {
    return std::toupper(static_cast<unsigned char>(c)) == upper;
  }

  // "L" and "L-n" in day-of-month.
  std::optional<parse_error> last_day(std::string_view item, size_t pos,
                                      field_bits& out) {
    if (item.size() >= 2 && is(item[1], 'W'))
      return fail(pos,
                  quoted(item) + ": 'W' (nearest weekday) is not supported");
    if (item.size() == 1) {
      out.last |= 1u;
      return std::nullopt;
    }
    if (item[1] != '-')
      return fail(pos, quoted(item) + ": after 'L' only '-n' may follow (L-3)");
    auto n = digits(item.substr(2));
    if (!n)
      return fail(pos + 2,
                  quoted(item) + ": expected a number of days after 'L-'");
    if (*n > 30)
      return fail(pos + 2, quoted(item) + ": L-n takes n from 0 to 30");
    out.last |= 1u << *n;
    return std::nullopt;
  }

  // "nL" and "n#k" in day-of-week.
  std::optional<parse_error> weekday_of_month(std::string_view item, size_t pos,
                                              field_bits& out) {
    auto hash = item.find('#');
    auto day_text = hash == std::string_view::npos
                        ? item.substr(0, item.size() - 1)
                        : item.substr(0, hash);
    if (day_text.empty())
      return fail(pos, quoted(item) + " needs a weekday before '" +
                           (hash == std::string_view::npos ? "L" : "#") +
                           "' (5L: the last Friday; 1#1: the first Monday)");
    int wd = 0;
    if (auto err = value(day_text, pos, wd))
      return err;
    wd %= 7;
    if (hash == std::string_view::npos) {
      out.last |= 1u << wd;
      return std::nullopt;
    }
    auto k = digits(item.substr(hash + 1));
    if (!k || *k < 1 || *k > 5)
      return fail(pos + hash + 1,
                  quoted(item) + ": '#' takes a week from 1 to 5");
    out.nth |= uint64_t{1} << (wd * 5 + *k - 1);
    return std::nullopt;
  }

  std::optional<parse_error> parse_item(std::string_view item, size_t pos,
                                        field_bits& out) {
    if (item.empty())
      return fail(pos, "empty list item");
    auto slash = item.find('/');
    auto range = item.substr(0, slash);
    bool special_dom =
        field_ == dom_field && !range.empty() && is(range[0], 'L');
    bool special_dow =
        field_ == dow_field && range.size() >= 2 &&
        (range.find('#') != std::string_view::npos || is(range.back(), 'L'));
    if (special_dom || special_dow) {
      if (slash != std::string_view::npos)
        return fail(pos, quoted(item) + " takes no step");
      if (special_dow && range.find('-') != std::string_view::npos)
        return fail(pos, quoted(item) + " cannot be in a range");
      return special_dom ? last_day(range, pos, out)
                         : weekday_of_month(range, pos, out);
    }
    if (field_ == dow_field && !range.empty() &&
        (is(range[0], 'L') || range[0] == '#'))
      return fail(pos, quoted(item) +
                           " needs a weekday before it (5L: the last "
                           "Friday; 1#1: the first Monday)");
    int step = 1;
    bool has_step = false;
    if (slash != std::string_view::npos) {
      has_step = true;
      auto s = item.substr(slash + 1);
      auto spos = pos + slash + 1;
      if (s.empty())
        return fail(spos, "a step is missing after '/'");
      auto v = digits(s);
      if (!v)
        return fail(spos, "step '" + std::string{s} + "' is not a number");
      if (*v == 0)
        return fail(spos, "step 0 must be positive");
      step = static_cast<int>(std::min<long>(*v, 1000));
    }
    int lo = 0;
    int hi = 0;
    if (range == "*") {
      lo = spec_.lo;
      hi = spec_.hi;
    } else {
      auto dash = range.find('-');
      if (auto err = value(range.substr(0, dash), pos, lo))
        return err;
      if (dash != std::string_view::npos) {
        if (auto err = value(range.substr(dash + 1), pos + dash + 1, hi))
          return err;
        if (field_ == dow_field && hi == 0 && lo > 0)
          hi = 7; // FRI-SUN: Sunday at the end of the week (cronie)
        if (hi < lo)
          return fail(pos, "range " + std::string{range} +
                               " runs backwards (write it as two ranges)");
      } else {
        // A value with a step runs to the field's end.
        hi = has_step ? spec_.hi : lo;
      }
    }
    for (int v = lo; v <= hi; v += step)
      out.plain |= uint64_t{1} << (field_ == dow_field && v == 7 ? 0 : v);
    return std::nullopt;
  }

  int field_;
  const field_spec& spec_;
  std::string_view text_;
  size_t offset_;
};

constexpr bool blank(char c) {
  return c == ' ' || c == '\t';
}

using detail::int128;

int128 floor_div128(int128 a, int128 b) noexcept {
  auto q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int128 ceil_div128(int128 a, int128 b) noexcept {
  return -floor_div128(-a, b);
}

} // namespace

class cron_parser {
public:
  static parse_result<cron_schedule> parse(std::string_view expression) {
    std::string_view expr = expression;
    std::string macro;
    // Split into words.
    std::vector<std::pair<std::string_view, size_t>> parts;
    size_t i = 0;
    while (i < expr.size()) {
      while (i < expr.size() && blank(expr[i]))
        ++i;
      if (i == expr.size())
        break;
      auto start = i;
      while (i < expr.size() && !blank(expr[i]))
        ++i;
      parts.emplace_back(expr.substr(start, i - start), start);
    }
    cron_schedule result;
    // An optional zone first.
    if (!parts.empty()) {
      auto [word, at] = parts.front();
      size_t prefix = word.starts_with("CRON_TZ=") ? 8
                      : word.starts_with("TZ=")    ? 3
                                                   : 0;
      if (prefix > 0) {
        auto name = word.substr(prefix);
        if (name.empty())
          return parse_error{"a time zone name is missing after '" +
                                 std::string{word} + "'",
                             at + prefix};
        auto z = detail::zone::load(name);
        if (auto err = std::get_if<std::string>(&z))
          return parse_error{*err, at + prefix};
        result.zone_ = std::get<0>(std::move(z));
        parts.erase(parts.begin());
      }
    }
    if (parts.size() == 1 && parts[0].first.front() == '@') {
      auto [word, at] = parts[0];
      if (word == "@yearly" || word == "@annually")
        macro = "0 0 1 1 *";
      else if (word == "@monthly")
        macro = "0 0 1 * *";
      else if (word == "@weekly")
        macro = "0 0 * * 0";
      else if (word == "@daily" || word == "@midnight")
        macro = "0 0 * * *";
      else if (word == "@hourly")
        macro = "0 * * * *";
      else
        return parse_error{"unknown macro '" + std::string{word} + "'", at};
      parts.clear();
      std::string_view m = macro;
      for (size_t k = 0; k < m.size(); k += 2)
        parts.emplace_back(m.substr(k, 1), at);
    }
    if (parts.size() != 5)
      return parse_error{"expected 5 fields (minute hour day-of-month month "
                         "day-of-week), got " +
                             std::to_string(parts.size()),
                         parts.size() > 5 ? parts[5].second : expr.size()};
    std::array<field_bits, 5> bits{};
    for (int f = 0; f < 5; ++f) {
      field_parser p{f, parts[static_cast<size_t>(f)].first,
                     parts[static_cast<size_t>(f)].second};
      if (auto err = p.run(bits[static_cast<size_t>(f)]))
        return *err;
    }
    result.minutes_ = bits[0].plain;
    result.hours_ = static_cast<uint32_t>(bits[1].plain);
    result.days_ = static_cast<uint32_t>(bits[2].plain);
    result.dom_last_ = bits[2].last;
    result.months_ = static_cast<uint32_t>(bits[3].plain);
    result.weekdays_ = static_cast<uint32_t>(bits[4].plain);
    result.dow_last_ = bits[4].last;
    result.dow_nth_ = bits[4].nth;
    result.dom_star_ = parts[2].first == "*";
    result.dow_star_ = parts[4].first == "*";
    result.calendar_ =
        result.dom_last_ != 0 || result.dow_last_ != 0 || result.dow_nth_ != 0;
    result.wildcard_ =
        parts[0].first.front() == '*' || parts[1].first.front() == '*';
    result.text_ = std::string{expression};
    // Refuse what can never fire: every kind of month (its number, length
    // and first weekday) occurs within the 400-year cycle and within the
    // representable range, so trying each kind is exact.
    bool possible = false;
    for (int m = 1; m <= 12 && !possible; ++m) {
      if ((result.months_ & (1u << m)) == 0)
        continue;
      for (int dim : {days_in_month(2001, m), days_in_month(2004, m)})
        for (int w1 = 0; w1 < 7 && !possible; ++w1)
          for (int d = 1; d <= dim && !possible; ++d)
            possible = result.day_matches(d, (w1 + d - 1) % 7, dim);
    }
    if (!possible)
      return parse_error{"day-of-month: no selected day occurs in the "
                         "selected months",
                         parts[2].second};
    return result;
  }
};

parse_result<cron_schedule> cron_schedule::parse(std::string_view expression) {
  return cron_parser::parse(expression);
}

const std::string& cron_schedule::zone_name() const noexcept {
  static const std::string utc;
  return zone_ ? zone_->name() : utc;
}

bool cron_schedule::day_matches(int d, int wd, int dim) const noexcept {
  bool dom = (days_ >> d) & 1;
  bool dow = (weekdays_ >> wd) & 1;
  if (calendar_) {
    dom = dom || ((dom_last_ >> (dim - d)) & 1);
    dow = dow || (((dow_last_ >> wd) & 1) && d + 7 > dim) ||
          ((dow_nth_ >> (wd * 5 + (d - 1) / 7)) & 1);
  }
  if (dom_star_ || dow_star_)
    return dom && dow;
  return dom || dow;
}

std::optional<int64_t>
cron_schedule::next_minute(int64_t from, int64_t limit) const noexcept {
  if (from >= limit)
    return std::nullopt;
  // The first matching time of day at or after h:m, or -1.
  auto time_of_day = [this](int from_hour, int from_minute) {
    for (int h = next_bit(hours_, from_hour); h >= 0;
         h = next_bit(hours_, h + 1)) {
      int mm = next_bit(minutes_, h == from_hour ? from_minute : 0);
      if (mm >= 0)
        return h * 60 + mm;
    }
    return -1;
  };
  auto day = floor_div(from, minutes_per_day);
  auto date = civil_from_days(day);
  auto y = date.y;
  auto m = date.m;
  auto d = date.d;
  // Most answers are on the first day: check it before walking months.
  if ((months_ & (1u << m)) != 0 &&
      day_matches(d, weekday_of_days(day),
                  calendar_ ? days_in_month(y, m) : 31)) {
    auto in_day = static_cast<int>(from - day * minutes_per_day);
    auto tod = time_of_day(in_day / 60, in_day % 60);
    if (tod >= 0) {
      auto r = day * minutes_per_day + tod;
      return r < limit ? std::optional<int64_t>{r} : std::nullopt;
    }
  }
  // Then the following days, a month at a time.
  ++day;
  ++d;
  for (;;) {
    if (day * minutes_per_day >= limit)
      return std::nullopt;
    auto dim = days_in_month(y, m);
    if (d <= dim && (months_ & (1u << m)) != 0) {
      auto w = weekday_of_days(day);
      for (; d <= dim; ++d, ++day, w = w == 6 ? 0 : w + 1) {
        if (day_matches(d, w, dim)) {
          auto r = day * minutes_per_day + time_of_day(0, 0);
          return r < limit ? std::optional<int64_t>{r} : std::nullopt;
        }
        if ((day + 1) * minutes_per_day >= limit)
          return std::nullopt;
      }
    } else {
      day += dim - d + 1;
    }
    // The first day of the next month.
    d = 1;
    if (++m > 12) {
      m = 1;
      ++y;
    }
  }
}

bool cron_schedule::matches(time_point t) const noexcept {
  if (zone_) {
    if (t == time_point::min())
      return false;
    auto n = next_after(t - duration{1});
    return n && *n == t;
  }
  auto ns = to_nanos(t);
  if (ns % ns_per_minute != 0)
    return false;
  auto minute = floor_div(ns, ns_per_minute);
  auto n = next_minute(minute, minute + 1);
  return n.has_value();
}

std::optional<time_point>
cron_schedule::next_after(time_point t) const noexcept {
  if (zone_)
    return next_after_zoned(t);
  auto from = floor_div(to_nanos(t), ns_per_minute) + 1;
  auto m = next_minute(std::max(from, first_minute), last_minute + 1);
  if (!m)
    return std::nullopt;
  return from_nanos(*m * ns_per_minute);
}

namespace {

// The earlier stretches of the zone's clock within 27 hours before a
// segment (no two offsets differ by more), to tell whether a wall-clock time
// in the segment happened before it.
struct earlier_clock {
  std::array<std::pair<detail::int128, detail::int128>, 4> ranges{};
  size_t n = 0;
  detail::int128 max_end = 0; // the latest wall-clock time reached before

  bool contains(detail::int128 local_ns) const noexcept {
    if (local_ns >= max_end)
      return false;
    for (size_t i = 0; i < n; ++i)
      if (local_ns >= ranges[i].first && local_ns < ranges[i].second)
        return true;
    return false;
  }
};

constexpr int64_t ns_per_second = 1'000'000'000;

// No two offsets of a zone differ by 27 hours: a wall-clock time that long
// after a segment began was not shown before it.
constexpr detail::int128 fold_window =
    detail::int128{27 * 3600} * ns_per_second;

detail::int128 local_ns(int64_t utc_seconds, int32_t offset) noexcept {
  return (static_cast<detail::int128>(utc_seconds) + offset) * ns_per_second;
}

earlier_clock earlier(const detail::zone& z,
                      const detail::zone_segment& seg) noexcept {
  earlier_clock result;
  constexpr int64_t window = 27 * 3600;
  auto stop = seg.begin - window;
  auto cur = seg;
  while (result.n < result.ranges.size() && cur.begin > stop &&
         cur.begin > INT64_MIN / 2) {
    auto prev = z.segment_at(cur.begin - 1);
    auto lo = local_ns(std::max(prev.begin, stop), prev.offset);
    auto hi = local_ns(cur.begin, prev.offset);
    result.ranges[result.n++] = {lo, hi};
    if (result.n == 1 || hi > result.max_end)
      result.max_end = hi;
    cur = prev;
  }
  return result;
}

} // namespace

std::optional<time_point>
cron_schedule::next_after_zoned(time_point t) const noexcept {
  const auto& z = *zone_;
  auto t_ns = to_nanos(t);
  auto seg = z.segment_at(floor_div(t_ns, ns_per_second));
  // Wall-clock minutes strictly after t's wall-clock time.
  auto local = static_cast<int128>(t_ns) +
               static_cast<int128>(seg.offset) * ns_per_second;
  auto from = static_cast<int64_t>(floor_div128(local, ns_per_minute) + 1);
  // The instant of wall-clock minute c at an offset, if time_point has it.
  auto instant = [](int64_t c, int32_t offset) -> std::optional<time_point> {
    auto ns = static_cast<int128>(c) * ns_per_minute -
              static_cast<int128>(offset) * ns_per_second;
    if (ns < INT64_MIN || ns > INT64_MAX)
      return std::nullopt;
    return from_nanos(static_cast<int64_t>(ns));
  };
  // Wall-clock minutes whose instants lie in [lo, hi) seconds at an offset.
  auto minutes_of = [](int64_t lo, int64_t hi, int32_t offset) {
    auto a = ceil_div128(local_ns(lo, offset), ns_per_minute);
    auto b = ceil_div128(local_ns(hi, offset), ns_per_minute);
    auto clamp = [](int128 x) {
      return static_cast<int64_t>(
          std::clamp<int128>(x, first_minute - 1440, last_minute + 1440));
    };
    return std::pair{clamp(a), clamp(b)};
  };
  // Past the end of time_point there is nothing to find.
  constexpr int64_t end_seconds = INT64_MAX / ns_per_second + 1;
  for (;;) {
    auto seg_end = std::min(seg.end, end_seconds);
    auto limit = minutes_of(seg.begin, seg_end, seg.offset).second;
    std::optional<earlier_clock> before;
    for (auto c = next_minute(from, limit); c; c = next_minute(*c + 1, limit)) {
      auto at = instant(*c, seg.offset);
      if (!at)
        return std::nullopt;
      if (!wildcard_ && static_cast<int128>(*c) * ns_per_minute <
                            local_ns(seg.begin, seg.offset) + fold_window) {
        // A fixed time the clock already showed (fall back) fired then.
        if (!before)
          before = earlier(z, seg);
        if (before->contains(static_cast<int128>(*c) * ns_per_minute))
          continue;
      }
      return at;
    }
    if (seg.end >= end_seconds)
      return std::nullopt;
    auto g = seg.end;
    auto next = z.segment_at(g);
    if (next.end <= g)
      return std::nullopt; // not a zone that moves on: never loop
    if (!wildcard_ && next.offset > seg.offset) {
      // Spring forward: the wall clock skips [g + old, g + new). A fixed time
      // in there fires at the first instant after the gap.
      auto lo = ceil_div128(local_ns(g, seg.offset), ns_per_minute);
      auto hi = ceil_div128(local_ns(g, next.offset), ns_per_minute);
      if (next_minute(static_cast<int64_t>(lo), static_cast<int64_t>(hi)))
        return from_nanos(g * ns_per_second);
    }
    seg = next;
    from = minutes_of(seg.begin, seg.begin, seg.offset).first;
  }
}

} // namespace tc
