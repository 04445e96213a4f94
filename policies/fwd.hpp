// Forward declarations of everything in policies/, for headers that only
// name the types (actor state structs, message signatures).

#pragma once

#include <cstdint>
#include <variant>

namespace tc {

// -- under-limiters
// -------------------------------------------------------------

struct admission;
struct min_interval_decision;
class min_interval;
struct token_rate;
struct reservation;
class token_bucket;
class sliding_window;
using under_limiter = std::variant<min_interval, token_bucket, sliding_window>;

// -- limiter specs
// ----------------------------------------------------------------

struct min_interval_config;
struct token_bucket_config;
struct sliding_window_config;
using limiter_spec = std::variant<min_interval_config, token_bucket_config,
                                  sliding_window_config>;
struct parse_error;
template <class T>
class parse_result;

// -- over-limiters and deadlines ----------------------------------------------

struct lateness;
class max_interval;
class deadline;

// -- triggers and misfires ----------------------------------------------------

class once_trigger;
class every_trigger;
class cron_schedule;
using trigger = std::variant<once_trigger, every_trigger, cron_schedule>;
enum class misfire_rule : uint8_t;
struct misfire_policy;
struct misfire_outcome;

// -- intervals and statistics -------------------------------------------------

struct time_interval;
enum class allen_relation : uint8_t;
class histogram;

} // namespace tc
