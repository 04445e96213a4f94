#include "timecontrol/policies/trigger_spec.hpp"

#include <algorithm>
#include <cctype>
#include <limits>
#include <optional>

#include "timecontrol/policies/detail/int128.hpp"
#include "timecontrol/policies/detail/scanner.hpp"
#include "timecontrol/policies/spec.hpp"

namespace tc {

namespace {

using detail::lower;

bool is_digit(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) != 0;
}

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  auto era = (y >= 0 ? y : y - 399) / 400;
  auto yoe = static_cast<unsigned>(y - era * 400);
  auto doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  auto doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

unsigned days_in_month(int64_t y, unsigned m) {
  static constexpr unsigned days[] = {31, 28, 31, 30, 31, 30,
                                      31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : days[m - 1];
}

class parser : detail::scanner {
public:
  explicit parser(std::string_view in) : scanner(in) {
    // nop
  }

  // -- trigger ----------------------------------------------------------------

  parse_result<trigger> trigger_spec(time_point now, uint64_t seed) {
    skip_blanks();
    auto start = pos_;
    auto word = take_word();
    if (word == "now") {
      if (auto e = expect_end())
        return *e;
      return trigger{once_trigger{now}};
    }
    if (word == "once") {
      auto t = time();
      if (!t)
        return *err_;
      if (auto e = expect_end())
        return *e;
      return trigger{once_trigger{*t}};
    }
    if (word == "every")
      return every(now, seed);
    if (word == "cron")
      return cron(seed);
    return parse_error{"expected 'now', 'once <time>', 'every <duration>' or "
                       "'cron <expression>'",
                       start};
  }

  // "cron" [zone] fields ["jitter" duration]: the expression runs to a word
  // "jitter" (no cron field is one) or the end.
  parse_result<trigger> cron(uint64_t seed) {
    skip_blanks();
    auto offset = pos_;
    auto end = in_.size();
    std::optional<size_t> jitter_at;
    for (size_t i = pos_; i < in_.size();) {
      while (i < in_.size() && (in_[i] == ' ' || in_[i] == '\t'))
        ++i;
      auto start = i;
      while (i < in_.size() && in_[i] != ' ' && in_[i] != '\t')
        ++i;
      if (i > start && lower(in_.substr(start, i - start)) == "jitter") {
        if (jitter_at)
          return parse_error{"'jitter' is given twice", start};
        jitter_at = start;
        end = std::min(end, start);
      }
    }
    auto rest = in_.substr(offset, end - offset);
    while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t'))
      rest.remove_suffix(1);
    if (rest.empty())
      return parse_error{"expected a cron expression after 'cron'", offset};
    auto c = cron_schedule::parse(rest);
    if (!c)
      return parse_error{"cron: " + c.error().message,
                         offset + c.error().position};
    duration jitter{0};
    if (jitter_at) {
      pos_ = *jitter_at + 6;
      skip_blanks();
      auto j = duration_value(true);
      if (!j)
        return *err_;
      if (auto e = expect_end())
        return *e;
      jitter = *j;
    }
    auto t = cron_trigger::make(std::move(c).value(), jitter, seed);
    if (!t)
      return parse_error{t.error().message, jitter_at.value_or(offset)};
    return trigger{std::move(t).value()};
  }

  parse_result<trigger> every(time_point now, uint64_t seed) {
    auto period_pos = (skip_blanks(), pos_);
    auto period = duration_value(false);
    if (!period)
      return *err_;
    std::optional<duration> jitter;
    std::optional<time_point> from;
    std::optional<time_point> until;
    std::optional<uint64_t> times;
    for (;;) {
      skip_blanks();
      if (pos_ == in_.size())
        break;
      auto clause_pos = pos_;
      auto word = take_word();
      auto twice = [&] {
        return parse_error{"'" + word + "' is given twice", clause_pos};
      };
      if (word == "jitter") {
        if (jitter)
          return twice();
        auto at = (skip_blanks(), pos_);
        jitter = duration_value(true);
        if (!jitter)
          return *err_;
        if (*jitter >= *period)
          return parse_error{"the jitter must be shorter than the period", at};
      } else if (word == "from") {
        if (from)
          return twice();
        from = time();
        if (!from)
          return *err_;
      } else if (word == "until") {
        if (until)
          return twice();
        auto at = (skip_blanks(), pos_);
        until = time();
        if (!until)
          return *err_;
        if (from && *until < *from)
          return parse_error{"'until' is before 'from'", at};
      } else if (word == "times") {
        if (times)
          return twice();
        skip_blanks();
        auto at = pos_;
        auto n = integer();
        if (!n)
          return err_ ? *err_
                      : parse_error{"expected a count after 'times'", at};
        if (*n == 0)
          return parse_error{"'times' must be at least 1", at};
        times = *n;
      } else {
        return parse_error{
            "expected 'jitter', 'from', 'until' or 'times'" +
                (word.empty() ? std::string{} : ", got '" + word + "'"),
            clause_pos};
      }
    }
    auto start = from.value_or(now);
    if (until && *until < start)
      return parse_error{"'until' is before the first fire time", period_pos};
    auto t = every_trigger::make(*period, start, until, times,
                                 jitter.value_or(duration{0}), seed);
    if (!t)
      return parse_error{t.error().message, period_pos};
    return trigger{*t};
  }

  // -- misfire ----------------------------------------------------------------

  parse_result<misfire_policy> misfire_spec() {
    misfire_policy result;
    skip_blanks();
    auto start = pos_;
    auto word = take_word();
    for (auto& c : word)
      if (c == '_')
        c = '-';
    if (word == "coalesce" || word == "run-once") {
      result.rule = misfire_rule::run_once;
    } else if (word == "run-all") {
      result.rule = misfire_rule::run_all;
    } else if (word == "skip") {
      result.rule = misfire_rule::skip;
    } else if (word == "grace" || word.empty()) {
      pos_ = start;
    } else {
      return parse_error{"expected 'coalesce', 'run-all', 'skip' or 'grace', "
                         "got '" +
                             word + "'",
                         start};
    }
    skip_blanks();
    if (pos_ < in_.size()) {
      auto at = pos_;
      auto w = take_word();
      if (w != "grace")
        return parse_error{"expected 'grace <duration>' or the end", at};
      auto g = duration_value(true);
      if (!g)
        return *err_;
      result.grace = *g;
    }
    if (auto e = expect_end())
      return *e;
    return result;
  }

  // -- time -------------------------------------------------------------------

  parse_result<time_point> time_spec() {
    auto t = time();
    if (!t)
      return *err_;
    if (auto e = expect_end())
      return *e;
    return *t;
  }

  std::optional<time_point> time() {
    skip_blanks();
    auto start = pos_;
    size_t digits = 0;
    while (start + digits < in_.size() && is_digit(in_[start + digits]))
      ++digits;
    if (digits == 0)
      return fail("expected a time (nanoseconds since the epoch or "
                  "YYYY-MM-DDThh:mm:ssZ)",
                  start);
    if (digits == 4 && start + 4 < in_.size() && in_[start + 4] == '-')
      return iso_time();
    auto n = integer();
    if (!n)
      return std::nullopt;
    if (*n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return fail("the time is out of range", start);
    return from_nanos(static_cast<int64_t>(*n));
  }

private:
  std::optional<time_point> fail(std::string what, size_t at) {
    err_ = parse_error{std::move(what), at};
    return std::nullopt;
  }

  // Exactly `n` digits at pos_.
  std::optional<unsigned> fixed_digits(size_t n, const char* what) {
    unsigned v = 0;
    for (size_t i = 0; i < n; ++i) {
      if (pos_ >= in_.size() || !is_digit(in_[pos_])) {
        err_ = parse_error{std::string{"expected "} + std::to_string(n) +
                               " digits for the " + what,
                           pos_};
        return std::nullopt;
      }
      v = v * 10 + static_cast<unsigned>(in_[pos_++] - '0');
    }
    return v;
  }

  bool literal(char c, const char* after) {
    if (pos_ < in_.size() && in_[pos_] == c) {
      ++pos_;
      return true;
    }
    err_ = parse_error{std::string{"expected '"} + c + "' after the " + after,
                       pos_};
    return false;
  }

  std::optional<time_point> iso_time() {
    auto start = pos_;
    auto year = fixed_digits(4, "year");
    if (!year || !literal('-', "year"))
      return std::nullopt;
    auto month_pos = pos_;
    auto month = fixed_digits(2, "month");
    if (!month || !literal('-', "month"))
      return std::nullopt;
    auto day_pos = pos_;
    auto day = fixed_digits(2, "day");
    if (!day)
      return std::nullopt;
    if (pos_ >= in_.size() || (in_[pos_] != 'T' && in_[pos_] != 't'))
      return fail("expected 'T' after the date", pos_);
    ++pos_;
    auto hour_pos = pos_;
    auto hour = fixed_digits(2, "hour");
    if (!hour || !literal(':', "hour"))
      return std::nullopt;
    auto minute_pos = pos_;
    auto minute = fixed_digits(2, "minute");
    if (!minute || !literal(':', "minute"))
      return std::nullopt;
    auto second_pos = pos_;
    auto second = fixed_digits(2, "second");
    if (!second)
      return std::nullopt;
    int64_t frac = 0;
    if (pos_ < in_.size() && in_[pos_] == '.') {
      ++pos_;
      auto frac_pos = pos_;
      int n = 0;
      while (pos_ < in_.size() && is_digit(in_[pos_])) {
        if (++n > 9)
          return fail("at most 9 digits after the seconds' '.'", frac_pos);
        frac = frac * 10 + (in_[pos_++] - '0');
      }
      if (n == 0)
        return fail("expected digits after '.'", frac_pos);
      for (; n < 9; ++n)
        frac *= 10;
    }
    if (pos_ >= in_.size() || (in_[pos_] != 'Z' && in_[pos_] != 'z'))
      return fail("expected 'Z' (times are UTC)", pos_);
    ++pos_;
    if (*month < 1 || *month > 12)
      return fail("month " + std::to_string(*month) + " is out of range 1-12",
                  month_pos);
    if (*day < 1 || *day > days_in_month(*year, *month))
      return fail("day " + std::to_string(*day) +
                      " is out of range for the "
                      "month",
                  day_pos);
    if (*hour > 23)
      return fail("hour " + std::to_string(*hour) + " is out of range 0-23",
                  hour_pos);
    if (*minute > 59)
      return fail("minute " + std::to_string(*minute) + " is out of range 0-59",
                  minute_pos);
    if (*second > 59)
      return fail("second " + std::to_string(*second) + " is out of range 0-59",
                  second_pos);
    auto days = days_from_civil(*year, *month, *day);
    auto secs = static_cast<detail::int128>(days) * 86400 + *hour * 3600 +
                *minute * 60 + *second;
    auto ns = secs * 1'000'000'000 + frac;
    if (ns < 0 || ns > std::numeric_limits<int64_t>::max())
      return fail("the time is out of range (1970 to 2262)", start);
    return from_nanos(static_cast<int64_t>(ns));
  }

  // -- tokens -----------------------------------------------------------------

  std::optional<uint64_t> integer() {
    skip_blanks();
    auto start = pos_;
    uint64_t v = 0;
    int digits = 0;
    while (pos_ < in_.size() && is_digit(in_[pos_])) {
      if (++digits > 19) {
        err_ = parse_error{"the number has too many digits", start};
        return std::nullopt;
      }
      v = v * 10 + static_cast<uint64_t>(in_[pos_++] - '0');
    }
    if (digits == 0)
      return std::nullopt;
    return v;
  }

  std::optional<duration> duration_value(bool allow_zero) {
    return scanner::duration_value(allow_zero, "5s");
  }

  // A lower-cased run of letters, '-' and '_' (empty if there is none).
  std::string take_word() {
    skip_blanks();
    auto end = pos_;
    while (end < in_.size() &&
           (std::isalpha(static_cast<unsigned char>(in_[end])) ||
            (end > pos_ && (in_[end] == '-' || in_[end] == '_'))))
      ++end;
    auto word = lower(in_.substr(pos_, end - pos_));
    pos_ = end;
    return word;
  }
};

} // namespace

parse_result<trigger> parse_trigger_spec(std::string_view text, time_point now,
                                         uint64_t seed) {
  return parser{text}.trigger_spec(now, seed);
}

parse_result<misfire_policy> parse_misfire_spec(std::string_view text) {
  return parser{text}.misfire_spec();
}

parse_result<time_point> parse_time_spec(std::string_view text) {
  return parser{text}.time_spec();
}

std::string to_spec(const trigger& trig) {
  struct visitor {
    std::string operator()(const once_trigger& x) const {
      return "once " + std::to_string(to_nanos(x.at()));
    }
    std::string operator()(const every_trigger& x) const {
      auto result = "every " + duration_to_string(x.period());
      if (x.jitter() > duration{0})
        result += " jitter " + duration_to_string(x.jitter());
      result += " from " + std::to_string(to_nanos(x.start()));
      if (x.end())
        result += " until " + std::to_string(to_nanos(*x.end()));
      if (x.max_count())
        result += " times " + std::to_string(*x.max_count());
      return result;
    }
    std::string operator()(const cron_trigger& x) const {
      auto result = "cron " + x.schedule().text();
      if (x.jitter() > duration{0})
        result += " jitter " + duration_to_string(x.jitter());
      return result;
    }
  };
  return std::visit(visitor{}, trig);
}

std::string to_spec(const misfire_policy& policy) {
  std::string result;
  switch (policy.rule) {
    case misfire_rule::run_once:
      result = "coalesce";
      break;
    case misfire_rule::run_all:
      result = "run-all";
      break;
    case misfire_rule::skip:
      result = "skip";
      break;
  }
  if (policy.grace > duration{0})
    result += " grace " + duration_to_string(policy.grace);
  return result;
}

} // namespace tc
