// Salvaging a damaged log, on request: what `timecontrol repair PATH` does.
//
// A damaged log does not open (event_store::open() answers corrupt_record);
// repair_log() keeps what is readable, says exactly what is lost, records
// that it repaired (a log_repaired event), and numbers on past every
// sequence number the log may have handed out, so that no number ever names
// a second event. See FORMAT.md, "Repairs", for the steps and the bytes.
//
// Example:
//
//   auto report = tc::repair_log("/var/lib/app/log");
//   if (!report) { std::cerr << tc::render(report.error()); return 1; }
//   if (!report->repaired) ...   // the log was sound: nothing changed
//   for (auto& r : report->lost) ...
//
// Run it when nothing else uses the log: it refuses a log a writer has
// open; readers that open the log while it runs are refused until it ends
// (a crashed repair is run again, and completes).

#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "timecontrol/storage/event_store.hpp"

namespace tc {

/// What repair_log() found and did.
struct repair_report {
  /// False: the log was sound and nothing was changed.
  bool repaired = false;
  /// What was damaged, one line per damaged file, stretch or record.
  std::vector<std::string> damage;
  /// Sequence numbers of events that were stored and are lost.
  std::vector<seq_range> lost;
  /// Sequence numbers that may have been handed out (a writer numbered
  /// events up to them, or may have), but that no stored event is known to
  /// have had: the events of a lost tail of the log are among them. No
  /// event will ever have them.
  std::vector<seq_range> skipped;
  /// Events the log holds after the repair (log_repaired not counted).
  uint64_t kept = 0;
  /// Of those, the events put back from files RocksDB's own repair dropped
  /// or left (WAL writes after a damaged one, readable blocks of a damaged
  /// table file).
  uint64_t salvaged = 0;
  /// Snapshots dropped: damaged, or covering events now lost (they are
  /// rebuilt from the events).
  std::vector<std::string> dropped_snapshots;
  /// The sequence number of the log_repaired event; appends go on after it.
  seq_t repaired_at = 0;
  /// The folder that keeps the damaged log's files as they were.
  std::string kept_files;
};

/// Salvages the log at `path` in place. Errors:
///   errc::not_found       no log there;
///   errc::not_a_log       the folder is not a timecontrol log (it is not
///                         modified);
///   errc::locked          a writer has the log open;
///   errc::newer_format    a newer build wrote it;
///   errc::not_writable    the folder cannot be written;
///   errc::corrupt_record  the repair could not make the log readable (it
///                         stays refused; the text says why);
///   errc::storage_failure an I/O error or a full disk meanwhile (run it
///                         again once the cause is gone).
[[nodiscard]] caf::expected<repair_report> repair_log(const std::string& path);

/// "83..168,200" (the form log_repaired's fields use); "" for none.
std::string to_ranges(const std::vector<seq_range>& ranges);

} // namespace tc
