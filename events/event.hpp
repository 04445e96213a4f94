// The event catalogue as one type, and the envelope every stored event
// travels in.

#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include <caf/meta/type_name.hpp>

#include "timecontrol/core/error.hpp"
#include "timecontrol/core/time.hpp"
#include "timecontrol/events/call.hpp"
#include "timecontrol/events/deadline.hpp"
#include "timecontrol/events/event_type.hpp"
#include "timecontrol/events/intent.hpp"
#include "timecontrol/events/node.hpp"

namespace tc {

namespace detail {

// std::variant<Ts...> of a list whose last element is void (the catalogue
// expands to "a, b, c, void").
template <class Done, class... Ts>
struct variant_of;

template <class... Done>
struct variant_of<std::variant<Done...>, void> {
  using type = std::variant<Done...>;
};

template <class... Done, class T, class... Ts>
struct variant_of<std::variant<Done...>, T, Ts...> {
  using type = typename variant_of<std::variant<Done..., T>, Ts...>::type;
};

} // namespace detail

/// Any event of the catalogue (event_type.hpp), in its order. The
/// alternatives' order is not stored anywhere; each type's stable number is
/// event_traits<T>::type.
#define TC_EVENT_ALTERNATIVE(name, number) name,
using event =
    detail::variant_of<std::variant<>,
                       TC_EVENT_CATALOGUE(TC_EVENT_ALTERNATIVE) void>::type;
#undef TC_EVENT_ALTERNATIVE

/// The type number of the event `x` holds.
event_type type_of(const event& x) noexcept;

/// Makes `x` hold a default event of `type`. Keeps `x` as it is (and its
/// storage, for reuse) when it already holds that type. Returns false for a
/// number that names no type.
bool emplace_event(event& x, event_type type);

/// The position of `type` among the alternatives of `event`, or
/// std::variant_size_v<event> for a number that names no type.
size_t alternative_of(event_type type) noexcept;

/// A sequence number. The log numbers events 1, 2, 3, ... without gaps; 0
/// means "not yet stored".
using seq_t = uint64_t;

/// One fact as the log stores it.
struct envelope {
  /// Assigned by the log when the event is stored; 0 before.
  seq_t seq = 0;
  /// When it happened, read from the injected clock of the recording actor.
  time_point time{};
  /// The entity it is about: a command's, controller's or scheduler's name.
  std::string source;
  event body;

  event_type type() const noexcept { return type_of(body); }

  friend bool operator==(const envelope&, const envelope&) = default;
};

/// Inspection in CAF 0.17 form: the body is written as its type number
/// followed by its fields, so every inspector (binary, text) handles it.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, envelope& x) {
  if constexpr (Inspector::reads_state) {
    auto type = static_cast<uint16_t>(x.type());
    return std::visit(
        [&](auto& body) {
          return f(caf::meta::type_name("envelope"), x.seq, x.time, x.source,
                   type, body);
        },
        x.body);
  } else {
    uint16_t type = 0;
    if (auto err =
            f(caf::meta::type_name("envelope"), x.seq, x.time, x.source, type))
      return err;
    if (!emplace_event(x.body, static_cast<event_type>(type)))
      return make_error(errc::unknown_event_type,
                        "seq " + std::to_string(x.seq) + ": event type " +
                            std::to_string(type));
    return std::visit([&](auto& body) { return f(body); }, x.body);
  }
}

} // namespace tc
