// Fuzzy arguments: the generator behind an intent whose arguments are drawn
// anew for each firing ("fuzzy runs"), in the spirit of property-based
// testing.
//
//   generator := ""                       a number in [0, 2^64), decimal
//              | "int" integer integer    a number in [lo, hi], decimal
//              | "pick" alt ("|" alt)*    one of the alternatives, as written
//              | "hex" integer            n random bytes as 2n hex digits
//                                         (1 <= n <= 4096)
//
// A draw is a pure function of (generator, seed, firing number): the same
// triple gives the same text on every machine and in every version that
// reads this grammar, and a draw does not depend on the draws before it.
// The Scheduler still records what it drew, so replay never has to redraw.

#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "timecontrol/policies/parse_result.hpp"

namespace tc {

class args_generator {
public:
  /// Parses a generator spec; never throws.
  static parse_result<args_generator> parse(std::string_view text);

  /// The arguments of firing number `k` of an intent seeded with `seed`.
  std::string draw(uint64_t seed, uint64_t k) const;

private:
  enum class kind : uint8_t { number, range, pick, hex };

  args_generator() = default;

  kind kind_ = kind::number;
  int64_t lo_ = 0;
  int64_t hi_ = 0;
  std::vector<std::string> alternatives_;
};

} // namespace tc
