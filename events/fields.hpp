// The field list of an event: the one description of its fields, in stored
// order, from which CAF's inspect(), the codec and the program's text and
// JSON formats are derived.
//
// An event struct lists its fields in a static member function:
//
//   struct call_admitted {
//     uint64_t call_id = 0;
//     duration waited{0};
//     static constexpr auto fields() {
//       return std::tuple{field{"call_id", &call_admitted::call_id},
//                         field{"waited", &call_admitted::waited}};
//     }
//   };
//
// A field's type is one the codec knows (storage/FORMAT.md): uint64_t,
// uint32_t, int32_t, bool, std::string, tc::duration, tc::time_point, or a
// one-byte enum with a to_string() that names every value.
//
// Events grow only at the end: a field added later names the record format
// version that first stores it (field{"key", &intent_scheduled::key, 2});
// records of older versions decode with that field at its default.

#pragma once

#include <cstdint>
#include <tuple>
#include <type_traits>
#include <utility>

#include <caf/meta/type_name.hpp>

#include "timecontrol/events/event_type.hpp"

namespace tc {

/// One field: its name, where it lives, and the record format version that
/// first stores it.
template <class Class, class Member>
struct field {
  const char* name;
  Member Class::*member;
  uint8_t since = 1;
};

template <class Class, class Member>
field(const char*, Member Class::*) -> field<Class, Member>;

template <class Class, class Member, class Version>
field(const char*, Member Class::*, Version) -> field<Class, Member>;

/// Calls `f(field, value)` for each field of `x`, in order: `field.name`,
/// `field.since`; `value` is const if `x` is.
template <class T, class F>
constexpr void for_each_field(T& x, F&& f) {
  std::apply([&](auto... fl) { (f(fl, x.*fl.member), ...); },
             std::remove_const_t<T>::fields());
}

/// Calls `f(values...)` with every field of `x`, in order, and returns what
/// it returns.
template <class T, class F>
constexpr decltype(auto) apply_fields(T& x, F&& f) {
  return std::apply(
      [&](auto... fl) -> decltype(auto) { return f((x.*fl.member)...); },
      std::remove_const_t<T>::fields());
}

/// Inspection in CAF 0.17 form, for every event struct: its name, then its
/// fields in order.
template <class Inspector, event_body T>
typename Inspector::result_type inspect(Inspector& f, T& x) {
  return apply_fields(x, [&](auto&... xs) {
    return f(caf::meta::type_name(event_traits<T>::name), xs...);
  });
}

} // namespace tc
