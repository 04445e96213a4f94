#include "timecontrol/policies/intent_progress.hpp"

#include <algorithm>

namespace tc {

std::optional<time_point> first_due(const trigger& trig, time_point scheduled) {
  if (auto once = std::get_if<once_trigger>(&trig))
    return once->at();
  return next_fire_after(trig, scheduled - duration{1});
}

time_point last_missed(const trigger& trig, time_point due, uint32_t missed) {
  if (missed <= 1)
    return due;
  // An every trigger's fires are numbered: the one `missed - 1` after due,
  // or its last if it runs out before.
  if (auto* every = std::get_if<every_trigger>(&trig)) {
    auto j0 = every->fires_up_to(due);
    auto count = every->fires_up_to(time_point::max());
    if (count <= j0)
      return due;
    auto i = std::min<uint64_t>(j0 + missed - 2, count - 1);
    return *every->fire_time(i);
  }
  auto last = due;
  for (uint32_t n = 1; n < missed; ++n) {
    auto next = next_fire_after(trig, last);
    if (!next)
      break;
    last = *next;
  }
  return last;
}

std::optional<time_point> intent_progress::next(const trigger& trig) const {
  return handled_ ? next_fire_after(trig, *handled_)
                  : first_due(trig, scheduled_);
}

intent_progress keyed_progress(const trigger& trig, time_point scheduled,
                               std::optional<time_point> key_handled) {
  if (key_handled) {
    auto first = first_due(trig, scheduled);
    if (first && *first <= *key_handled)
      return intent_progress{scheduled, key_handled};
  }
  return intent_progress{scheduled};
}

} // namespace tc
