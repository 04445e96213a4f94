// The library's one error enum and its bridge to caf::error.
//
// Library calls return `caf::expected<T>` or `caf::error`. An error of
// category "tc" carries an `errc` code and, as context, a text that says what
// and where: the path, the sequence number, the field. `tc::render` turns any
// caf::error into a line a person can read, with or without an actor system.

#pragma once

#include <cstdint>
#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace tc {

enum class errc : uint8_t {
  /// Not an error; never used as a code.
  none = 0,
  /// A call came too fast; the context says when to retry.
  throttled,
  /// A configuration value is invalid; the context names the field.
  bad_config,
  /// The storage engine failed; the context holds its status text.
  storage_failure,
  /// A stored record does not decode; the context names its sequence number.
  corrupt_record,
  /// The record or snapshot names an event type this version does not know.
  unknown_event_type,
  /// The data was written by a newer format version than this one reads.
  newer_format,
  /// The folder holds something that is not a timecontrol log.
  not_a_log,
  /// Another process holds the log open.
  locked,
  /// The folder cannot be created or written.
  not_writable,
  /// The object was closed, or the actor it names is gone.
  closed,
  /// A queue is full; the call was not accepted.
  queue_full,
  /// An operation did not finish within its time limit.
  timed_out,
  /// A wrapped operation failed or threw; the context holds its error text.
  operation_failed,
  /// A message or argument of a type the receiver does not handle.
  unexpected_message,
  /// Something that was asked for does not exist.
  not_found,
  /// A call waited longer than its caller allowed (its max_wait) and did not
  /// run; the context names the command, the call and how long it waited.
  expired,
  /// A call asked for something the command cannot give: a cost of 0, or
  /// more than its limiter holds at once; the context says which.
  bad_request,
  /// A remote node cannot be reached, or the connection to it was lost
  /// before it answered; the context names the node's address.
  unreachable,
};

/// The name of a code, e.g. "corrupt_record".
std::string to_string(errc code);

/// The category atom of timecontrol's errors, "tc".
caf::atom_value error_category() noexcept;

/// Makes an error of category "tc" without context.
[[nodiscard]] caf::error make_error(errc code);

/// Makes an error of category "tc" whose context is `what`.
[[nodiscard]] caf::error make_error(errc code, std::string what);

/// True if `err` is a timecontrol error with this code.
bool is(const caf::error& err, errc code) noexcept;

/// The context text of a timecontrol error ("" if it has none).
std::string context_of(const caf::error& err);

/// Renders any error for people, e.g.
/// "corrupt_record: seq 42: checksum mismatch". CAF's own errors render
/// through CAF.
std::string render(const caf::error& err);

} // namespace tc
