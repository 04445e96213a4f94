// The stored form of an envelope: one record of bytes.
//
// The layout is written down as a grammar in storage/FORMAT.md and pinned by
// a golden-bytes test. In short (format versions 2, 3 and 4; version 1 is
// read too):
//
//   record   := version:u8 checksum:fixed32le body
//   body     := seq:varint time:fixed64le source:string type:varint fields
//   checksum := crc32c(body)
//
// where `fields` are the event's fields in the order its fields() lists
// them. Decoding checks everything it reads: a record from a newer format
// version, with a bad checksum, an unknown event type, an out-of-range
// value or trailing bytes gives an error, never a crash or a wrong event.

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "timecontrol/events/event.hpp"

namespace tc::codec {

/// The newest record format this build writes and reads.
inline constexpr uint8_t format_version = 5;

/// The record format this build writes for every event that needs nothing
/// newer. An event needs version 3, 4 or 5 only if it says so (its
/// record_version(): a call_admitted of cost != 1 or a call_throttled of
/// action `expired` needs 3; a call_admitted or call_throttled with a key
/// needs 4; node_joined and node_lost need 5), so a log without weighted,
/// expired or keyed calls or remote nodes stays readable by builds that read
/// version 2.
inline constexpr uint8_t base_format_version = 2;

/// The record format `x`'s record is written in.
uint8_t record_version_of(const envelope& x) noexcept;

/// Appends the record of `x` to `out`.
void encode(const envelope& x, std::string& out);

/// The record of `x`.
std::string encode(const envelope& x);

/// Decodes `record` into `out`, reusing `out`'s storage where it can.
/// `key_seq` is the sequence number the record is stored under (0 if not
/// known): errors then name it, and a record that holds another sequence
/// number is reported as corrupt. Errors: `errc::newer_format`,
/// `errc::unknown_event_type`, `errc::corrupt_record`; their text names the
/// sequence number when it is known. On error `out` is unspecified.
[[nodiscard]] caf::error decode(std::string_view record, envelope& out,
                                seq_t key_seq = 0);

/// The event type a record declares, read without checking the record (for
/// choosing where to decode it); nullopt if the header does not parse.
std::optional<event_type> peek_type(std::string_view record) noexcept;

/// Decodes `record` into a new envelope.
[[nodiscard]] caf::expected<envelope> decode(std::string_view record,
                                             seq_t key_seq = 0);

} // namespace tc::codec
