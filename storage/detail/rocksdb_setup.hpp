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

} // namespace tc::detail
