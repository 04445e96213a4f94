// time_interval: a half-open span of time [begin, end), and Allen's 13
// relations between two spans (Allen, "Maintaining knowledge about temporal
// intervals", CACM 1983), for schedule windows.
//
//   relation        | a vs b (a = [as, ae), b = [bs, be))
//   ----------------|----------------------------------------
//   before          | ae <  bs
//   meets           | ae == bs
//   overlaps        | as <  bs <  ae <  be
//   starts          | as == bs,  ae <  be
//   during          | bs <  as,  ae <  be
//   finishes        | bs <  as,  ae == be
//   equals          | as == bs,  ae == be
//   after, met_by, overlapped_by, started_by, contains, finished_by: the
//   inverses (relate(b, a) == inverse(relate(a, b))).
//
// Exactly one relation holds for any two non-empty intervals. Empty intervals
// (begin == end) cannot be made with make(); relate() still answers for them
// without crashing, but the answer is then only one of the relations that
// hold.

#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "timecontrol/core/time.hpp"

namespace tc {

enum class allen_relation : uint8_t {
  before,
  meets,
  overlaps,
  starts,
  during,
  finishes,
  equals,
  after,
  met_by,
  overlapped_by,
  started_by,
  contains,
  finished_by,
};

/// The name, e.g. "overlapped_by".
std::string_view to_string(allen_relation r) noexcept;

/// The relation of b to a when `r` is the relation of a to b.
allen_relation inverse(allen_relation r) noexcept;

struct time_interval {
  time_point begin;
  time_point end;

  // -- factories --------------------------------------------------------------

  /// [begin, end) if begin < end, otherwise empty.
  static std::optional<time_interval> make(time_point begin,
                                           time_point end) noexcept {
    if (begin < end)
      return time_interval{begin, end};
    return std::nullopt;
  }

  // -- queries ----------------------------------------------------------------

  /// end - begin.
  duration length() const noexcept { return end - begin; }

  /// begin <= t < end.
  bool contains(time_point t) const noexcept { return begin <= t && t < end; }

  /// True if the intervals share at least one instant.
  bool intersects(const time_interval& other) const noexcept {
    return begin < other.end && other.begin < end;
  }

  /// The shared part, if any.
  std::optional<time_interval>
  intersection(const time_interval& other) const noexcept {
    return make(begin > other.begin ? begin : other.begin,
                end < other.end ? end : other.end);
  }

  friend bool operator==(const time_interval&, const time_interval&) = default;
};

/// Allen's relation of `a` to `b`.
allen_relation relate(const time_interval& a, const time_interval& b) noexcept;

} // namespace tc
