// Opens a closed timecontrol log with RocksDB directly, with all its column
// families, so that tests can damage or forge what the store wrote.

#pragma once

#include <boost/test/unit_test.hpp>

#include <rocksdb/db.h>

#include <memory>
#include <string>
#include <vector>

#include "timecontrol/storage/detail/format.hpp"

namespace tc::test {

class raw_log {
public:
  explicit raw_log(const std::string& path) {
    std::vector<std::string> names;
    BOOST_REQUIRE(rocksdb::DB::ListColumnFamilies({}, path, &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (auto& name : names)
      families.emplace_back(name, rocksdb::ColumnFamilyOptions{});
    BOOST_REQUIRE(rocksdb::DB::Open({}, path, families, &handles_, &db_).ok());
    for (size_t i = 0; i < names.size(); ++i)
      if (names[i] == format::index_family)
        index_ = handles_[i];
    BOOST_REQUIRE(index_ != nullptr);
  }

  ~raw_log() {
    for (auto* handle : handles_)
      db_->DestroyColumnFamilyHandle(handle);
    delete db_;
  }

  rocksdb::DB& db() { return *db_; }

  /// The family of the index postings.
  rocksdb::ColumnFamilyHandle* index() { return index_; }

  std::string get(const std::string& key) {
    std::string value;
    BOOST_REQUIRE(db_->Get({}, key, &value).ok());
    return value;
  }

  void put(const std::string& key, const std::string& value) {
    BOOST_REQUIRE(db_->Put({}, key, value).ok());
  }

private:
  rocksdb::DB* db_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* index_ = nullptr;
};

} // namespace tc::test
