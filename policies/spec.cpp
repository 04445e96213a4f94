#include "timecontrol/policies/spec.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <optional>

#include "timecontrol/policies/detail/int128.hpp"
#include "timecontrol/policies/detail/scanner.hpp"

namespace tc {

namespace {

using detail::decimal;
using detail::lower;
using detail::unit_entry;

class parser : detail::scanner {
public:
  using scanner::scanner;

  parse_result<limiter_spec> run() {
    skip_blanks();
    auto start = pos_;
    auto word = peek_word();
    if (lower(word) == "min") {
      pos_ += word.size();
      auto d = parse_duration();
      if (!d)
        return *err_;
      if (auto e = expect_end())
        return *e;
      return limiter_spec{min_interval_config{*d}};
    }
    auto num_pos = pos_;
    auto n = number();
    if (!n)
      return err_ ? *err_
                  : parse_error{"expected 'min', a rate such as '5/s' or a "
                                "window such as '20 per 10s'",
                                start};
    skip_blanks();
    if (pos_ < in_.size() && in_[pos_] == '/') {
      ++pos_;
      return parse_rate(*n, num_pos);
    }
    auto w = peek_word();
    if (lower(w) == "per") {
      if (n->scale != 0)
        return parse_error{"a window's call count must be a whole number",
                           num_pos};
      if (n->mantissa == 0)
        return parse_error{"a window's call count must be positive", num_pos};
      pos_ += w.size();
      auto d = parse_duration();
      if (!d)
        return *err_;
      if (auto e = expect_end())
        return *e;
      return limiter_spec{sliding_window_config{n->mantissa, *d}};
    }
    return parse_error{"expected '/' or 'per' after the number", pos_};
  }

private:
  parse_result<limiter_spec> parse_rate(decimal count, size_t count_pos) {
    // "5/s", "3/10s", "0.5/s": count tokens per (number x unit).
    skip_blanks();
    decimal per_n{1, 0};
    if (pos_ < in_.size() &&
        std::isdigit(static_cast<unsigned char>(in_[pos_]))) {
      auto p = number();
      if (!p)
        return *err_;
      per_n = *p;
    }
    auto unit_pos = pos_;
    auto u = unit();
    if (!u)
      return *err_;
    // rate = (cm / 10^cs) per (pm / 10^ps * u ns)
    //      = cm * 10^ps  per  pm * u * 10^cs  ns
    if (count.mantissa == 0)
      return parse_error{"a rate must be positive (write 'min' for an "
                         "interval)",
                         count_pos};
    if (per_n.mantissa == 0)
      return parse_error{"a rate's period must be positive", unit_pos};
    // In 128 bits, checked: a count and a period of many digits each can
    // pass even that (which wrapped before).
    detail::uint128 c = count.mantissa;
    detail::uint128 p = static_cast<detail::uint128>(per_n.mantissa) * *u;
    bool fits = true;
    for (int i = 0; i < per_n.scale; ++i)
      fits = fits && !__builtin_mul_overflow(c, 10, &c);
    for (int i = 0; i < count.scale; ++i)
      fits = fits && !__builtin_mul_overflow(p, 10, &p);
    if (!fits)
      return parse_error{"the rate is too large or too precise", count_pos};
    // Keep "100/min" as written; reduce what decimals introduced ("0.5/s"
    // is 1 per 2s, not 5 per 10s) or what would not fit.
    if (count.scale + per_n.scale > 0 || c > INT64_MAX || p > INT64_MAX) {
      auto a = c;
      auto b = p;
      while (b != 0) {
        auto t = a % b;
        a = b;
        b = t;
      }
      c /= a;
      p /= a;
    }
    if (c > INT64_MAX || p > INT64_MAX)
      return parse_error{"the rate is too large or too precise", count_pos};
    token_bucket_config cfg;
    cfg.rate =
        token_rate{static_cast<int64_t>(c), duration{static_cast<int64_t>(p)}};
    // Default burst: the count, rounded up.
    detail::uint128 burst = count.mantissa;
    detail::uint128 div = 1;
    for (int i = 0; i < count.scale; ++i)
      div *= 10;
    burst = (burst + div - 1) / div;
    if (burst > INT64_MAX)
      return parse_error{"the rate's count is too large", count_pos};
    cfg.burst = static_cast<int64_t>(burst < 1 ? 1 : burst);
    skip_blanks();
    auto w = peek_word();
    if (lower(w) == "burst") {
      pos_ += w.size();
      skip_blanks();
      auto bpos = pos_;
      auto b = number();
      if (!b)
        return err_ ? *err_ : parse_error{"expected a burst size", bpos};
      if (b->scale != 0)
        return parse_error{"a burst must be a whole number", bpos};
      if (b->mantissa == 0)
        return parse_error{"a burst must be positive", bpos};
      if (b->mantissa > static_cast<uint64_t>(INT64_MAX))
        return parse_error{"the burst is too large", bpos};
      cfg.burst = static_cast<int64_t>(b->mantissa);
    }
    if (auto e = expect_end())
      return *e;
    return limiter_spec{cfg};
  }

  std::optional<duration> parse_duration() {
    return duration_value(false, "200ms");
  }
};

} // namespace

parse_result<limiter_spec> parse_limiter_spec(std::string_view text) {
  return parser{text}.run();
}

namespace {

struct duration_parser : detail::scanner {
  using scanner::scanner;

  parse_result<duration> run() {
    auto d = duration_value(false, "5s");
    if (!d)
      return *err_;
    if (auto err = expect_end())
      return *err;
    return *d;
  }
};

} // namespace

parse_result<duration> parse_duration(std::string_view text) {
  return duration_parser{text}.run();
}

std::string duration_to_string(duration d) {
  static constexpr unit_entry shortest[] = {
      {"d", 86'400'000'000'000}, {"h", 3'600'000'000'000},
      {"min", 60'000'000'000},   {"s", 1'000'000'000},
      {"ms", 1'000'000},         {"us", 1'000},
  };
  auto n = d.count();
  if (n != 0)
    for (auto& u : shortest)
      if (n % u.ns == 0)
        return std::to_string(n / u.ns) + std::string{u.name};
  return std::to_string(n) + "ns";
}

namespace {

// "1.50" -> "1.5", "2.00" -> "2", "120" -> "120".
std::string trim_zeros(std::string text) {
  if (text.find('.') == std::string::npos)
    return text;
  while (text.back() == '0')
    text.pop_back();
  if (text.back() == '.')
    text.pop_back();
  return text;
}

// `x` to three significant digits (x >= 1).
std::string three_digits(double x) {
  char buf[48];
  std::snprintf(buf, sizeof buf,
                x >= 99.95   ? "%.0f"
                : x >= 9.995 ? "%.1f"
                             : "%.2f",
                x);
  return trim_zeros(buf);
}

} // namespace

std::string duration_to_text(duration d) {
  if (d.count() == 0)
    return "0s";
  struct unit {
    const char* name;
    double ns;
  };
  // The spec grammar's units, largest first.
  static constexpr unit units[] = {{"d", 86'400e9}, {"h", 3'600e9},
                                   {"min", 60e9},   {"s", 1e9},
                                   {"ms", 1e6},     {"us", 1e3}};
  // |d| as a double: exact enough for three digits, and fine for INT64_MIN.
  auto ns = std::abs(static_cast<double>(d.count()));
  std::string sign = d.count() < 0 ? "-" : "";
  if (ns < 999.5)
    return sign + std::to_string(std::abs(d.count())) + "ns";
  for (size_t i = 0; i < std::size(units); ++i) {
    if (ns < units[i].ns * (1 - 0.0005) && i + 1 < std::size(units))
      continue;
    auto text = three_digits(ns / units[i].ns);
    // Rounded up to a whole larger unit (59.96 s, 999.7 ms): write that.
    if (i > 0 &&
        std::strtod(text.c_str(), nullptr) * units[i].ns >= units[i - 1].ns)
      return sign + three_digits(ns / units[i - 1].ns) + units[i - 1].name;
    return sign + text + units[i].name;
  }
  return sign + three_digits(ns / units[std::size(units) - 1].ns) + "us";
}

std::string to_string(const limiter_spec& spec) {
  struct visitor {
    std::string operator()(const min_interval_config& x) const {
      return "min " + duration_to_string(x.period);
    }
    std::string operator()(const token_bucket_config& x) const {
      return std::to_string(x.rate.count) + "/" +
             duration_to_string(x.rate.per) + " burst " +
             std::to_string(x.burst);
    }
    std::string operator()(const sliding_window_config& x) const {
      return std::to_string(x.limit) + " per " + duration_to_string(x.window);
    }
  };
  return std::visit(visitor{}, spec);
}

} // namespace tc
