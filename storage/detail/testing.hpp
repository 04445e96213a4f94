// Hooks for the store's own fault tests. Internal: not installed, not part of
// the library's interface; nothing but tests may call them.

#pragma once

#include <memory>

namespace rocksdb {
class FileSystem;
} // namespace rocksdb

namespace tc::detail {

/// Makes every RocksDB store opened from now on in this process do its file
/// I/O through `fs` (null: the default file system again). The store's own
/// small files (TIMECONTROL, TIMECONTROL-LEASE) are written directly.
void set_file_system_for_testing(std::shared_ptr<rocksdb::FileSystem> fs);

} // namespace tc::detail
