#include "timecontrol/storage/detail/rocksdb_setup.hpp"

#include <rocksdb/file_system.h>
#include <rocksdb/slice_transform.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <mutex>
#include <sys/time.h>
#include <unistd.h>
#include <vector>

#include "timecontrol/storage/detail/format.hpp"
#include "timecontrol/storage/detail/testing.hpp"

namespace tc::detail {

namespace {

std::string_view view(const rocksdb::Slice& x) {
  return {x.data(), x.size()};
}

// Splits keys into runs that grow in order: all event keys ('e' + seq) form
// one run, and the posting keys of one source or type (everything before
// `first`) form one run each. RocksDB then inserts each key next to the last
// one of its run instead of searching the whole memtable for its place.
class ascending_runs final : public rocksdb::SliceTransform {
public:
  const char* Name() const override { return "timecontrol.ascending_runs"; }

  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return {key.data(), run_size(view(key))};
  }

  bool InDomain(const rocksdb::Slice& key) const override {
    return run_size(view(key)) > 0;
  }

private:
  static size_t run_size(std::string_view key) {
    if (key.size() < 9)
      return 0; // the meta key
    if (key.front() == format::event_tag)
      return key.size() == 9 ? 1 : 0;
    if (key.front() == format::snapshot_tag || key.front() == format::gap_tag)
      return 0;
    return key.size() - 8;
  }
};

// RocksDB's info log, written so that a failed write cannot trip an
// assertion: after one, nothing more is written.
class info_log final : public rocksdb::Logger {
public:
  explicit info_log(int fd) : fd_(fd) {}

  ~info_log() override {
    if (fd_ >= 0)
      ::close(fd_);
  }

  using rocksdb::Logger::Logv;

  void Logv(const char* format, va_list ap) override {
    if (failed_)
      return;
    char line[4096];
    struct timeval now {};
    ::gettimeofday(&now, nullptr);
    struct tm t {};
    ::localtime_r(&now.tv_sec, &t);
    auto n =
        std::snprintf(line, sizeof line, "%04d/%02d/%02d-%02d:%02d:%02d.%06ld ",
                      t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour,
                      t.tm_min, t.tm_sec, static_cast<long>(now.tv_usec));
    va_list copy;
    va_copy(copy, ap);
    auto m = std::vsnprintf(line + n, sizeof line - static_cast<size_t>(n) - 1,
                            format, copy);
    va_end(copy);
    size_t size = static_cast<size_t>(n) +
                  std::min<size_t>(m < 0 ? 0 : static_cast<size_t>(m),
                                   sizeof line - static_cast<size_t>(n) - 2);
    if (line[size - 1] != '\n')
      line[size++] = '\n';
    std::lock_guard guard{mutex_};
    if (failed_)
      return;
    if (::write(fd_, line, size) != static_cast<ssize_t>(size))
      failed_ = true;
  }

private:
  int fd_;
  std::mutex mutex_;
  bool failed_ = false;
};

std::mutex hook_mutex;
std::shared_ptr<rocksdb::FileSystem> test_file_system;
std::function<void(rocksdb::DBOptions&, rocksdb::ColumnFamilyOptions&)>
    test_tuning;

} // namespace

void set_file_system_for_testing(std::shared_ptr<rocksdb::FileSystem> fs) {
  std::lock_guard guard{hook_mutex};
  test_file_system = std::move(fs);
}

void set_rocksdb_options_for_testing(
    std::function<void(rocksdb::DBOptions&, rocksdb::ColumnFamilyOptions&)>
        tune) {
  std::lock_guard guard{hook_mutex};
  test_tuning = std::move(tune);
}

std::vector<rocksdb::ColumnFamilyDescriptor> rocksdb_setup::families() const {
  return {{rocksdb::kDefaultColumnFamilyName, family},
          {std::string{format::index_family}, family}};
}

std::shared_ptr<rocksdb::Logger> make_info_log(const std::string& dir,
                                               size_t keep) {
  namespace fs = std::filesystem;
  auto path = dir + "/LOG";
  std::error_code ec;
  if (fs::exists(path, ec)) {
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    fs::rename(path, path + ".old." + std::to_string(micros), ec);
    std::vector<std::string> old;
    for (auto& entry : fs::directory_iterator{dir, ec}) {
      auto name = entry.path().filename().string();
      if (name.starts_with("LOG.old."))
        old.push_back(name);
    }
    std::sort(old.begin(), old.end());
    for (size_t i = 0; i + keep < old.size(); ++i)
      fs::remove(dir + "/" + old[i], ec);
  }
  int fd =
      ::open(path.c_str(), O_CREAT | O_WRONLY | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0)
    return nullptr;
  return std::make_shared<info_log>(fd);
}

rocksdb_setup make_rocksdb_setup() {
  rocksdb_setup setup;
  auto& db = setup.db;
  db.IncreaseParallelism(2);
  db.max_background_jobs = 2;
  // The info log of each open before the last two goes (a writer that is
  // started again and again must not fill the disk with them).
  db.keep_log_file_num = 2;
  // RocksDB keeps a WAL file until every family has flushed past it. Both
  // families are written in every batch, but the index's memtable fills
  // more slowly, so without a cap the WAL grew to about 1 GiB before it
  // was flushed -- 440 MB after 10 million events, which every reader
  // replayed when it opened the log (2 s). The cap makes RocksDB flush the
  // family that holds the oldest WAL.
  db.max_total_wal_size = 128 << 20;
  // Our own group commit makes every RocksDB write single-threaded, which
  // lets the index family use its insert hints.
  db.allow_concurrent_memtable_write = false;
  // A damaged record in the WAL is damage: opening fails (the store then
  // says where). Only a last write a crash cut short is dropped, as it was
  // never acknowledged. The default (point in time) would instead treat
  // the damaged record as the end of the log and drop every later one.
  db.wal_recovery_mode =
      rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  // Every table file stays open while the log is: a writer's compaction
  // that deletes one cannot pull it from under a reader.
  db.max_open_files = -1;
  db.paranoid_checks = true;
  setup.family.memtable_insert_with_hint_prefix_extractor =
      std::make_shared<ascending_runs>();
  std::lock_guard guard{hook_mutex};
  if (test_file_system) {
    setup.env = rocksdb::NewCompositeEnv(test_file_system);
    db.env = setup.env.get();
  }
  if (test_tuning)
    test_tuning(db, setup.family);
  return setup;
}

} // namespace tc::detail
