// An independent reader of RocksDB's write-ahead log files, written from the
// file format RocksDB documents (db/log_format.h): the store uses it to say
// where a WAL is damaged and which events that touches, to refuse damage that
// RocksDB's own reader would let pass, and to salvage intact writes in a
// repair. Not installed.
//
// The format: the file is a sequence of 32 KiB blocks; each block holds
// physical records and, when fewer than 7 bytes are left, zero padding. A
// physical record is
//
//   checksum:fixed32le length:fixed16le type:u8 payload:byte{length}
//
// where checksum is the masked CRC-32C of the type byte and the payload, and
// type is 1 (a whole logical record), 2, 3, 4 (the first, a middle and the
// last fragment of one) or 0 with length 0 (preallocated zeros). No record
// crosses a block boundary. A logical record is one rocksdb::WriteBatch:
//
//   sequence:fixed64le count:fixed32le entries
//
// Damage this reader reports (and RocksDB's reader with
// kTolerateCorruptedTailRecords would have let pass, in the last block):
//   * a length that runs past the end of the file although the record is
//     whole (its checksum matches the bytes up to the end), or although an
//     intact record follows it, or although it would cross the block;
//   * zeroed bytes with intact records after them.
// What it tolerates, as RocksDB does: a last record cut short by the end of
// the file (a write a crash interrupted, never acknowledged), and zeros after
// the last intact record.

#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "timecontrol/events/event.hpp"

namespace tc::detail {

/// One intact write (a rocksdb::WriteBatch) of a WAL file.
struct wal_batch {
  /// Offset of its first physical record in the file.
  uint64_t offset = 0;
  /// The smallest and largest event sequence number it stores (0 if none).
  seq_t first_event = 0;
  seq_t last_event = 0;
};

/// A stretch of a WAL file that does not read as intact records.
struct wal_damage {
  /// Offset of its first byte.
  uint64_t offset = 0;
  /// Where intact records resume (the file size if they do not).
  uint64_t end = 0;
  /// What is wrong at `offset` ("checksum mismatch", ...).
  std::string what;
  /// The largest event seq of the intact writes before it in this file, and
  /// the smallest after it (0: none in this file).
  seq_t before = 0;
  seq_t after = 0;
};

/// What scanning one WAL file found.
struct wal_file_scan {
  /// File name inside the log's folder, e.g. "000012.log".
  std::string name;
  uint64_t number = 0;
  uint64_t size = 0;
  /// It vanished before it could be read (a writer deleted it).
  bool missing = false;
  /// A read error other than the file vanishing; its text.
  std::string read_error;
  std::vector<wal_damage> damage;
  /// The file ends in a record a crash cut short (tolerated), at this offset.
  bool torn_tail = false;
  uint64_t torn_at = 0;
  /// Over the intact writes: the smallest and largest event seq, and their
  /// number.
  seq_t first_event = 0;
  seq_t last_event = 0;
  uint64_t batches = 0;
};

/// Called with each intact write: its place and its WriteBatch bytes.
using wal_batch_fn =
    std::function<void(const wal_batch& batch, std::string_view rep)>;

/// Scans `dir`/`name`. `on_batch`, when set, gets every intact write.
wal_file_scan scan_wal_file(const std::string& dir, const std::string& name,
                            const wal_batch_fn& on_batch = {});

/// Scans the bytes of a WAL file (for the fuzzer).
wal_file_scan scan_wal_bytes(std::string_view bytes,
                             const wal_batch_fn& on_batch = {});

/// The WAL files ("NNNNNN.log") in `dir`, oldest first.
std::vector<std::string> wal_files_in(const std::string& dir);

/// Scans every WAL file of `dir`, oldest first.
std::vector<wal_file_scan> scan_wal_files(const std::string& dir,
                                          const wal_batch_fn& on_batch = {});

/// The event sequence numbers a WriteBatch's bytes store in the default
/// column family, as [first, last] (0, 0 if none); false if the bytes do not
/// parse as a WriteBatch.
bool events_in_batch(std::string_view rep, seq_t& first, seq_t& last);

using event_record_fn = std::function<void(seq_t, std::string_view)>;

/// Passes each event record of the WriteBatch `rep` (seq and record bytes)
/// to `found`; false if the batch does not parse.
bool for_each_event_record(std::string_view rep, const event_record_fn& found);

/// "000012.log at offset 4096 (checksum mismatch)" and what it touches, e.g.
/// "; it holds the events after seq 82 and before seq 169 (seq 83..168)".
/// `before` and `after` may come from other files; 0 means unknown or none.
std::string describe(const std::string& file, const wal_damage& damage,
                     seq_t before, seq_t after);

} // namespace tc::detail
