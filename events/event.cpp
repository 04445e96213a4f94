#include "timecontrol/events/event.hpp"

#include <array>
#include <utility>

namespace tc {

namespace {

struct type_entry {
  event_type type;
  std::string_view name;
};

// Built from the variant, so a new alternative cannot be forgotten here.
template <size_t... Is>
constexpr auto make_type_table(std::index_sequence<Is...>) {
  return std::array<type_entry, sizeof...(Is)>{
      type_entry{std::variant_alternative_t<Is, event>::type, {}}...};
}

constexpr auto type_table =
    make_type_table(std::make_index_sequence<std::variant_size_v<event>>{});

template <size_t I = 0>
bool emplace_by_index(event& x, event_type type) {
  if constexpr (I == std::variant_size_v<event>) {
    return false;
  } else {
    using alternative = std::variant_alternative_t<I, event>;
    if (alternative::type != type)
      return emplace_by_index<I + 1>(x, type);
    if (x.index() != I)
      x.emplace<I>();
    return true;
  }
}

} // namespace

std::string_view name_of(event_type type) noexcept {
  switch (type) {
    case event_type::call_requested:
      return "call_requested";
    case event_type::call_admitted:
      return "call_admitted";
    case event_type::call_throttled:
      return "call_throttled";
    case event_type::call_started:
      return "call_started";
    case event_type::call_finished:
      return "call_finished";
    case event_type::call_timed_out:
      return "call_timed_out";
    case event_type::deadline_status_changed:
      return "deadline_status_changed";
    case event_type::deadline_missed:
      return "deadline_missed";
    case event_type::intent_scheduled:
      return "intent_scheduled";
    case event_type::intent_fired:
      return "intent_fired";
    case event_type::intent_misfired:
      return "intent_misfired";
    case event_type::intent_cancelled:
      return "intent_cancelled";
    case event_type::policy_changed:
      return "policy_changed";
    case event_type::node_started:
      return "node_started";
    case event_type::node_stopped:
      return "node_stopped";
    case event_type::log_repaired:
      return "log_repaired";
  }
  return {};
}

std::optional<event_type> event_type_from_name(std::string_view name) noexcept {
  for (const auto& entry : type_table)
    if (name_of(entry.type) == name)
      return entry.type;
  return std::nullopt;
}

bool is_known_event_type(uint16_t raw) noexcept {
  for (const auto& entry : type_table)
    if (static_cast<uint16_t>(entry.type) == raw)
      return true;
  return false;
}

size_t alternative_of(event_type type) noexcept {
  for (size_t i = 0; i < type_table.size(); ++i)
    if (type_table[i].type == type)
      return i;
  return type_table.size();
}

event_type type_of(const event& x) noexcept {
  return std::visit([](const auto& e) { return e.type; }, x);
}

bool emplace_event(event& x, event_type type) {
  return emplace_by_index(x, type);
}

std::string_view to_string(throttle_action x) noexcept {
  switch (x) {
    case throttle_action::waited:
      return "waited";
    case throttle_action::rejected:
      return "rejected";
    case throttle_action::dropped:
      return "dropped";
  }
  return {};
}

std::string_view to_string(misfire_action x) noexcept {
  switch (x) {
    case misfire_action::coalesced:
      return "coalesced";
    case misfire_action::ran_all:
      return "ran_all";
    case misfire_action::skipped:
      return "skipped";
  }
  return {};
}

} // namespace tc
