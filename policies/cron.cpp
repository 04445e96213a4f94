#include "timecontrol/policies/cron.hpp"

#include <array>
#include <bit>
#include <cctype>
#include <chrono>
#include <vector>

namespace tc {

namespace {

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

class field_parser {
public:
  field_parser(const field_spec& spec, std::string_view text, size_t offset)
      : spec_(spec), text_(text), offset_(offset) {
    // nop
  }

  /// Parses the whole field into `bits`; returns an error or nothing.
  std::optional<parse_error> run(uint64_t& bits) {
    size_t pos = 0;
    for (;;) {
      auto comma = text_.find(',', pos);
      auto item = text_.substr(pos, comma == std::string_view::npos
                                        ? std::string_view::npos
                                        : comma - pos);
      if (auto err = parse_item(item, pos, bits))
        return err;
      if (comma == std::string_view::npos)
        return std::nullopt;
      pos = comma + 1;
    }
  }

private:
  parse_error fail(size_t pos, std::string what) const {
    return parse_error{std::string{spec_.name} + ": " + std::move(what),
                       offset_ + pos};
  }

  // Parses a number or a name at the front of `s`.
  std::optional<parse_error> value(std::string_view s, size_t pos, int& out) {
    if (s.empty())
      return fail(pos, "a value is missing");
    if (std::isdigit(static_cast<unsigned char>(s.front()))) {
      long v = 0;
      for (auto c : s) {
        if (!std::isdigit(static_cast<unsigned char>(c)))
          return fail(pos, "'" + std::string{s} + "' is not a number");
        v = v * 10 + (c - '0');
        if (v > 1000)
          break;
      }
      if (v < spec_.lo || v > spec_.hi)
        return fail(pos, std::string{s} + " is out of range " +
                             std::to_string(spec_.lo) + "-" +
                             std::to_string(spec_.hi));
      out = static_cast<int>(v);
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
      return fail(pos, "'" + std::string{s} + "' is not a number");
    return fail(pos, "unknown name '" + std::string{s} + "'");
  }

  std::optional<parse_error> parse_item(std::string_view item, size_t pos,
                                        uint64_t& bits) {
    if (item.empty())
      return fail(pos, "empty list item");
    int step = 1;
    bool has_step = false;
    auto slash = item.find('/');
    auto range = item.substr(0, slash);
    if (slash != std::string_view::npos) {
      has_step = true;
      auto s = item.substr(slash + 1);
      auto spos = pos + slash + 1;
      if (s.empty())
        return fail(spos, "a step is missing after '/'");
      long v = 0;
      for (auto c : s) {
        if (!std::isdigit(static_cast<unsigned char>(c)))
          return fail(spos, "step '" + std::string{s} + "' is not a number");
        v = std::min<long>(v * 10 + (c - '0'), 1000);
      }
      if (v == 0)
        return fail(spos, "step 0 must be positive");
      step = static_cast<int>(v);
    }
    int lo = 0;
    int hi = 0;
    if (range == "*") {
      lo = spec_.lo;
      hi = spec_.hi;
      if (spec_.lo == 0 && spec_.hi == 7)
        hi = 6; // day-of-week: 7 is Sunday again
    } else {
      auto dash = range.find('-');
      if (auto err = value(range.substr(0, dash), pos, lo))
        return err;
      if (dash != std::string_view::npos) {
        if (auto err = value(range.substr(dash + 1), pos + dash + 1, hi))
          return err;
        if (hi < lo)
          return fail(pos, "range " + std::string{range} +
                               " runs backwards (write it as two ranges)");
      } else {
        hi = has_step ? (spec_.hi == 7 ? 6 : spec_.hi) : lo;
      }
    }
    for (int v = lo; v <= hi; v += step)
      bits |= uint64_t{1} << (spec_.hi == 7 && v == 7 ? 0 : v);
    return std::nullopt;
  }

  const field_spec& spec_;
  std::string_view text_;
  size_t offset_;
};

constexpr bool blank(char c) {
  return c == ' ' || c == '\t';
}

// The next set bit at or above `from` (in [0, 64)), or -1.
int next_bit(uint64_t bits, int from) {
  if (from >= 64)
    return -1;
  auto rest = bits >> from;
  if (rest == 0)
    return -1;
  return from + std::countr_zero(rest);
}

// The first midnight that time_point can represent (in 1677); earlier days
// cannot be converted to nanoseconds.
constexpr auto first_whole_day =
    std::chrono::ceil<std::chrono::days>(time_point::min());

constexpr int days_in_month_max[] = {0,  31, 29, 31, 30, 31, 30,
                                     31, 31, 30, 31, 30, 31};

} // namespace

parse_result<cron_schedule> cron_schedule::parse(std::string_view expression) {
  std::string_view expr = expression;
  std::string macro;
  // Trim.
  size_t first = 0;
  while (first < expr.size() && blank(expr[first]))
    ++first;
  if (first < expr.size() && expr[first] == '@') {
    auto word = expr.substr(first);
    while (!word.empty() && blank(word.back()))
      word.remove_suffix(1);
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
      return parse_error{"unknown macro '" + std::string{word} + "'", first};
    expr = macro;
  }
  // Split into fields.
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
  if (parts.size() != 5)
    return parse_error{"expected 5 fields (minute hour day-of-month month "
                       "day-of-week), got " +
                           std::to_string(parts.size()),
                       parts.size() > 5 ? parts[5].second : expr.size()};
  std::array<uint64_t, 5> bits{};
  for (size_t f = 0; f < 5; ++f) {
    auto offset = macro.empty() ? parts[f].second : 0;
    field_parser p{fields[f], parts[f].first, offset};
    if (auto err = p.run(bits[f]))
      return *err;
  }
  cron_schedule result;
  result.minutes_ = bits[0];
  result.hours_ = static_cast<uint32_t>(bits[1]);
  result.days_ = static_cast<uint32_t>(bits[2]);
  result.months_ = static_cast<uint32_t>(bits[3]);
  result.weekdays_ = static_cast<uint32_t>(bits[4]);
  result.dom_star_ = parts[2].first == "*";
  result.dow_star_ = parts[4].first == "*";
  result.text_ = std::string{expression};
  // Reject day-of-month/month combinations that never occur.
  if (!result.dom_star_ && result.dow_star_) {
    bool possible = false;
    for (int m = 1; m <= 12 && !possible; ++m)
      if (result.months_ & (1u << m))
        for (int d = 1; d <= days_in_month_max[m]; ++d)
          if (result.days_ & (1u << d))
            possible = true;
    if (!possible)
      return parse_error{"day-of-month: no selected day occurs in the "
                         "selected months",
                         macro.empty() ? parts[2].second : 0};
  }
  return result;
}

bool cron_schedule::day_matches(int month, int day,
                                int weekday) const noexcept {
  if ((months_ & (1u << month)) == 0)
    return false;
  bool dom = (days_ & (1u << day)) != 0;
  bool dow = (weekdays_ & (1u << weekday)) != 0;
  if (dom_star_ || dow_star_)
    return dom && dow;
  return dom || dow;
}

bool cron_schedule::matches(time_point t) const noexcept {
  using namespace std::chrono;
  if (t < first_whole_day)
    return false;
  auto day = floor<days>(t);
  auto in_day = t - day;
  if (in_day % minutes{1} != duration{0})
    return false;
  auto minute_of_day = static_cast<int>(duration_cast<minutes>(in_day).count());
  year_month_day ymd{sys_days{day}};
  weekday wd{sys_days{day}};
  return day_matches(static_cast<int>(static_cast<unsigned>(ymd.month())),
                     static_cast<int>(static_cast<unsigned>(ymd.day())),
                     static_cast<int>(wd.c_encoding())) &&
         (hours_ & (1u << (minute_of_day / 60))) &&
         (minutes_ & (uint64_t{1} << (minute_of_day % 60)));
}

std::optional<time_point>
cron_schedule::next_after(time_point t) const noexcept {
  using namespace std::chrono;
  // The first whole minute strictly after t (times before the first whole
  // day of the range, in 1677, start there).
  auto start =
      t < first_whole_day
          ? std::chrono::time_point<system_clock, minutes>{first_whole_day}
          : floor<minutes>(t) + minutes{1};
  auto day = floor<days>(start);
  auto minute_of_day =
      static_cast<int>(duration_cast<minutes>(start - day).count());
  int from_hour = minute_of_day / 60;
  int from_minute = minute_of_day % 60;
  // The representable end: year 2262. Days beyond it cannot be returned.
  constexpr auto last_day = floor<days>(time_point::max()) - days{1};
  for (int guard = 0; guard < 366 * 30 && day <= last_day; ++guard) {
    sys_days sd{day};
    year_month_day ymd{sd};
    auto m = static_cast<int>(static_cast<unsigned>(ymd.month()));
    if ((months_ & (1u << m)) == 0) {
      // Jump to the first day of the next month.
      auto next = ymd.year() / ymd.month() + months{1};
      day = sys_days{next / 1};
      from_hour = 0;
      from_minute = 0;
      continue;
    }
    auto d = static_cast<int>(static_cast<unsigned>(ymd.day()));
    auto wd = static_cast<int>(weekday{sd}.c_encoding());
    if (day_matches(m, d, wd)) {
      for (int h = next_bit(hours_, from_hour); h >= 0;
           h = next_bit(hours_, h + 1)) {
        int mm = next_bit(minutes_, h == from_hour ? from_minute : 0);
        if (mm >= 0)
          return time_point{day} + hours{h} + minutes{mm};
      }
    }
    day += days{1};
    from_hour = 0;
    from_minute = 0;
  }
  return std::nullopt;
}

} // namespace tc
