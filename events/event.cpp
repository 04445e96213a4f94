#include "timecontrol/events/event.hpp"

#include <array>
#include <utility>

namespace tc {

namespace {

struct type_entry {
  event_type type;
  std::string_view name;
};

// Built from the variant (and so from the catalogue).
template <size_t... Is>
constexpr auto make_type_table(std::index_sequence<Is...>) {
  return std::array<type_entry, sizeof...(Is)>{
      type_entry{event_traits<std::variant_alternative_t<Is, event>>::type,
                 event_traits<std::variant_alternative_t<Is, event>>::name}...};
}

constexpr auto type_table =
    make_type_table(std::make_index_sequence<std::variant_size_v<event>>{});

template <size_t I = 0>
bool emplace_by_index(event& x, event_type type) {
  if constexpr (I == std::variant_size_v<event>) {
    return false;
  } else {
    using alternative = std::variant_alternative_t<I, event>;
    if (event_traits<alternative>::type != type)
      return emplace_by_index<I + 1>(x, type);
    if (x.index() != I)
      x.emplace<I>();
    return true;
  }
}

} // namespace

std::string_view name_of(event_type type) noexcept {
  for (const auto& entry : type_table)
    if (entry.type == type)
      return entry.name;
  return {};
}

std::optional<event_type> event_type_from_name(std::string_view name) noexcept {
  for (const auto& entry : type_table)
    if (entry.name == name)
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
  return std::visit(
      [](const auto& e) {
        return event_traits<std::decay_t<decltype(e)>>::type;
      },
      x);
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
    case throttle_action::expired:
      return "expired";
  }
  return {};
}

// -- intent arguments ---------------------------------------------------------

namespace {

constexpr std::string_view fuzzy_prefix = "fuzzy ";
constexpr std::string_view fixed_prefix = "fixed ";

} // namespace

std::string encode_intent_args(const intent_args& x) {
  if (x.seed != 0)
    return std::string{fuzzy_prefix} + std::to_string(x.seed) + " " + x.args;
  if (x.args.starts_with(fuzzy_prefix) || x.args.starts_with(fixed_prefix))
    return std::string{fixed_prefix} + x.args;
  return x.args;
}

std::optional<intent_args> decode_intent_args(std::string_view stored) {
  if (stored.starts_with(fixed_prefix))
    return intent_args{std::string{stored.substr(fixed_prefix.size())}, 0};
  if (!stored.starts_with(fuzzy_prefix))
    return intent_args{std::string{stored}, 0};
  auto rest = stored.substr(fuzzy_prefix.size());
  auto space = rest.find(' ');
  auto digits = rest.substr(0, space);
  if (space == std::string_view::npos || digits.empty() || digits.size() > 20 ||
      digits.front() == '0')
    return std::nullopt;
  uint64_t seed = 0;
  for (auto c : digits) {
    if (c < '0' || c > '9')
      return std::nullopt;
    auto d = static_cast<uint64_t>(c - '0');
    if (seed > (UINT64_MAX - d) / 10)
      return std::nullopt;
    seed = seed * 10 + d;
  }
  return intent_args{std::string{rest.substr(space + 1)}, seed};
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
