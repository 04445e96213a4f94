// The store's key layout and its non-event records. storage/FORMAT.md is the
// written grammar; keep the two in step (the golden-bytes tests check both).
//
// Column family "default":
//   meta_key     := 0x00 "timecontrol"
//   meta_value   := "TCLOG" format:u8
//   event_key    := 'e' seq:fixed64be                        -> event record
//   snapshot_key := 'p' name:bytes                           -> snapshot record
//   gap_key      := 'g' first:fixed64be                      -> gap record
// Column family "index":
//   source_key   := 's' source:string first:fixed64be        -> postings
//   type_key     := 't' type:fixed16be first:fixed64be       -> postings
//
//   postings     := count:varint delta:varint{count - 1}
//   snapshot     := version:u8 checksum:fixed32le body
//   body         := seq:varint state:bytes
//   gap          := version:u8 checksum:fixed32le gap_body
//   gap_body     := last:varint kind:u8 repaired_at:varint
//
// A posting list holds the sequence numbers, in order, of the events of one
// source (or type) stored by one write; `first` is the first of them and each
// delta is the distance to the previous one.

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "timecontrol/core/error.hpp"
#include "timecontrol/events/event.hpp"
#include "timecontrol/storage/event_store.hpp"

namespace tc::format {

/// The newest store format this build reads and the one it writes:
///   1  the first;
///   2  the log may hold gap records and log_repaired events (after a repair
///      or an unclean stop), which readers of version 1 would take for
///      damage;
///   3  Commands record calls compactly (no call_requested, no
///      call_started), which readers of version 2 would miscount.
/// A new log is created with it, and a writer of this build raises the
/// header of an older log to it before it writes (FORMAT.md).
inline constexpr uint8_t store_version = 3;

/// The format a new log is created with.
inline constexpr uint8_t created_version = store_version;

inline constexpr std::string_view meta_key{"\0timecontrol", 12};
/// The column family of the postings (kept apart so that their scattered
/// keys do not slow the in-order inserts of the records).
inline constexpr std::string_view index_family = "index";
inline constexpr std::string_view meta_magic = "TCLOG";
inline constexpr char event_tag = 'e';
inline constexpr char source_tag = 's';
inline constexpr char type_tag = 't';
inline constexpr char snapshot_tag = 'p';
inline constexpr char gap_tag = 'g';

inline constexpr uint8_t snapshot_version = 1;

std::string meta_value(uint8_t version = created_version);

/// The format version a meta value declares, or nullopt if it is not ours.
std::optional<uint8_t> parse_meta_value(std::string_view value);

std::string event_key(seq_t seq);
void append_event_key(std::string& out, seq_t seq);

/// The sequence number of an event key, or nullopt if it is not one.
std::optional<seq_t> parse_event_key(std::string_view key);

/// The prefix shared by every posting key of `source`.
std::string source_prefix(std::string_view source);
void append_source_prefix(std::string& out, std::string_view source);

/// The prefix shared by every posting key of `type`.
std::string type_prefix(event_type type);
void append_type_prefix(std::string& out, event_type type);

/// `prefix` followed by `first` (big-endian).
std::string posting_key(std::string_view prefix, seq_t first);

void encode_postings(const std::vector<seq_t>& seqs, std::string& out);

/// Appends the postings stored under `key` to `out`; false if malformed.
bool decode_postings(std::string_view key, std::string_view value,
                     std::vector<seq_t>& out);

std::string snapshot_key(std::string_view name);

std::string encode_snapshot(const snapshot& x);

/// Errors: errc::newer_format, errc::corrupt_record (naming the snapshot).
[[nodiscard]] caf::expected<snapshot> decode_snapshot(std::string_view name,
                                                      std::string_view record);

/// Sequence numbers a repair declared gone: no event has them, or ever will.
struct gap {
  seq_t first = 0;
  seq_t last = 0;
  /// True: events were stored under them and are lost. False: they may have
  /// been handed out, but no stored event is known to have had them.
  bool stored = true;
  /// The sequence number of the log_repaired event that declared the gap.
  seq_t repaired_at = 0;
  friend bool operator==(const gap&, const gap&) = default;
};

inline constexpr uint8_t gap_version = 1;

std::string gap_key(seq_t first);

std::string encode_gap(const gap& x);

/// Errors: errc::newer_format, errc::corrupt_record.
[[nodiscard]] caf::expected<gap> decode_gap(std::string_view key,
                                            std::string_view value);

} // namespace tc::format
