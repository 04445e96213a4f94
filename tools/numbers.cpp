#include "timecontrol/tools/numbers.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <limits>

namespace tc::tool {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::string range_text(uint64_t lo, uint64_t hi) {
  return "(" + std::to_string(lo) + " to " + std::to_string(hi) + ")";
}

} // namespace

std::optional<uint64_t> parse_decimal(std::string_view text, uint64_t lo,
                                      uint64_t hi, std::string* why) {
  auto fail = [&](std::string reason) -> std::optional<uint64_t> {
    if (why)
      *why = std::move(reason);
    return std::nullopt;
  };
  auto quoted = "'" + std::string{text} + "'";
  // A minus sign before digits: a number, below any range here.
  auto digits = text;
  bool negative = !digits.empty() && digits.front() == '-';
  if (negative)
    digits.remove_prefix(1);
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), is_digit))
    return fail(quoted +
                " is not a whole decimal number: write digits "
                "only " +
                range_text(lo, hi));
  uint64_t value = 0;
  bool too_big = false;
  for (auto c : digits)
    if (__builtin_mul_overflow(value, 10, &value) ||
        __builtin_add_overflow(value, static_cast<uint64_t>(c - '0'), &value))
      too_big = true;
  if (negative && !too_big && value == 0)
    negative = false; // "-0" is 0
  if (negative || too_big || value < lo || value > hi)
    return fail(quoted + " is out of range " + range_text(lo, hi));
  return value;
}

CLI::Validator decimal_number(uint64_t lo, uint64_t hi) {
  return CLI::Validator(
      [lo, hi](std::string& text) -> std::string {
        std::string why;
        auto value = parse_decimal(text, lo, hi, &why);
        if (!value)
          return why;
        text = std::to_string(*value);
        return {};
      },
      hi == std::numeric_limits<uint64_t>::max()
          ? "decimal >= " + std::to_string(lo)
          : "decimal " + std::to_string(lo) + ".." + std::to_string(hi),
      "decimal_number");
}

CLI::Option* add_number_option(CLI::App& cmd, const std::string& name,
                               uint64_t& dest, const std::string& help,
                               uint64_t lo, uint64_t hi) {
  return cmd.add_option(name, dest, help)->transform(decimal_number(lo, hi));
}

CLI::Option* add_number_option(CLI::App& cmd, const std::string& name,
                               int& dest, const std::string& help, int lo,
                               int hi) {
  // Non-negative ranges only: a minus sign is refused as out of range.
  return cmd.add_option(name, dest, help)
      ->transform(decimal_number(static_cast<uint64_t>(std::max(lo, 0)),
                                 static_cast<uint64_t>(std::max(hi, 0))));
}

} // namespace tc::tool
