// Events the Scheduler records about intents ("call X at trigger T").
//
// The source of each is the scheduler's name. Triggers and misfire rules are
// stored as the same readable specs users write (e.g. "every 5s",
// "cron */5 * * * *", "coalesce grace 1s"), so a log stays readable and
// replay parses them with the policies of the version that reads it.

#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <caf/meta/type_name.hpp>

#include "timecontrol/core/time.hpp"
#include "timecontrol/events/event_type.hpp"

namespace tc {

/// The source of a Scheduler's events unless it is named otherwise
/// (scheduler_config::name); what a schedule view reads by default.
inline constexpr std::string_view default_scheduler_name = "scheduler";

/// What the scheduler did about fire times that passed while nothing ran.
enum class misfire_action : uint8_t {
  /// Ran once for all of them.
  coalesced = 0,
  /// Ran once for each of them.
  ran_all = 1,
  /// Ran none; waited for the next fire time.
  skipped = 2,
};

std::string_view to_string(misfire_action x) noexcept;

/// An intent entered the schedule.
struct intent_scheduled {
  static constexpr event_type type = event_type::intent_scheduled;
  uint64_t intent_id = 0;
  /// The command to call.
  std::string target;
  /// The trigger spec.
  std::string trigger;
  /// The misfire rule spec.
  std::string misfire;
  /// Higher runs first among intents due at the same time.
  int32_t priority = 0;
  /// Fixed arguments (opaque bytes), or the generator spec for drawn ones.
  std::string args;
  friend bool operator==(const intent_scheduled&,
                         const intent_scheduled&) = default;
};

/// An intent fired for one due time.
struct intent_fired {
  static constexpr event_type type = event_type::intent_fired;
  uint64_t intent_id = 0;
  time_point due{};
  /// The arguments actually passed, drawn ones included, so replay is exact.
  std::string args;
  friend bool operator==(const intent_fired&, const intent_fired&) = default;
};

/// Fire times of an intent passed while nothing ran.
struct intent_misfired {
  static constexpr event_type type = event_type::intent_misfired;
  uint64_t intent_id = 0;
  /// The first due time that was missed.
  time_point due{};
  /// How many due times were missed.
  uint32_t missed = 0;
  misfire_action action = misfire_action::coalesced;
  friend bool operator==(const intent_misfired&,
                         const intent_misfired&) = default;
};

/// An intent left the schedule before it ran out.
struct intent_cancelled {
  static constexpr event_type type = event_type::intent_cancelled;
  uint64_t intent_id = 0;
  friend bool operator==(const intent_cancelled&,
                         const intent_cancelled&) = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, intent_scheduled& x) {
  return f(caf::meta::type_name("intent_scheduled"), x.intent_id, x.target,
           x.trigger, x.misfire, x.priority, x.args);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, intent_fired& x) {
  return f(caf::meta::type_name("intent_fired"), x.intent_id, x.due, x.args);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, intent_misfired& x) {
  return f(caf::meta::type_name("intent_misfired"), x.intent_id, x.due,
           x.missed, x.action);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, intent_cancelled& x) {
  return f(caf::meta::type_name("intent_cancelled"), x.intent_id);
}

} // namespace tc
