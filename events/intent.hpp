// Events the Scheduler records about intents ("call X at trigger T").
//
// The source of each is the scheduler's name. Triggers and misfire rules are
// stored as the same readable specs users write (e.g. "every 5s",
// "cron */5 * * * *", "coalesce grace 1s"), so a log stays readable and
// replay parses them with the policies of the version that reads it.

#pragma once

#include <cstdint>
#include <optional>
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
  /// The arguments, encoded by encode_intent_args() (below): fixed bytes,
  /// or a seed and the generator spec for drawn ones.
  std::string args;
  /// The key the intent was scheduled under ("schedule unless an intent of
  /// this key is pending"); empty for none. Stored since record format 2.
  std::string key;
  static constexpr auto fields() {
    return std::tuple{field{"intent_id", &intent_scheduled::intent_id},
                      field{"target", &intent_scheduled::target},
                      field{"trigger", &intent_scheduled::trigger},
                      field{"misfire", &intent_scheduled::misfire},
                      field{"priority", &intent_scheduled::priority},
                      field{"args", &intent_scheduled::args},
                      field{"key", &intent_scheduled::key, 2}};
  }
  friend bool operator==(const intent_scheduled&,
                         const intent_scheduled&) = default;
};

/// An intent fired for one due time.
/// An intent's arguments: fixed bytes (seed 0), or, with a seed, the spec of
/// a generator that draws each firing's arguments (policies/fuzzy_args.hpp).
struct intent_args {
  std::string args;
  uint64_t seed = 0;
  friend bool operator==(const intent_args&, const intent_args&) = default;
};

/// The `args` of intent_scheduled (storage/FORMAT.md, "Intent arguments"):
///
///   stored := "fuzzy " seed:decimal " " generator   seed > 0
///           | "fixed " bytes                         fixed bytes that begin
///                                                    with "fuzzy " or "fixed "
///           | bytes                                  any other fixed bytes
///
/// where `decimal` is 1 to 20 digits without a leading zero, at most
/// 2^64 - 1.
std::string encode_intent_args(const intent_args& x);

/// The arguments stored as `stored`; nullopt if it begins with "fuzzy " but
/// does not follow the grammar.
std::optional<intent_args> decode_intent_args(std::string_view stored);

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
