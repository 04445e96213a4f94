// Whole numbers on the command line: decimal only, in a stated range.
//
// CLI11 reads an integer flag with strtoull(text, base 0): "010" is 8
// (octal), "0x10" is 16, "-1" wraps to 18446744073709551615 and a number
// past 64 bits is cut down without a word. Every numeric flag of every
// subcommand goes through decimal_number() instead:
//
//   "10", "010", "0010"   ten (leading zeros are decimal zeros)
//   "0x10", "1e3", "+5",  refused: not a whole decimal number
//   "5.0", " 5", ""
//   "-1", "18446744073709551616", a number outside [lo, hi]
//                         refused: out of range, naming the range
//
// and a refused value is a usage error (exit 2) whose message names the
// flag: "--count: '0' is out of range (1 to 18446744073709551615)".

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace CLI {
class App;
class Option;
class Validator;
} // namespace CLI

namespace tc::tool {

/// The value of `text` as a whole decimal number in [lo, hi]; on failure
/// nullopt, and `*why` (if not null) says why, without the flag's name.
std::optional<uint64_t> parse_decimal(std::string_view text, uint64_t lo,
                                      uint64_t hi, std::string* why = nullptr);

/// A CLI11 transform for a whole decimal number in [lo, hi]: refuses what
/// parse_decimal() refuses, and rewrites the text to the number's own
/// digits (no leading zeros), which CLI11's conversion then reads as the
/// same number.
CLI::Validator decimal_number(uint64_t lo, uint64_t hi);

/// Adds the option `name` storing a whole decimal number in [lo, hi] into
/// `dest` (for `int`, a range of non-negative numbers).
CLI::Option* add_number_option(CLI::App& cmd, const std::string& name,
                               uint64_t& dest, const std::string& help,
                               uint64_t lo, uint64_t hi);
CLI::Option* add_number_option(CLI::App& cmd, const std::string& name,
                               int& dest, const std::string& help, int lo,
                               int hi);

} // namespace tc::tool
