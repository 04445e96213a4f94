#include "timecontrol/policies/intent_progress.hpp"

namespace tc {

std::optional<time_point> first_due(const trigger& trig, time_point scheduled) {
  if (auto once = std::get_if<once_trigger>(&trig))
    return once->at();
  return next_fire_after(trig, scheduled - duration{1});
}

time_point last_missed(const trigger& trig, time_point due, uint32_t missed) {
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
