// A RocksDB FileSystem whose disk fills up: every file RocksDB writes shares
// one budget of bytes, and the write that would exceed it writes what fits
// and fails with NoSpace ("No space left on device"), as a full disk does;
// every later write fails whole. For the store's full-disk tests, through
// its test hook (storage/detail/testing.hpp).

#pragma once

#include <rocksdb/file_system.h>
#include <rocksdb/io_status.h>

#include <atomic>
#include <memory>
#include <string>

namespace tc::test {

class full_disk_fs : public rocksdb::FileSystemWrapper {
public:
  explicit full_disk_fs(int64_t budget)
      : rocksdb::FileSystemWrapper(rocksdb::FileSystem::Default()),
        left_(std::make_shared<std::atomic<int64_t>>(budget)) {}

  static const char* kClassName() { return "timecontrol.full_disk_fs"; }
  const char* Name() const override { return kClassName(); }

  /// Frees room for `bytes` more.
  void free(int64_t bytes) { left_->fetch_add(bytes); }

  rocksdb::IOStatus
  NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                  std::unique_ptr<rocksdb::FSWritableFile>* result,
                  rocksdb::IODebugContext* dbg) override {
    auto st = target()->NewWritableFile(name, options, result, dbg);
    if (st.ok())
      *result = std::make_unique<file>(std::move(*result), name, left_);
    return st;
  }

  rocksdb::IOStatus
  ReopenWritableFile(const std::string& name,
                     const rocksdb::FileOptions& options,
                     std::unique_ptr<rocksdb::FSWritableFile>* result,
                     rocksdb::IODebugContext* dbg) override {
    auto st = target()->ReopenWritableFile(name, options, result, dbg);
    if (st.ok())
      *result = std::make_unique<file>(std::move(*result), name, left_);
    return st;
  }

  rocksdb::IOStatus
  ReuseWritableFile(const std::string& name, const std::string& old,
                    const rocksdb::FileOptions& options,
                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                    rocksdb::IODebugContext* dbg) override {
    auto st = target()->ReuseWritableFile(name, old, options, result, dbg);
    if (st.ok())
      *result = std::make_unique<file>(std::move(*result), name, left_);
    return st;
  }

private:
  using budget = std::shared_ptr<std::atomic<int64_t>>;

  class file : public rocksdb::FSWritableFileOwnerWrapper {
  public:
    file(std::unique_ptr<rocksdb::FSWritableFile> target, std::string name,
         budget left)
        : rocksdb::FSWritableFileOwnerWrapper(std::move(target)),
          name_(std::move(name)), left_(std::move(left)) {}

    rocksdb::IOStatus Append(const rocksdb::Slice& data,
                             const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
      auto room = take(data.size());
      if (room > 0) {
        auto st = target()->Append({data.data(), room}, options, dbg);
        if (!st.ok())
          return st;
      }
      if (room < data.size())
        return full();
      return rocksdb::IOStatus::OK();
    }

    rocksdb::IOStatus Append(const rocksdb::Slice& data,
                             const rocksdb::IOOptions& options,
                             const rocksdb::DataVerificationInfo&,
                             rocksdb::IODebugContext* dbg) override {
      return Append(data, options, dbg);
    }

    rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data,
                                       uint64_t offset,
                                       const rocksdb::IOOptions& options,
                                       rocksdb::IODebugContext* dbg) override {
      if (take(data.size()) < data.size())
        return full();
      return target()->PositionedAppend(data, offset, options, dbg);
    }

    rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data,
                                       uint64_t offset,
                                       const rocksdb::IOOptions& options,
                                       const rocksdb::DataVerificationInfo&,
                                       rocksdb::IODebugContext* dbg) override {
      return PositionedAppend(data, offset, options, dbg);
    }

  private:
    // How much of `n` bytes fits.
    size_t take(size_t n) {
      auto want = static_cast<int64_t>(n);
      auto left = left_->load();
      for (;;) {
        auto room = std::max<int64_t>(0, std::min(left, want));
        if (left_->compare_exchange_weak(left, left - room))
          return static_cast<size_t>(room);
      }
    }

    rocksdb::IOStatus full() const {
      return rocksdb::IOStatus::NoSpace("While appending to file: " + name_,
                                        "No space left on device");
    }

    std::string name_;
    budget left_;
  };

  budget left_;
};

} // namespace tc::test
