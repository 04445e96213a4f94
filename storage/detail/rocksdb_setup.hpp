// The RocksDB options every opening of a log uses (the store, its readers,
// repair), in one place. Not installed.

#pragma once

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/options.h>

#include <memory>
#include <string>
#include <vector>

namespace tc::detail {

struct rocksdb_setup {
  rocksdb::DBOptions db;
  rocksdb::ColumnFamilyOptions family;
  /// Set when a test injected a file system (db.env points to it).
  std::shared_ptr<rocksdb::Env> env;

  /// The log's two column families: default and the index.
  std::vector<rocksdb::ColumnFamilyDescriptor> families() const;
};

rocksdb_setup make_rocksdb_setup();

/// RocksDB's info log for a log (or a reader's own folder) `dir`: the file
/// dir/LOG, the previous one kept as LOG.old.<microseconds> (the newest
/// `keep`), as RocksDB's own logger does, but written with plain write(2)s
/// whose failure stops the logging: RocksDB's own logger asserts (in
/// Debian's build: aborts) when it writes again after a failed write, which
/// a full disk makes the first thing to fail. Null if dir/LOG cannot be
/// opened (RocksDB then logs nothing).
std::shared_ptr<rocksdb::Logger> make_info_log(const std::string& dir,
                                               size_t keep = 2);

} // namespace tc::detail
