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

#include "timecontrol/core/time.hpp"
#include "timecontrol/events/fields.hpp"

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
  static constexpr auto fields() {
    return std::tuple{field{"intent_id", &intent_scheduled::intent_id},
                      field{"target", &intent_scheduled::target},
                      field{"trigger", &intent_scheduled::trigger},
                      field{"misfire", &intent_scheduled::misfire},
                      field{"priority", &intent_scheduled::priority},
                      field{"args", &intent_scheduled::args}};
  }
  friend bool operator==(const intent_scheduled&,
                         const intent_scheduled&) = default;
};

/// An intent fired for one due time.
struct intent_fired {
  uint64_t intent_id = 0;
  time_point due{};
  /// The arguments actually passed, drawn ones included, so replay is exact.
  std::string args;
  static constexpr auto fields() {
    return std::tuple{field{"intent_id", &intent_fired::intent_id},
                      field{"due", &intent_fired::due},
                      field{"args", &intent_fired::args}};
  }
  friend bool operator==(const intent_fired&, const intent_fired&) = default;
};

/// Fire times of an intent passed while nothing ran.
struct intent_misfired {
  uint64_t intent_id = 0;
  /// The first due time that was missed.
  time_point due{};
  /// How many due times were missed.
  uint32_t missed = 0;
  misfire_action action = misfire_action::coalesced;
  static constexpr auto fields() {
    return std::tuple{field{"intent_id", &intent_misfired::intent_id},
                      field{"due", &intent_misfired::due},
                      field{"missed", &intent_misfired::missed},
                      field{"action", &intent_misfired::action}};
  }
  friend bool operator==(const intent_misfired&,
                         const intent_misfired&) = default;
};

/// An intent left the schedule before it ran out.
struct intent_cancelled {
  uint64_t intent_id = 0;
  static constexpr auto fields() {
    return std::tuple{field{"intent_id", &intent_cancelled::intent_id}};
  }
  friend bool operator==(const intent_cancelled&,
                         const intent_cancelled&) = default;
};

} // namespace tc
