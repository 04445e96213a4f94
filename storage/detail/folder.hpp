// What a log's folder holds, and whether a writer has it open: shared by the
// store and repair. Not installed.

#pragma once

#include <string>

#include "timecontrol/core/error.hpp"

namespace tc::detail {

enum class folder_kind { missing, empty, file, filled };

/// What is at `path`. Errors: not_writable when it cannot be looked at.
[[nodiscard]] caf::expected<folder_kind> look_at(const std::string& path);

bool exists(const std::string& path);

/// True if RocksDB's own files in `path` (its OPTIONS files and info log)
/// show the options only a timecontrol log uses: a log of any version, even
/// one without a marker whose metadata is damaged.
bool rocksdb_files_say_ours(const std::string& path);

/// True if a writer has the log at `path` open: a store of this process
/// (register_writer()), or another process that holds RocksDB's lock on it.
bool writer_active(const std::string& path);

/// Tells writer_active() of this process that a writer opened (true) or
/// closed (false) the log at `path`.
void register_writer(const std::string& path, bool open);

} // namespace tc::detail
