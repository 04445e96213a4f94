// The event catalogue: every event type with its stable number.
//
// An event type's number is written into every stored record, so a number is
// never reused or renumbered: a retired type keeps its number reserved. New
// types take the next free number of their family.
//
// Adding an event type takes three things: its struct, with its field list
// (fields(), see fields.hpp), in the header of its family; one line in
// TC_EVENT_CATALOGUE below; and its line in storage/FORMAT.md (the golden
// test of the codec checks that every type is written down there). The enum,
// the names, the `event` variant, CAF's inspect(), the codec, the weights and
// the program's text and JSON formats are derived from those.

#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

// X(struct name, stable number), in the order of the `event` variant.
#define TC_EVENT_CATALOGUE(X)                                                  \
  /* calls (source: the command) */                                            \
  X(call_requested, 1)                                                         \
  X(call_admitted, 2)                                                          \
  X(call_throttled, 3)                                                         \
  X(call_started, 4)                                                           \
  X(call_finished, 5)                                                          \
  X(call_timed_out, 6)                                                         \
  /* deadlines (source: the controller) */                                     \
  X(deadline_status_changed, 20)                                               \
  X(deadline_missed, 21)                                                       \
  /* intents (source: the scheduler) */                                        \
  X(intent_scheduled, 40)                                                      \
  X(intent_fired, 41)                                                          \
  X(intent_misfired, 42)                                                       \
  X(intent_cancelled, 43)                                                      \
  /* configuration and lifecycle */                                            \
  X(policy_changed, 60)                                                        \
  X(node_started, 61)                                                          \
  X(node_stopped, 62)                                                          \
  /* the log itself (source: "repair") */                                      \
  X(log_repaired, 63)                                                          \
  /* nodes over the network (source: the serving node) */                      \
  X(node_joined, 64)                                                           \
  X(node_lost, 65)

namespace tc {

enum class event_type : uint16_t {
#define TC_EVENT_ENUM(name, number) name = number,
  TC_EVENT_CATALOGUE(TC_EVENT_ENUM)
#undef TC_EVENT_ENUM
};

#define TC_EVENT_DECLARE(name, number) struct name;
TC_EVENT_CATALOGUE(TC_EVENT_DECLARE)
#undef TC_EVENT_DECLARE

/// What the catalogue says of event struct T: its `type` and its `name`.
/// Defined for the structs of the catalogue only.
template <class T>
struct event_traits;

#define TC_EVENT_TRAITS(x, number)                                             \
  template <>                                                                  \
  struct event_traits<x> {                                                     \
    static constexpr event_type type = event_type::x;                          \
    static constexpr const char* name = #x;                                    \
  };
TC_EVENT_CATALOGUE(TC_EVENT_TRAITS)
#undef TC_EVENT_TRAITS

/// True for the structs of the catalogue.
template <class T>
concept event_body = requires {
  event_traits<T>::type;
};

/// The snake_case name of a type, e.g. "call_admitted"; "" for a number that
/// names no type.
std::string_view name_of(event_type type) noexcept;

/// The type with this name, if any.
std::optional<event_type> event_type_from_name(std::string_view name) noexcept;

/// True if `raw` is the number of a type this version knows.
bool is_known_event_type(uint16_t raw) noexcept;

} // namespace tc
