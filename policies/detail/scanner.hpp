// The lexical part shared by the spec parsers (limiter specs, trigger and
// misfire specs): blanks, words, decimal numbers and durations with units.
// Internal; not part of the API.

#pragma once

#include <cctype>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "timecontrol/core/time.hpp"
#include "timecontrol/policies/detail/int128.hpp"
#include "timecontrol/policies/parse_result.hpp"

namespace tc::detail {

/// A decimal number as an exact fraction: mantissa / 10^scale.
struct decimal {
  uint64_t mantissa = 0;
  int scale = 0;
};

struct unit_entry {
  std::string_view name;
  int64_t ns;
};

inline constexpr unit_entry units[] = {
    {"ns", 1},
    {"us", 1'000},
    {"ms", 1'000'000},
    {"s", 1'000'000'000},
    {"sec", 1'000'000'000},
    {"second", 1'000'000'000},
    {"seconds", 1'000'000'000},
    {"m", 60'000'000'000},
    {"min", 60'000'000'000},
    {"minute", 60'000'000'000},
    {"minutes", 60'000'000'000},
    {"h", 3'600'000'000'000},
    {"hour", 3'600'000'000'000},
    {"hours", 3'600'000'000'000},
    {"d", 86'400'000'000'000},
    {"day", 86'400'000'000'000},
    {"days", 86'400'000'000'000},
};

inline constexpr std::string_view unit_list = "ns, us, ms, s, m, min, h or d";

inline std::string lower(std::string_view s) {
  std::string out;
  for (auto c : s)
    out.push_back(
        static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return out;
}

/// A cursor over spec text that keeps the first error and its position.
/// Parsers derive from it.
class scanner {
public:
  explicit scanner(std::string_view in) : in_(in) {}

protected:
  void skip_blanks() {
    while (pos_ < in_.size() && (in_[pos_] == ' ' || in_[pos_] == '\t'))
      ++pos_;
  }

  /// The run of letters at the cursor (not consumed).
  std::string_view peek_word() const {
    auto end = pos_;
    while (end < in_.size() &&
           std::isalpha(static_cast<unsigned char>(in_[end])))
      ++end;
    return in_.substr(pos_, end - pos_);
  }

  /// An error unless only blanks are left.
  std::optional<parse_error> expect_end() {
    skip_blanks();
    if (pos_ != in_.size())
      return parse_error{"unexpected '" + std::string{in_.substr(pos_)} + "'",
                         pos_};
    return std::nullopt;
  }

  /// digits ["." digits], read exactly: leading zeros and zeros at the end
  /// of the fraction do not count ("0001.50000000000000000000" is 1.5), and
  /// the other digits must fit a uint64_t (every canonical text, which can
  /// need 19 digits, parses). Without digits at the cursor: nullopt, no
  /// error, nothing consumed.
  std::optional<decimal> number() {
    skip_blanks();
    auto start = pos_;
    decimal d;
    int digits = 0;
    // Zeros after the point not yet known to be followed by another digit.
    int zeros = 0;
    bool dot = false;
    auto append = [&](uint64_t digit) {
      return !__builtin_mul_overflow(d.mantissa, 10, &d.mantissa) &&
             !__builtin_add_overflow(d.mantissa, digit, &d.mantissa);
    };
    while (pos_ < in_.size()) {
      auto c = in_[pos_];
      if (std::isdigit(static_cast<unsigned char>(c))) {
        ++digits;
        auto digit = static_cast<uint64_t>(c - '0');
        if (dot && digit == 0) {
          ++zeros;
        } else {
          for (; zeros > 0; --zeros) {
            if (!append(0) || ++d.scale > max_scale)
              return too_many_digits(start);
          }
          if (!append(digit) || (dot && ++d.scale > max_scale))
            return too_many_digits(start);
        }
      } else if (c == '.' && !dot && digits > 0) {
        dot = true;
      } else {
        break;
      }
      ++pos_;
    }
    if (digits == 0) {
      pos_ = start;
      return std::nullopt;
    }
    if (dot && d.scale + zeros == 0) {
      err_ = parse_error{"expected digits after '.'", pos_};
      return std::nullopt;
    }
    return d;
  }

  /// A unit word; its length in nanoseconds.
  std::optional<int64_t> unit() {
    skip_blanks();
    auto start = pos_;
    auto w = peek_word();
    auto lw = lower(w);
    for (auto& u : units)
      if (lw == u.name) {
        pos_ += w.size();
        return u.ns;
      }
    err_ = parse_error{
        "expected a unit (" + std::string{unit_list} + ")" +
            (w.empty() ? std::string{} : ", got '" + std::string{w} + "'"),
        start};
    return std::nullopt;
  }

  /// number unit, exact to the nanosecond and at most about 292 years;
  /// `example` is shown when there is no number ("expected a duration such
  /// as '5s'").
  std::optional<duration> duration_value(bool allow_zero,
                                         std::string_view example) {
    skip_blanks();
    auto start = pos_;
    auto n = number();
    if (!n) {
      if (!err_)
        err_ = parse_error{"expected a duration such as '" +
                               std::string{example} + "'",
                           start};
      return std::nullopt;
    }
    auto u = unit();
    if (!u)
      return std::nullopt;
    uint128 ns = static_cast<uint128>(n->mantissa) * *u;
    uint128 div = 1;
    for (int i = 0; i < n->scale; ++i)
      div *= 10;
    if (ns % div != 0) {
      err_ = parse_error{"the duration is not a whole number of nanoseconds",
                         start};
      return std::nullopt;
    }
    ns /= div;
    if (ns == 0 && !allow_zero) {
      err_ = parse_error{"the duration must be positive", start};
      return std::nullopt;
    }
    if (ns > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      err_ = parse_error{"the duration is too long (at most about 292 years)",
                         start};
      return std::nullopt;
    }
    return duration{static_cast<int64_t>(ns)};
  }

  /// The most digits after the point a number keeps (10^max_scale fits a
  /// uint64_t): a fraction finer than that is no whole number of
  /// nanoseconds of any unit, and no rate a spec can hold.
  static constexpr int max_scale = 19;

  std::nullopt_t too_many_digits(size_t start) {
    err_ = parse_error{"the number has too many digits", start};
    return std::nullopt;
  }

  std::string_view in_;
  size_t pos_ = 0;
  std::optional<parse_error> err_;
};

} // namespace tc::detail
