// Hooks for the store's own fault tests. Internal: not installed, not part of
// the library's interface; nothing but tests may call them.

#pragma once

#include <functional>
#include <memory>

namespace rocksdb {
class FileSystem;
struct DBOptions;
struct ColumnFamilyOptions;
} // namespace rocksdb

namespace tc::detail {

/// Makes every RocksDB store opened from now on in this process do its file
/// I/O through `fs` (null: the default file system again). The store's own
/// small files (TIMECONTROL, TIMECONTROL-LEASE) are written directly.
void set_file_system_for_testing(std::shared_ptr<rocksdb::FileSystem> fs);

/// Lets `tune` change the RocksDB options of every store opened from now on
/// in this process (empty: none), e.g. small memtables, so that a test's
/// writer flushes and deletes WAL files often without writing gigabytes.
void set_rocksdb_options_for_testing(
    std::function<void(rocksdb::DBOptions&, rocksdb::ColumnFamilyOptions&)>
        tune);

} // namespace tc::detail
