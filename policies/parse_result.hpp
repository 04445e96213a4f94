// parse_result<T>: the value a policy parser returns, or a text that says
// what is wrong and where. Policies are std-only, so this stands in for
// caf::expected at the edge of this layer; an actor turns the error text into
// a tc::errc::bad_config with the text as context.

#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <variant>

namespace tc {

/// Why a text did not parse.
struct parse_error {
  /// A sentence for a person: which field or position, and what is wrong.
  std::string message;

  /// The byte offset in the input where the problem starts.
  size_t position = 0;

  friend bool operator==(const parse_error&, const parse_error&) = default;
};

template <class T>
class parse_result {
public:
  // -- constructors -----------------------------------------------------------

  parse_result(T value) : x_(std::move(value)) {
    // nop
  }

  parse_result(parse_error err) : x_(std::move(err)) {
    // nop
  }

  // -- observers --------------------------------------------------------------

  bool ok() const noexcept { return x_.index() == 0; }

  explicit operator bool() const noexcept { return ok(); }

  /// Requires ok().
  const T& value() const& { return std::get<0>(x_); }

  /// Requires ok().
  T& value() & { return std::get<0>(x_); }

  /// Requires ok().
  T&& value() && { return std::get<0>(std::move(x_)); }

  const T& operator*() const& { return value(); }

  const T* operator->() const { return &value(); }

  /// Requires !ok().
  const parse_error& error() const { return std::get<1>(x_); }

private:
  std::variant<T, parse_error> x_;
};

} // namespace tc
