// The stable numeric identity of each event type.
//
// An event type's number is written into every stored record, so a number is
// never reused or renumbered: a retired type keeps its number reserved. New
// types take the next free number.

#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace tc {

enum class event_type : uint16_t {
  // -- calls (source: the command) --
  call_requested = 1,
  call_admitted = 2,
  call_throttled = 3,
  call_started = 4,
  call_finished = 5,
  call_timed_out = 6,
  // -- deadlines (source: the controller) --
  deadline_status_changed = 20,
  deadline_missed = 21,
  // -- intents (source: the scheduler) --
  intent_scheduled = 40,
  intent_fired = 41,
  intent_misfired = 42,
  intent_cancelled = 43,
  // -- configuration and lifecycle --
  policy_changed = 60,
  node_started = 61,
  node_stopped = 62,
  // -- the log itself (source: "repair") --
  log_repaired = 63,
};

/// The snake_case name of a type, e.g. "call_admitted"; "" for a number that
/// names no type.
std::string_view name_of(event_type type) noexcept;

/// The type with this name, if any.
std::optional<event_type> event_type_from_name(std::string_view name) noexcept;

/// True if `raw` is the number of a type this version knows.
bool is_known_event_type(uint16_t raw) noexcept;

} // namespace tc
