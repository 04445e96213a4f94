#include "timecontrol/policies/time_interval.hpp"

namespace tc {

std::string_view to_string(allen_relation r) noexcept {
  switch (r) {
    case allen_relation::before:
      return "before";
    case allen_relation::meets:
      return "meets";
    case allen_relation::overlaps:
      return "overlaps";
    case allen_relation::starts:
      return "starts";
    case allen_relation::during:
      return "during";
    case allen_relation::finishes:
      return "finishes";
    case allen_relation::equals:
      return "equals";
    case allen_relation::after:
      return "after";
    case allen_relation::met_by:
      return "met_by";
    case allen_relation::overlapped_by:
      return "overlapped_by";
    case allen_relation::started_by:
      return "started_by";
    case allen_relation::contains:
      return "contains";
    case allen_relation::finished_by:
      return "finished_by";
  }
  return "?";
}

allen_relation inverse(allen_relation r) noexcept {
  switch (r) {
    case allen_relation::before:
      return allen_relation::after;
    case allen_relation::meets:
      return allen_relation::met_by;
    case allen_relation::overlaps:
      return allen_relation::overlapped_by;
    case allen_relation::starts:
      return allen_relation::started_by;
    case allen_relation::during:
      return allen_relation::contains;
    case allen_relation::finishes:
      return allen_relation::finished_by;
    case allen_relation::equals:
      return allen_relation::equals;
    case allen_relation::after:
      return allen_relation::before;
    case allen_relation::met_by:
      return allen_relation::meets;
    case allen_relation::overlapped_by:
      return allen_relation::overlaps;
    case allen_relation::started_by:
      return allen_relation::starts;
    case allen_relation::contains:
      return allen_relation::during;
    case allen_relation::finished_by:
      return allen_relation::finishes;
  }
  return r;
}

allen_relation relate(const time_interval& a, const time_interval& b) noexcept {
  using r = allen_relation;
  if (a.end < b.begin)
    return r::before;
  if (a.end == b.begin)
    return r::meets;
  if (b.end < a.begin)
    return r::after;
  if (b.end == a.begin)
    return r::met_by;
  if (a.begin == b.begin)
    return a.end == b.end ? r::equals
                          : (a.end < b.end ? r::starts : r::started_by);
  if (a.end == b.end)
    return a.begin > b.begin ? r::finishes : r::finished_by;
  if (a.begin > b.begin)
    return a.end < b.end ? r::during : r::overlapped_by;
  return a.end > b.end ? r::contains : r::overlaps;
}

} // namespace tc
