// The files a timecontrol log keeps beside RocksDB's in its folder (see
// FORMAT.md, "Files of a log"). Not installed.
//
//   TIMECONTROL            the marker: says "this folder is a timecontrol
//                          log" even when RocksDB's own metadata is damaged.
//                          Written once, when the log is created (or when a
//                          writer first opens a log of an older version),
//                          never changed.
//   TIMECONTROL-LEASE      the high-water mark of handed-out sequence
//                          numbers: no event was ever numbered above it. A
//                          writer extends it, fsynced, before it hands out a
//                          sequence number beyond it, in steps of
//                          lease_step. It is "clean" when the last writer
//                          closed the log after every write succeeded and
//                          its write-ahead log was synced: `high` is then
//                          exactly the last number (event or declared gap)
//                          the log holds, and a log that holds less has
//                          lost acknowledged events (damage). A writer makes
//                          it not clean before it hands out numbers; after
//                          an unclean stop the next writer declares the
//                          numbers up to `high` a gap and numbers on past it.
//   TIMECONTROL-REPAIRING  present while a repair runs; a log with it does
//                          not open until a repair completes.
//
// Each is a few lines of text ending with a CRC-32C line over the lines
// before it, written whole or not at all (a temporary file, fsync, rename,
// fsync of the folder).

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "timecontrol/core/error.hpp"
#include "timecontrol/events/event.hpp"

namespace tc::detail {

inline constexpr std::string_view marker_file = "TIMECONTROL";
inline constexpr std::string_view lease_file = "TIMECONTROL-LEASE";
inline constexpr std::string_view repair_flag_file = "TIMECONTROL-REPAIRING";

/// How far a writer extends the lease beyond what it needs: the most
/// sequence numbers a writer skips after an unclean stop (or a repair after
/// a lost tail), and one fsynced file replacement per this many events.
/// 2^16 (was 2^20): an unclean stop leaves a gap of at most twice this,
/// and verify keeps 7 bytes per sequence number, gaps included. A
/// replacement costs 0.4 ms of CPU (no measurable change in appends' CPU
/// time) and one fsync of wall time: 0.6 ms on a quiet disk, about 1% of
/// the time 65536 buffered events take; 11 ms on a loaded one, where
/// buffered 1000-event appends took 12% more wall time than with 2^20
/// (BENCHMARKS.md, 2026-11-29, "The lease step").
inline constexpr seq_t lease_step = 1 << 16;

/// Writes `dir`/`name` whole or not at all. Errors: storage_failure naming
/// the file and the system's reason.
[[nodiscard]] caf::error write_file_atomically(const std::string& dir,
                                               std::string_view name,
                                               std::string_view content);

/// fsyncs the folder `dir` (makes its entries durable).
[[nodiscard]] caf::error sync_folder(const std::string& dir);

/// A small file read whole.
struct small_file {
  bool exists = false;
  std::string content;
  /// Set when it exists but could not be read.
  std::string error;
};

small_file read_small_file(const std::string& path);

/// The marker of a new log (with a fresh random identity).
std::string make_marker();

/// Why a marker's content is not sound, or nullopt if it is.
std::optional<std::string> check_marker(std::string_view content);

/// What a lease says.
struct lease_state {
  /// No event was ever numbered above it.
  seq_t high = 0;
  /// The last writer closed the log cleanly: `high` is the last number the
  /// log holds.
  bool clean = false;
};

std::string encode_lease(seq_t high, bool clean = false);

/// What a lease's content says; nullopt if it is damaged. A lease of an
/// older build (no "clean" line) is not clean.
std::optional<lease_state> decode_lease(std::string_view content);

/// The repair flag's content: when, by which process, and (once they are)
/// where the damaged log's files are kept.
std::string make_repair_flag(const std::string& kept = {});

/// The folder a repair flag names as keeping the files, "" if none (or if
/// the flag is damaged).
std::string kept_by_repair(std::string_view flag);

} // namespace tc::detail
