// Saying what RocksDB's failures mean for a log: damage (with the file, the
// offset and the events it touches), a lock, a full disk. Not installed.

#pragma once

#include <rocksdb/db.h>
#include <rocksdb/status.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "timecontrol/core/error.hpp"
#include "timecontrol/events/event.hpp"

namespace tc::detail {

/// The file a RocksDB status names ("000012.sst", "MANIFEST-000005", ...)
/// and the offset it gives, when it gives them.
struct status_place {
  std::string file;
  std::optional<uint64_t> offset;
};

status_place place_of(const rocksdb::Status& st);

/// True if the status says a file was not there (a writer may have deleted
/// it while a reader opened the log).
bool vanished(const rocksdb::Status& st);

/// What the table file `file` (a name in `path`) holds, read from the file
/// itself and from `db`'s metadata when `db` is given: "it holds seq
/// 1..163", "it holds index postings (repair rebuilds the index)". Sets
/// `first`/`last` to the event range when known.
std::string table_coverage(const std::string& path, const std::string& file,
                           rocksdb::DB* db, seq_t* first = nullptr,
                           seq_t* last = nullptr);

/// What is wrong with the log's metadata (CURRENT and the MANIFEST it
/// names), for when RocksDB cannot read it; "" if both look whole.
std::string metadata_problem(const std::string& path);

/// A RocksDB status as the store's error for the log at `path`:
///   Corruption, or a file the metadata names that is missing
///     (`missing_is_damage`)  -> corrupt_record: "PATH: damaged: FILE at
///                               offset N: REASON; what it holds"
///   the lock                 -> locked
///   a permission problem     -> not_writable
///   anything else (a full disk, an I/O error) -> storage_failure with
///                               RocksDB's text, which names the file and
///                               the system's reason.
/// `db`, when given, tells which events a damaged table file holds.
[[nodiscard]] caf::error storage_error(const std::string& path,
                                       const rocksdb::Status& st,
                                       rocksdb::DB* db = nullptr,
                                       bool missing_is_damage = false);

/// Tells `problem` of every damaged table file among `db`'s live files (each
/// file's blocks checked against their checksums), with the range of events
/// it holds (0, 0 if not known). Returns the number reported.
size_t check_table_files(
    const std::string& path, rocksdb::DB& db,
    const std::function<void(seq_t first, seq_t last, caf::error)>& problem);

} // namespace tc::detail
