// The RocksDB store: the default, embedded event log.
//
// Layout of the keys and of the files beside RocksDB's: see detail/format.hpp,
// detail/log_files.hpp and FORMAT.md. Appends go through a queue of waiting
// writers (LevelDB's DBImpl::Write scheme): the writer at the front becomes
// the leader, takes every batch queued behind it into one rocksdb::WriteBatch
// with the events' records and their index postings, writes it once (one
// fsync in sync mode) with the queue unlocked, then wakes the writers it
// served. Sequence numbers are assigned by the leader in queue order and
// become visible (last_seq) only after the write succeeded, so a failed write
// leaves no gap; before a leader hands out a number beyond the lease
// (TIMECONTROL-LEASE) it extends the lease, fsynced. After a failed write the
// store takes no more writes (RocksDB's writer of the WAL must not be used
// again once it failed; Debian's RocksDB asserts it).
//
// Opening: the folder is checked first (what it holds, the marker,
// a repair that did not finish), then every WAL file is read by our own
// reader (detail/wal_scan.hpp), which names the file, offset and events of
// damage RocksDB would refuse or, at the end of a file, silently drop; then
// RocksDB opens the log with kTolerateCorruptedTailRecords; then the header,
// the gaps a repair declared and the lease are read. A new log is built in a
// temporary folder beside its path and renamed into place, so that a crash
// leaves either no log or a whole one. A reader's open that races the writer
// deleting a file it was about to read, or changing the MANIFEST under it,
// is retried.
//
// Clean close: a writer whose writes all succeeded syncs its WAL when it is
// destroyed and, still holding RocksDB's lock, marks the lease clean at the
// last number the log holds; opening it for writing makes the lease not
// clean first. Every open compares a clean lease with what the log holds:
// less is damage (a cut or deleted WAL or table file), refused by every
// open and listed by verify. After an unclean stop (a lease not clean) a
// writer declares the numbers from the last held one up to the lease's high
// a gap (gap record, repaired_at 0) and numbers on past it: a torn tail
// cannot be told from a cut WAL, and a reader may have seen those numbers.
// A writer opens a database without a marker read-only first and goes on
// only if it finds the header: a foreign database is never modified.
//
// A follower (store_options::follow) is a RocksDB secondary instance: it
// reads the writer's MANIFEST and write-ahead log without a lock, and
// refresh() applies what they gained since (TryCatchUpWithPrimary). RocksDB
// applies each logged WriteBatch whole, and a batch holds a group's records
// with their postings, so a follower never sees part of a group.

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_reader.h>
#include <rocksdb/utilities/options_util.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_map>
#include <vector>

#include "timecontrol/core/coding.hpp"
#include "timecontrol/events/codec.hpp"
#include "timecontrol/storage/detail/damage.hpp"
#include "timecontrol/storage/detail/folder.hpp"
#include "timecontrol/storage/detail/format.hpp"
#include "timecontrol/storage/detail/log_files.hpp"
#include "timecontrol/storage/detail/replay_sink.hpp"
#include "timecontrol/storage/detail/rocksdb_setup.hpp"
#include "timecontrol/storage/detail/stores.hpp"
#include "timecontrol/storage/detail/wal_scan.hpp"

namespace tc::detail {

namespace {

namespace fs = std::filesystem;

/// The most events one leader puts into one write.
constexpr size_t max_group_events = 64 * 1024;

/// How often a reader opens again when the writer deleted a file it was
/// about to read.
constexpr int reader_open_attempts = 100;

/// How often a reader catches up until the writer deleted no file meanwhile.
constexpr int settle_attempts = 1000;

rocksdb::Slice slice(std::string_view x) {
  return {x.data(), x.size()};
}

std::string_view view(const rocksdb::Slice& x) {
  return {x.data(), x.size()};
}

std::string seq_text(seq_t first, seq_t last) {
  if (first == last)
    return "seq " + std::to_string(first);
  return "seq " + std::to_string(first) + ".." + std::to_string(last);
}

// Fails unless a file can be created in `dir`: the honest test of "writable"
// (permission bits say nothing to root, and a read-only mount hides behind
// them).
[[nodiscard]] caf::error check_writable(const std::string& dir) {
  auto probe = (fs::path{dir} / ".timecontrol-write-test").string();
  int fd = ::open(probe.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
  if (fd < 0)
    return make_error(errc::not_writable, dir + ": cannot write there (" +
                                              std::strerror(errno) + ")");
  ::close(fd);
  ::unlink(probe.c_str());
  return caf::none;
}

// What the folder tells of itself before RocksDB reads it.
struct identity {
  /// It has a sound TIMECONTROL marker.
  bool marker = false;
  /// It is a timecontrol log (marker, or RocksDB's files say so).
  bool ours = false;
};

// Left by a creation that an older version did not finish: RocksDB's files
// of a database with no data (no table file, no WAL with a write in it).
bool unfinished_creation(const std::string& path) {
  std::error_code ec;
  for (auto& entry : fs::directory_iterator{path, ec}) {
    auto name = entry.path().filename().string();
    if (name.ends_with(".sst"))
      return false;
  }
  for (auto& scan : scan_wal_files(path))
    if (scan.batches > 0 || !scan.damage.empty())
      return false;
  return true;
}

[[nodiscard]] caf::error interrupted_creation_error(const std::string& path) {
  return make_error(errc::not_a_log,
                    path + ": holds what an interrupted creation of a log by "
                           "an older timecontrol left (RocksDB files, no "
                           "events): remove the folder and create the log "
                           "again");
}

[[nodiscard]] caf::expected<identity> identify(const std::string& path) {
  identity result;
  if (exists(path + "/" + std::string{repair_flag_file}))
    return make_error(errc::corrupt_record,
                      path + ": a repair of this log did not finish (" +
                          std::string{repair_flag_file} +
                          " is there): repair it again");
  auto marker = read_small_file(path + "/" + std::string{marker_file});
  if (marker.exists) {
    if (!marker.error.empty())
      return make_error(errc::not_writable, path + "/" +
                                                std::string{marker_file} +
                                                ": " + marker.error);
    if (auto problem = check_marker(marker.content))
      return make_error(errc::corrupt_record,
                        path + ": damaged: the marker file " +
                            std::string{marker_file} + " (" + *problem + ")");
    result.marker = true;
    result.ours = true;
  } else {
    result.ours = rocksdb_files_say_ours(path);
  }
  if (!exists(path + "/CURRENT")) {
    if (result.marker)
      return make_error(errc::corrupt_record,
                        path + ": damaged: " + metadata_problem(path));
    if (result.ours) {
      if (unfinished_creation(path))
        return interrupted_creation_error(path);
      return make_error(errc::corrupt_record,
                        path + ": damaged: " + metadata_problem(path));
    }
    return make_error(errc::not_a_log,
                      path + ": the folder holds files but no timecontrol "
                             "log");
  }
  return result;
}

// -- creating a log -----------------------------------------------------------

// Removes the temporary folders of creations of `name` in `parent` whose
// creator is gone (their lock is free).
void remove_abandoned_creations(const fs::path& parent,
                                const std::string& name) {
  auto prefix = "." + name + ".creating-";
  std::error_code ec;
  for (auto& entry : fs::directory_iterator{parent, ec}) {
    auto file = entry.path().filename().string();
    if (!file.starts_with(prefix))
      continue;
    int fd = ::open(entry.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
      continue;
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
      std::error_code ec2;
      fs::remove_all(entry.path(), ec2);
    }
    ::close(fd);
  }
}

// Builds a new, empty log in `dir`: both column families, the header, the
// lease and, last, the marker.
[[nodiscard]] caf::error build_log(const std::string& dir) {
  auto setup = make_rocksdb_setup();
  setup.db.create_if_missing = true;
  setup.db.create_missing_column_families = true;
  setup.db.info_log = make_info_log(dir);
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  auto st = rocksdb::DB::Open(setup.db, dir, setup.families(), &handles, &db);
  if (!st.ok())
    return storage_error(dir, st);
  rocksdb::WriteOptions sync;
  sync.sync = true;
  st = db->Put(sync, slice(format::meta_key), format::meta_value());
  for (auto* handle : handles)
    db->DestroyColumnFamilyHandle(handle);
  auto closed = db->Close();
  delete db;
  if (!st.ok())
    return storage_error(dir, st);
  if (!closed.ok())
    return storage_error(dir, closed);
  // Closed cleanly, holding nothing: the first writer makes it not clean.
  if (auto err = write_file_atomically(dir, lease_file, encode_lease(0, true)))
    return err;
  return write_file_atomically(dir, marker_file, make_marker());
}

// Creates the log at `path` (missing, or an empty folder) whole or not at
// all: built in a temporary folder beside it, which is then renamed to
// `path`. A creation that another process finished first is not an error
// (the caller then opens what is there).
[[nodiscard]] caf::error create_log(const std::string& path) {
  fs::path target{path};
  if (!target.has_filename())
    target = target.parent_path();
  auto parent = target.parent_path();
  if (parent.empty())
    parent = ".";
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec)
    return make_error(errc::not_writable, path +
                                              ": cannot create the folder (" +
                                              ec.message() + ")");
  auto name = target.filename().string();
  remove_abandoned_creations(parent, name);
  // mkdir (not mkdtemp) so that the folder gets the umask's permissions.
  std::string temp;
  std::random_device entropy;
  for (int i = 0;; ++i) {
    char suffix[16];
    std::snprintf(suffix, sizeof suffix, "%08x", entropy());
    temp = (parent / ("." + name + ".creating-" + suffix)).string();
    if (::mkdir(temp.c_str(), 0777) == 0)
      break;
    if (errno != EEXIST || i == 100)
      return make_error(errc::not_writable, path +
                                                ": cannot create the folder (" +
                                                std::strerror(errno) + ")");
  }
  // Held until the log is in place: tells others this creation is alive.
  int lock = ::open(temp.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (lock >= 0)
    ::flock(lock, LOCK_EX);
  auto abandon = [&](caf::error err) {
    fs::remove_all(temp, ec);
    if (lock >= 0)
      ::close(lock);
    return err;
  };
  if (auto err = build_log(temp)) {
    // Name the path the user gave, not the temporary folder.
    auto text = context_of(err);
    if (auto at = text.find(temp); at != std::string::npos)
      text.replace(at, temp.size(), path);
    return abandon(make_error(static_cast<errc>(err.code()), std::move(text)));
  }
  // An empty folder that was there keeps its permissions and owner.
  struct stat old {};
  if (::stat(target.c_str(), &old) == 0 && S_ISDIR(old.st_mode)) {
    ::chmod(temp.c_str(), old.st_mode & 07777);
    [[maybe_unused]] auto ignored =
        ::chown(temp.c_str(), old.st_uid, old.st_gid);
  }
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    auto code = errno;
    if (code == ENOTEMPTY || code == EEXIST)
      return abandon(caf::none); // someone else's log (or files) got there
    if (code == EBUSY)
      return abandon(make_error(
          errc::not_writable,
          path + ": is a mount point; a log cannot be created atomically "
                 "there: create it in a folder inside it"));
    return abandon(make_error(errc::not_writable,
                              path + ": cannot move the new log into place (" +
                                  std::strerror(code) + ")"));
  }
  if (lock >= 0)
    ::close(lock);
  return sync_folder(parent.string());
}

// Checks the WAL files of `path` with our own reader; tells `problem` of
// each damaged stretch. A writer may delete files meanwhile: those are gone
// because their events are in table files.
size_t
check_wal_files(const std::string& path,
                const std::function<void(seq_t, const caf::error&)>& problem) {
  size_t found = 0;
  auto scans = scan_wal_files(path);
  seq_t before = 0;
  for (size_t i = 0; i < scans.size(); ++i) {
    auto& scan = scans[i];
    if (!scan.read_error.empty()) {
      ++found;
      problem(0, make_error(errc::corrupt_record,
                            path + ": write-ahead log " + scan.name +
                                " cannot be read (" + scan.read_error + ")"));
    }
    for (auto& d : scan.damage) {
      ++found;
      auto after = d.after;
      for (size_t j = i + 1; after == 0 && j < scans.size(); ++j)
        after = scans[j].first_event;
      auto prior = d.before != 0 ? d.before : before;
      problem(prior + 1, make_error(errc::corrupt_record,
                                    path + ": damaged: write-ahead log " +
                                        describe(scan.name, d, prior, after)));
    }
    before = std::max(before, scan.last_event);
  }
  return found;
}

// The OPTIONS-* files of `path` that do not parse, each with RocksDB's
// reason. RocksDB never reads them back: they do not affect the events.
std::vector<std::pair<std::string, std::string>>
damaged_options_files(const std::string& path, rocksdb::Env* env) {
  std::vector<std::pair<std::string, std::string>> result;
  std::vector<std::string> names;
  std::error_code ec;
  for (auto& entry : fs::directory_iterator{path, ec}) {
    auto name = entry.path().filename().string();
    if (name.starts_with("OPTIONS-") && !name.ends_with(".dbtmp"))
      names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  for (auto& name : names) {
    rocksdb::ConfigOptions config;
    config.ignore_unknown_options = false;
    config.ignore_unsupported_options = true;
    if (env != nullptr)
      config.env = env;
    rocksdb::DBOptions db_options;
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    auto st = rocksdb::LoadOptionsFromFile(config, path + "/" + name,
                                           &db_options, &families);
    if (vanished(st))
      continue; // a writer replaced it
    if (!st.ok())
      result.emplace_back(name, st.ToString());
  }
  return result;
}

// The marker, the lease and RocksDB's OPTIONS files of `path`. A damaged
// OPTIONS file is told to `problem` as a warning and not counted: it does
// not affect the events, and the next writer removes it.
size_t
check_own_files(const std::string& path, rocksdb::Env* env,
                const std::function<void(seq_t, const caf::error&)>& problem) {
  size_t found = 0;
  auto damaged = [&](const std::string& what) {
    ++found;
    problem(0, make_error(errc::corrupt_record, path + ": damaged: " + what));
  };
  auto marker = read_small_file(path + "/" + std::string{marker_file});
  if (marker.exists)
    if (auto why = check_marker(marker.content))
      damaged("the marker file " + std::string{marker_file} + " (" + *why +
              ")");
  auto lease = read_small_file(path + "/" + std::string{lease_file});
  if (lease.exists && !decode_lease(lease.content))
    damaged("the lease file " + std::string{lease_file} +
            " (checksum mismatch)");
  else if (!lease.exists && marker.exists)
    damaged("the lease file " + std::string{lease_file} + " is missing");
  for (auto& [name, why] : damaged_options_files(path, env))
    problem(0, make_error(errc::corrupt_record,
                          path +
                              ": warning, not counted as a problem: the "
                              "options file " +
                              name + " does not parse (" + why +
                              "); RocksDB never reads it back, it does not "
                              "affect the events, and the next writer "
                              "removes it"));
  return found;
}

// -- the store ----------------------------------------------------------------

class rocksdb_store final : public event_store {
public:
  /// How the store was opened.
  enum class access {
    write,
    /// store_options::read_only: appends and snapshots fail.
    read,
    /// store_options::follow: read, and refresh() catches up.
    follow,
  };

  /// Takes over `db`, opened at `path` with `setup` and the column families
  /// `handles` (default, index). `secondary_dir`: the own folder of a
  /// secondary instance (a reader beside a writer), removed with the store.
  rocksdb_store(std::string path, durability mode, access how,
                rocksdb_setup setup, std::unique_ptr<rocksdb::DB> db,
                std::vector<rocksdb::ColumnFamilyHandle*> handles,
                std::string secondary_dir = {})
      : path_(std::move(path)), mode_(mode), read_only_(how != access::write),
        follow_(how == access::follow),
        secondary_dir_(std::move(secondary_dir)), setup_(std::move(setup)),
        db_(std::move(db)), handles_(std::move(handles)),
        index_cf_(handles_.at(1)) {
    write_options_.sync = mode == durability::sync;
  }

  ~rocksdb_store() override {
    close_cleanly();
    // RocksDB's order: the column family handles before the database.
    for (auto* handle : handles_)
      db_->DestroyColumnFamilyHandle(handle);
    if (registered_)
      detail::register_writer(path_, false);
    // Safe after a failed write too: RocksDB closes a WAL writer that saw
    // an error without writing to it again.
    db_->Close().PermitUncheckedError();
    // Gone before its folder is (a secondary instance's info log is there).
    db_.reset();
    if (!secondary_dir_.empty()) {
      std::error_code ec;
      fs::remove_all(secondary_dir_, ec);
    }
  }

  /// Once the open succeeded: a writer whose open failed after it took the
  /// lease leaves the lease not clean.
  void mark_opened() { opened_ = true; }

  // Tells this process's readers that a writer has the log open.
  void register_writer() {
    detail::register_writer(path_, true);
    registered_ = true;
  }

  /// The secondary instance's own folder (readers beside a writer).
  const std::string& secondary_dir() const { return secondary_dir_; }

  // Catches up with the writer until a catch-up ran while the writer
  // deleted no WAL file: the view is then whole. (A WAL file the writer
  // deletes between the catch-up's reading of the MANIFEST and its listing
  // of the WAL files is skipped without an error, and its events would be
  // missing until the next catch-up; RocksDB documents calling it again.)
  [[nodiscard]] caf::error settle() {
    for (int attempt = 1;; ++attempt) {
      auto before = wal_files_in(path_);
      auto st = db_->TryCatchUpWithPrimary();
      auto after = wal_files_in(path_);
      std::set<std::string> now(after.begin(), after.end());
      bool deleted = std::any_of(before.begin(), before.end(),
                                 [&](auto& name) { return !now.count(name); });
      if (st.ok() && !deleted)
        return caf::none;
      if (!st.ok() && !vanished(st))
        return storage_error(path_, st, db_.get());
      if (attempt == settle_attempts)
        return make_error(errc::storage_failure,
                          path_ +
                              ": the log's writer deleted files under "
                              "every one of " +
                              std::to_string(settle_attempts) +
                              " catch-ups; try again");
    }
  }

  rocksdb::DB& db() { return *db_; }

  // The highest number the log holds: its last event or the end of a gap.
  seq_t highest_held() const {
    seq_t high = last_seq_.load();
    std::lock_guard guard{gaps_mutex_};
    for (auto& g : gaps_)
      high = std::max(high, g.last);
    return high;
  }

  // Damage if the lease says the log was closed cleanly at a number the log
  // no longer holds: its last writes are gone.
  // `found`: a number found elsewhere (intact WAL writes RocksDB did not
  // recover, which are reported as damage of their own).
  [[nodiscard]] caf::error clean_close_problem(const lease_state& lease,
                                               seq_t found = 0) const {
    auto held = std::max(highest_held(), found);
    if (!lease.clean || held >= lease.high)
      return caf::none;
    return make_error(errc::corrupt_record,
                      path_ + ": damaged: " + seq_text(held + 1, lease.high) +
                          " were written before the log was closed cleanly "
                          "and are missing (a truncated or deleted "
                          "write-ahead log or table file; " +
                          std::string{lease_file} +
                          " says the log ended at "
                          "seq " +
                          std::to_string(lease.high) + ")");
  }

  // Reads or writes the header, finds the newest sequence number, the gaps
  // and (for a writer) the lease; a writer adds the marker and lease to a
  // log of an older version and raises its header to store_version.
  [[nodiscard]] caf::error init(const identity& id) {
    bool older = false;
    std::string value;
    auto st = db_->Get({}, slice(format::meta_key), &value);
    if (st.IsNotFound()) {
      std::unique_ptr<rocksdb::Iterator> it{db_->NewIterator({})};
      it->SeekToFirst();
      if (it->Valid() || read_only_) {
        if (id.marker)
          return make_error(errc::corrupt_record,
                            path_ + ": damaged: the timecontrol header "
                                    "record is missing");
        return make_error(errc::not_a_log, path_ +
                                               ": a RocksDB database without a "
                                               "timecontrol header");
      }
      if (!it->status().ok())
        return storage_error(path_, it->status(), db_.get(), true);
      // An empty log whose creation an older version did not finish.
      rocksdb::WriteOptions sync;
      sync.sync = true;
      st = db_->Put(sync, slice(format::meta_key), format::meta_value());
      if (!st.ok())
        return storage_error(path_, st);
    } else if (!st.ok()) {
      return storage_error(path_, st, db_.get(), true);
    } else {
      auto version = format::parse_meta_value(value);
      if (!version) {
        if (id.marker)
          return make_error(errc::corrupt_record,
                            path_ + ": damaged: the timecontrol header "
                                    "record does not read");
        return make_error(errc::not_a_log,
                          path_ + ": the header is not a timecontrol header");
      }
      if (*version > format::store_version)
        return make_error(errc::newer_format,
                          path_ + ": log format version " +
                              std::to_string(*version) +
                              " is newer than this build reads (" +
                              std::to_string(format::store_version) + ")");
      older = *version < format::store_version;
    }
    auto last = find_last_seq();
    if (!last)
      return std::move(last.error());
    if (auto err = load_gaps())
      return err;
    last_seq_ = std::max(*last, highest_gap());
    if (read_only_)
      return caf::none;
    if (auto err = take_lease(id))
      return err;
    if (older) {
      // This build's writers use the newest format (the compact call
      // record): from now on older builds refuse the log.
      rocksdb::WriteOptions sync;
      sync.sync = true;
      st = db_->Put(sync, slice(format::meta_key),
                    format::meta_value(format::store_version));
      if (!st.ok())
        return storage_error(path_, st);
    }
    return caf::none;
  }

  // -- appending --------------------------------------------------------------

  using event_store::append;

  [[nodiscard]] caf::expected<seq_range>
  append(std::span<envelope> batch) override {
    if (read_only_)
      return make_error(errc::closed, path_ + ": opened read-only");
    if (batch.empty())
      return seq_range{};
    writer self{batch};
    std::unique_lock guard{queue_mutex_};
    writers_.push_back(&self);
    while (!self.done && writers_.front() != &self)
      self.wakeup.wait(guard);
    if (self.done) {
      if (self.err)
        return std::move(self.err);
      return self.range;
    }
    // This writer leads: take a group from the front of the queue.
    size_t group = 0;
    size_t events = 0;
    for (auto* w : writers_) {
      if (group > 0 && events + w->batch.size() > max_group_events)
        break;
      ++group;
      events += w->batch.size();
    }
    std::vector<writer*> members(writers_.begin(), writers_.begin() + group);
    auto first = last_seq_.load() + 1;
    caf::error err = failed_;
    guard.unlock();
    if (!err)
      err = extend_lease(first + events - 1);
    if (!err)
      err = write_group(members, first);
    guard.lock();
    if (!err) {
      last_seq_ = first + events - 1;
      stats_.appends += group;
      stats_.events += events;
      ++stats_.writes;
    } else if (!failed_) {
      failed_ = stopped(err);
    }
    auto next = first;
    for (auto* w : members) {
      if (err) {
        w->err = err;
        for (auto& x : w->batch)
          x.seq = 0;
      } else {
        w->range = {next, next + w->batch.size() - 1};
        next += w->batch.size();
      }
      writers_.pop_front();
      w->done = true;
      if (w != &self)
        w->wakeup.notify_one();
    }
    if (!writers_.empty())
      writers_.front()->wakeup.notify_one();
    if (self.err)
      return std::move(self.err);
    return self.range;
  }

  seq_t last_seq() const override { return last_seq_.load(); }

  [[nodiscard]] caf::expected<seq_t> refresh() override {
    if (!follow_)
      return last_seq_.load();
    std::lock_guard guard{refresh_mutex_};
    if (auto err = settle())
      return err;
    auto last = find_last_seq();
    if (!last)
      return last;
    if (auto err = load_gaps())
      return err;
    *last = std::max(*last, highest_gap());
    // The writer never takes events back; a smaller answer would be a
    // RocksDB bug, and the replays must not go backwards for it.
    if (*last > last_seq_.load())
      last_seq_ = *last;
    return last_seq_.load();
  }

  // -- replay -----------------------------------------------------------------

  [[nodiscard]] caf::error replay(const replay_query& query,
                                  replay_handler& handler) const override {
    replay_sink sink{query, handler};
    auto from = std::max<seq_t>(query.from, 1);
    auto to = std::min(query.to, last_seq_.load());
    if (from > to)
      return caf::none;
    if (query.source)
      replay_indexed(format::source_prefix(*query.source), from, to, sink);
    else if (query.type)
      replay_indexed(format::type_prefix(*query.type), from, to, sink);
    else
      replay_all(from, to, sink, {});
    return std::move(sink).result();
  }

  [[nodiscard]] caf::expected<envelope> get(seq_t seq) const override {
    if (auto g = gap_of(seq); g && g->repaired_at == 0)
      return make_error(errc::not_found,
                        path_ + ": no event with seq " + std::to_string(seq) +
                            ": reserved before an unclean stop (a writer "
                            "stopped without closing the log; the number may "
                            "have been handed out, but no event has it)");
    if (auto g = gap_of(seq))
      return make_error(errc::not_found,
                        path_ + ": no event with seq " + std::to_string(seq) +
                            (g->stored ? ": it was lost; the log was repaired "
                                         "at seq "
                                       : ": a repair skipped it (it may have "
                                         "been handed out, but no event has "
                                         "it); the log was repaired at seq ") +
                            std::to_string(g->repaired_at));
    return event_store::get(seq);
  }

  std::vector<repaired_loss> losses() const override {
    std::lock_guard guard{gaps_mutex_};
    std::vector<repaired_loss> result;
    for (auto& g : gaps_)
      result.push_back({g.first, g.last, g.stored, g.repaired_at});
    return result;
  }

  // -- verification -----------------------------------------------------------

  using event_store::verify;

  [[nodiscard]] caf::expected<size_t>
  verify(const std::function<void(seq_t, const caf::error&)>& problem,
         const progress_fn& progress) const override {
    size_t found = 0;
    auto report = [&](seq_t seq, std::string what) {
      ++found;
      auto where =
          seq != 0 ? "seq " + std::to_string(seq) + ": " : std::string{};
      problem(seq,
              make_error(errc::corrupt_record, path_ + ": " + where + what));
    };
    // 0. The files: every table file's blocks, the WAL, our own files.
    // Events in a damaged table file are reported with it, once. A writer
    // keeps its obsolete files while it checks them (a read-only instance
    // cannot; a file compacted away meanwhile is passed over).
    struct keep_files {
      rocksdb::DB* db;
      bool kept;
      explicit keep_files(rocksdb::DB* db)
          : db(db), kept(db->DisableFileDeletions().ok()) {}
      ~keep_files() {
        if (kept)
          db->EnableFileDeletions(false);
      }
    } keep{db_.get()};
    std::vector<std::pair<seq_t, seq_t>> unreadable;
    found += check_table_files(
        path_, *db_, [&](seq_t first, seq_t last, caf::error err) {
          if (first != 0)
            unreadable.emplace_back(first, last == 0 ? first : last);
          problem(first, err);
        });
    found += check_wal_files(path_, problem);
    found += check_own_files(path_, setup_.db.env, problem);
    auto is_unreadable = [&](seq_t seq) {
      for (auto& [first, last] : unreadable)
        if (seq >= first && seq <= last)
          return true;
      return false;
    };
    // 1. The records, and what the index must say of each. Progress: one
    // unit per record, then one per posting (each event has two).
    auto last = last_seq_.load();
    auto total = 3 * last;
    std::vector<uint32_t> source_of(last, UINT32_MAX); // by seq - 1
    std::vector<uint16_t> type_of(last, 0);
    // bit 0: named by the source index, 1: by the type index, 2: already
    // reported as damaged or missing, or declared lost (not checked
    // further).
    std::vector<uint8_t> indexed(last, 0);
    std::unordered_map<std::string, uint32_t> source_ids;
    struct collector : replay_handler {
      std::function<void(const envelope&)> on_event;
      std::function<void(seq_t, const caf::error&)> on_problem;
      bool event(const envelope& x) override {
        on_event(x);
        return true;
      }
      on_corrupt corrupt(seq_t seq, const caf::error& err) override {
        on_problem(seq, err);
        return on_corrupt::skip;
      }
    } records;
    records.on_event = [&](const envelope& x) {
      if (progress && x.seq % 4096 == 0)
        progress(x.seq, total);
      auto [i, added] = source_ids.emplace(
          x.source, static_cast<uint32_t>(source_ids.size()));
      source_of[x.seq - 1] = i->second;
      type_of[x.seq - 1] = static_cast<uint16_t>(x.type());
    };
    records.on_problem = [&](seq_t seq, const caf::error& err) {
      if (seq >= 1 && seq <= last)
        indexed[seq - 1] |= 4;
      if (is_unreadable(seq))
        return; // reported with its table file
      ++found;
      problem(seq, err);
    };
    for (auto& [first, lastu] : unreadable)
      for (auto seq = first; seq <= std::min(lastu, last); ++seq)
        indexed[seq - 1] |= 4;
    {
      std::lock_guard guard{gaps_mutex_};
      for (auto& g : gaps_)
        for (auto seq = g.first; seq <= std::min(g.last, last); ++seq)
          indexed[seq - 1] |= 4;
    }
    {
      replay_query all{.to = last}; // the sink keeps a reference to it
      replay_sink sink{all, records};
      replay_all(1, last, sink, unreadable);
      if (auto err = std::move(sink).result())
        return err;
    }
    // 2. The index entries, against the records.
    std::unique_ptr<rocksdb::Iterator> it{
        db_->NewIterator(scan_options(), index_cf_)};
    std::vector<seq_t> seqs;
    uint64_t checked = 0; // postings
    uint64_t reported = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      auto key = view(it->key());
      seqs.clear();
      if (!format::decode_postings(key, view(it->value()), seqs)) {
        report(0, "malformed index entry");
        continue;
      }
      checked += seqs.size();
      if (progress && checked - reported >= 4096) {
        reported = checked;
        progress(std::min(total, last + checked), total);
      }
      bool by_source = key.front() == format::source_tag;
      std::optional<uint32_t> source_id;
      uint16_t type = 0;
      auto rest = key.substr(1, key.size() - 9);
      if (by_source) {
        std::string_view source;
        if (!coding::get_string(rest, source) || !rest.empty()) {
          report(0, "malformed index key");
          continue;
        }
        if (auto i = source_ids.find(std::string{source});
            i != source_ids.end())
          source_id = i->second;
      } else if (!coding::get_fixed16_be(rest, type) || !rest.empty()) {
        report(0, "malformed index key");
        continue;
      }
      for (auto seq : seqs) {
        if (seq >= 1 && seq <= last && (indexed[seq - 1] & 4))
          continue; // its record was reported already, or declared lost
        if (seq == 0 || seq > last || source_of[seq - 1] == UINT32_MAX) {
          report(seq, "indexed but no record stored");
        } else if (by_source ? source_id != source_of[seq - 1]
                             : type != type_of[seq - 1]) {
          report(seq, std::string{"indexed under the wrong "} +
                          (by_source ? "source" : "type"));
        } else {
          indexed[seq - 1] |= by_source ? 1 : 2;
        }
      }
    }
    if (!it->status().ok()) {
      auto err = storage_error(path_, it->status(), db_.get());
      if (!is(err, errc::corrupt_record))
        return err;
      // A damaged table file of the index (reported above, or now): the
      // rest of the index cannot be read.
      if (unreadable.empty())
        ++found, problem(0, err);
      return found;
    }
    // 3. Records the index does not name.
    for (seq_t seq = 1; seq <= last; ++seq) {
      if (indexed[seq - 1] & 4)
        continue; // reported in step 1, or declared lost
      if (!(indexed[seq - 1] & 1))
        report(seq, "missing from the source index");
      if (!(indexed[seq - 1] & 2))
        report(seq, "missing from the type index");
    }
    // 4. The snapshots: each decodes, and covers no event past the end.
    std::unique_ptr<rocksdb::Iterator> saved{db_->NewIterator(scan_options())};
    auto first = format::snapshot_key("");
    for (saved->Seek(first); saved->Valid() && saved->key().starts_with(first);
         saved->Next()) {
      auto name = view(saved->key()).substr(first.size());
      auto x = format::decode_snapshot(name, view(saved->value()));
      if (!x && is(x.error(), errc::newer_format))
        // Written by a newer build: not damage, but not checked either.
        ++found, problem(0, make_error(errc::newer_format,
                                       path_ + ": " + context_of(x.error()) +
                                           "; not checked"));
      else if (!x)
        report(0, context_of(x.error()));
      else if (x->seq > last)
        report(0, "snapshot '" + std::string{name} + "' covers seq " +
                      std::to_string(x->seq) + " but the log ends at " +
                      std::to_string(last));
    }
    if (!saved->status().ok()) {
      auto err = storage_error(path_, saved->status(), db_.get());
      if (!is(err, errc::corrupt_record))
        return err;
      if (unreadable.empty())
        ++found, problem(0, err);
    }
    return found;
  }

  // -- snapshots --------------------------------------------------------------

  [[nodiscard]] caf::error save_snapshot(std::string_view name, seq_t seq,
                                         std::string_view state) override {
    if (read_only_)
      return make_error(errc::closed, path_ + ": opened read-only");
    if (seq > last_seq_.load())
      return make_error(errc::bad_config,
                        path_ + ": snapshot '" + std::string{name} +
                            "' covers seq " + std::to_string(seq) +
                            " but the log ends at " +
                            std::to_string(last_seq_.load()));
    auto record = format::encode_snapshot(snapshot{seq, std::string{state}});
    // One write at a time with the appends: after a failed one, none.
    std::unique_lock guard{queue_mutex_};
    if (failed_)
      return failed_;
    guard.unlock();
    auto st = db_->Put(write_options_, format::snapshot_key(name), record);
    if (!st.ok()) {
      auto err = storage_error(path_, st);
      guard.lock();
      if (!failed_)
        failed_ = stopped(err);
      return err;
    }
    return caf::none;
  }

  [[nodiscard]] caf::expected<std::optional<snapshot>>
  load_snapshot(std::string_view name) const override {
    std::string value;
    auto st = db_->Get({}, format::snapshot_key(name), &value);
    if (st.IsNotFound())
      return std::optional<snapshot>{};
    if (!st.ok())
      return storage_error(path_, st, db_.get());
    auto result = format::decode_snapshot(name, value);
    if (!result)
      return make_error(static_cast<errc>(result.error().code()),
                        path_ + ": " + context_of(result.error()));
    return std::optional<snapshot>{std::move(*result)};
  }

  durability mode() const noexcept override { return mode_; }

  store_stats stats() const override {
    std::lock_guard guard{queue_mutex_};
    return stats_;
  }

  const std::string& path() const noexcept override { return path_; }

private:
  // The leader's working space, kept from group to group so that a write
  // allocates nothing in the steady state.
  struct group_scratch {
    struct string_hash {
      using is_transparent = void;
      size_t operator()(std::string_view x) const noexcept {
        return std::hash<std::string_view>{}(x);
      }
    };
    using source_map = std::unordered_map<std::string, std::vector<seq_t>,
                                          string_hash, std::equal_to<>>;

    rocksdb::WriteBatch batch;
    std::string record;
    std::string key;
    // Every source seen lately, with the postings of the current group.
    source_map sources;
    // The sources of the current group, in first-seen order.
    std::vector<source_map::value_type*> touched;
    // The types of the current group (few; searched linearly).
    std::vector<std::pair<event_type, std::vector<seq_t>>> types;

    std::vector<seq_t>& postings_of(std::string_view source) {
      auto i = sources.find(source);
      if (i == sources.end())
        i = sources.emplace(std::string{source}, std::vector<seq_t>{}).first;
      if (i->second.empty())
        touched.push_back(&*i);
      return i->second;
    }

    std::vector<seq_t>& postings_of(event_type type) {
      for (auto& [t, seqs] : types)
        if (t == type)
          return seqs;
      return types.emplace_back(type, std::vector<seq_t>{}).second;
    }

    // Empties the postings for the next group; drops the map when it grew
    // large (many distinct sources), so memory stays bounded.
    void forget_sources_if_many() {
      if (sources.size() > 4096) {
        sources.clear();
        return;
      }
      for (auto* entry : touched)
        entry->second.clear();
    }
  };

  struct writer {
    explicit writer(std::span<envelope> batch) : batch(batch) {}
    std::span<envelope> batch;
    caf::error err;
    seq_range range;
    bool done = false;
    std::condition_variable wakeup;
  };

  // The error every write gets after the first failed one.
  [[nodiscard]] caf::error stopped(const caf::error& first) const {
    return make_error(errc::storage_failure,
                      path_ +
                          ": the log takes no more writes after a failed "
                          "write (" +
                          context_of(first) + ")");
  }

  // Reads the lease and makes it not clean before any number is handed
  // out (or writes one for a log of an older version, and adds the marker
  // such a log lacks). A clean lease above what the log holds is damage. A
  // lease that is not clean (the last writer stopped without closing the
  // log) may cover numbers that were handed out and lost with a torn or cut
  // write-ahead log: they are declared a gap and numbering goes on past
  // them, so that none of them ever names another event.
  [[nodiscard]] caf::error take_lease(const identity& id) {
    auto file = read_small_file(path_ + "/" + std::string{lease_file});
    seq_t high = highest_held();
    if (file.exists) {
      if (!file.error.empty())
        return make_error(errc::not_writable, path_ + "/" +
                                                  std::string{lease_file} +
                                                  ": " + file.error);
      auto lease = decode_lease(file.content);
      if (!lease)
        return make_error(errc::corrupt_record,
                          path_ + ": damaged: the lease file " +
                              std::string{lease_file} +
                              " (checksum mismatch): without it a writer "
                              "cannot know which sequence numbers were "
                              "handed out");
      if (auto err = clean_close_problem(*lease))
        return err;
      if (!lease->clean && lease->high > high) {
        if (auto err = declare_reserved(high + 1, lease->high))
          return err;
        high = lease->high;
      }
    } else if (id.marker) {
      return make_error(errc::corrupt_record,
                        path_ + ": damaged: the lease file " +
                            std::string{lease_file} + " is missing");
    }
    // Not clean from here on, and covering what an older writer may have
    // appended beyond its lease.
    lease_ = 0;
    if (auto err = extend_lease(high))
      return err;
    lease_taken_ = true;
    if (!id.marker)
      return write_file_atomically(path_, marker_file, make_marker());
    return caf::none;
  }

  // Declares `first`..`last` a gap: numbers a writer reserved (the lease)
  // before an unclean stop, which may have been handed out. One synced
  // write with the header of store version 2 (gap records need it).
  [[nodiscard]] caf::error declare_reserved(seq_t first, seq_t last) {
    rocksdb::WriteBatch batch;
    batch.Put(slice(format::gap_key(first)),
              format::encode_gap({first, last, false, 0}));
    batch.Put(slice(format::meta_key),
              format::meta_value(format::store_version));
    rocksdb::WriteOptions sync;
    sync.sync = true;
    auto st = db_->Write(sync, &batch);
    if (!st.ok())
      return storage_error(path_, st);
    if (auto err = load_gaps())
      return err;
    last_seq_ = std::max(last_seq_.load(), last);
    return caf::none;
  }

  // A writer that took the lease and whose writes all succeeded: its WAL
  // synced, the lease says the log was closed cleanly at its last number.
  // Runs while RocksDB's lock is still held (no other writer can have made
  // the lease not clean meanwhile).
  void close_cleanly() {
    if (read_only_ || !lease_taken_ || !opened_ || failed_)
      return;
    if (!db_->FlushWAL(true).ok())
      return;
    [[maybe_unused]] auto ignored = write_file_atomically(
        path_, lease_file, encode_lease(highest_held(), true));
  }

  // Makes the lease cover `seq` before it is handed out. Only the leader
  // (or init) calls this.
  [[nodiscard]] caf::error extend_lease(seq_t seq) {
    if (lease_ != 0 && seq <= lease_)
      return caf::none;
    auto high = seq + lease_step;
    if (auto err = write_file_atomically(path_, lease_file, encode_lease(high)))
      return err;
    lease_ = high;
    return caf::none;
  }

  [[nodiscard]] caf::error load_gaps() {
    std::vector<format::gap> found;
    std::unique_ptr<rocksdb::Iterator> it{db_->NewIterator({})};
    auto prefix = std::string(1, format::gap_tag);
    for (it->Seek(prefix); it->Valid() && view(it->key()).starts_with(prefix);
         it->Next()) {
      auto g = format::decode_gap(view(it->key()), view(it->value()));
      if (!g)
        return make_error(static_cast<errc>(g.error().code()),
                          path_ + ": " + context_of(g.error()));
      found.push_back(*g);
    }
    if (!it->status().ok())
      return storage_error(path_, it->status(), db_.get(), true);
    std::lock_guard guard{gaps_mutex_};
    gaps_ = std::move(found);
    return caf::none;
  }

  // The end of the last gap (0 if there is none).
  seq_t highest_gap() const {
    std::lock_guard guard{gaps_mutex_};
    seq_t high = 0;
    for (auto& g : gaps_)
      high = std::max(high, g.last);
    return high;
  }

  // The gap that holds `seq`, if any.
  std::optional<format::gap> gap_of(seq_t seq) const {
    std::lock_guard guard{gaps_mutex_};
    for (auto& g : gaps_)
      if (seq >= g.first && seq <= g.last)
        return g;
    return std::nullopt;
  }

  // Writes the records and postings of a group in one WriteBatch. Runs
  // without the queue lock: only the leader touches the members' batches and
  // the scratch space.
  [[nodiscard]] caf::error write_group(const std::vector<writer*>& members,
                                       seq_t first) {
    auto& g = scratch_;
    g.batch.Clear();
    g.touched.clear();
    g.types.clear();
    auto seq = first;
    for (auto* w : members) {
      for (auto& x : w->batch) {
        x.seq = seq++;
        g.record.clear();
        codec::encode(x, g.record);
        g.key.clear();
        format::append_event_key(g.key, x.seq);
        g.batch.Put(g.key, g.record);
        g.postings_of(x.source).push_back(x.seq);
        g.postings_of(x.type()).push_back(x.seq);
      }
    }
    auto put_postings = [&](const std::vector<seq_t>& seqs) {
      coding::put_fixed64_be(g.key, seqs.front());
      g.record.clear();
      format::encode_postings(seqs, g.record);
      g.batch.Put(index_cf_, g.key, g.record);
    };
    for (auto* entry : g.touched) {
      g.key.clear();
      format::append_source_prefix(g.key, entry->first);
      put_postings(entry->second);
    }
    for (auto& [type, seqs] : g.types) {
      g.key.clear();
      format::append_type_prefix(g.key, type);
      put_postings(seqs);
    }
    g.forget_sources_if_many();
    auto st = db_->Write(write_options_, &g.batch);
    if (!st.ok())
      return storage_error(path_, st);
    return caf::none;
  }

  // The highest event key's sequence number (0 if there is none).
  [[nodiscard]] caf::expected<seq_t> find_last_seq() const {
    std::unique_ptr<rocksdb::Iterator> it{db_->NewIterator({})};
    it->SeekForPrev(std::string(1, format::event_tag + 1));
    seq_t last = 0;
    if (it->Valid())
      if (auto seq = format::parse_event_key(view(it->key())))
        last = *seq;
    if (!it->status().ok())
      return storage_error(path_, it->status(), db_.get(), true);
    return last;
  }

  rocksdb::ReadOptions scan_options() const {
    rocksdb::ReadOptions options;
    options.readahead_size = 2 * 1024 * 1024;
    options.fill_cache = false;
    return options;
  }

  // Where the events a failed read could not reach end: the last event of
  // the damaged table file the error names (0 if not known).
  seq_t unreadable_until(const caf::error& err) const {
    auto text = context_of(err);
    auto at = text.find("table file ");
    if (at == std::string::npos)
      return 0;
    auto name = text.substr(at + 11);
    name = name.substr(0, name.find_first_of(" :;"));
    seq_t first = 0;
    seq_t last = 0;
    table_coverage(path_, name, db_.get(), &first, &last);
    return last;
  }

  // Visits every record from `from` to `to`, reporting holes (but not those
  // a repair declared, nor those in `skip`, which were reported already).
  // A damaged table file is reported at the first event it should give
  // (naming the file, offset and the events it holds); a handler that
  // skips it goes on after its last event.
  void replay_all(seq_t from, seq_t to, replay_sink& sink,
                  const std::vector<std::pair<seq_t, seq_t>>& skip) const {
    auto options = scan_options();
    auto upper = format::event_key(to + 1);
    if (to == std::numeric_limits<seq_t>::max())
      upper = std::string(1, format::event_tag + 1);
    rocksdb::Slice upper_slice{upper};
    options.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it{db_->NewIterator(options)};
    auto expected = from;
    // Reports the holes before `seq`; false if the replay ends.
    auto holes_before = [&](seq_t seq) {
      while (expected < seq) {
        if (auto g = gap_of(expected)) {
          expected = g->last + 1;
          continue;
        }
        bool skipped = false;
        for (auto& [first, last] : skip)
          if (expected >= first && expected <= last) {
            expected = last + 1;
            skipped = true;
          }
        if (skipped)
          continue;
        if (!sink.missing(expected, "record missing"))
          return false;
        ++expected;
      }
      return true;
    };
    it->Seek(format::event_key(from));
    for (;;) {
      for (; it->Valid(); it->Next()) {
        auto seq = format::parse_event_key(view(it->key()));
        if (!seq) {
          sink.fail(make_error(errc::corrupt_record,
                               path_ + ": malformed event key after seq " +
                                   std::to_string(expected - 1)));
          return;
        }
        if (!holes_before(*seq))
          return;
        expected = *seq + 1;
        if (!sink.record(*seq, view(it->value())))
          return;
      }
      if (it->status().ok())
        break;
      auto err = storage_error(path_, it->status(), db_.get());
      if (!is(err, errc::corrupt_record)) {
        sink.fail(std::move(err));
        return;
      }
      auto until = unreadable_until(err);
      bool reported = false;
      for (auto& [first, last] : skip)
        if (expected >= first && expected <= last)
          reported = true;
      if (!reported && !sink.problem(expected, err))
        return;
      if (until < expected || until >= to)
        return; // nothing readable after it is known
      expected = until + 1;
      it.reset(db_->NewIterator(options));
      it->Seek(format::event_key(expected));
    }
    holes_before(to + 1);
  }

  // Visits the records that the posting lists under `prefix` name.
  // How far replay_indexed steps through the records before it seeks.
  static constexpr int dense_steps = 8;

  void replay_indexed(const std::string& prefix, seq_t from, seq_t to,
                      replay_sink& sink) const {
    auto options = scan_options();
    std::unique_ptr<rocksdb::Iterator> index{
        db_->NewIterator(options, index_cf_)};
    std::unique_ptr<rocksdb::Iterator> events{db_->NewIterator(options)};
    // The list that holds `from` may start before it.
    index->SeekForPrev(format::posting_key(prefix, from));
    if (!index->Valid() || !view(index->key()).starts_with(prefix))
      index->Seek(prefix);
    std::vector<seq_t> seqs;
    for (; index->Valid() && view(index->key()).starts_with(prefix);
         index->Next()) {
      seqs.clear();
      if (!format::decode_postings(view(index->key()), view(index->value()),
                                   seqs)) {
        if (!sink.problem(0, make_error(errc::corrupt_record,
                                        path_ + ": malformed index entry")))
          return;
        continue;
      }
      for (auto seq : seqs) {
        if (seq < from)
          continue;
        if (seq > to)
          return;
        auto key = format::event_key(seq);
        // A source that owns most of the log has its records next to each
        // other: a few steps forward cost far less than a seek. The
        // iterator stands on the first key at or after the previous seq,
        // so stepping to the first key at or after this one lands where a
        // seek would.
        int steps = 0;
        while (events->Valid() && view(events->key()) < key &&
               steps++ < dense_steps)
          events->Next();
        if (!events->Valid() || view(events->key()) < key)
          events->Seek(key);
        if (!events->Valid() || view(events->key()) != key) {
          if (!events->status().ok()) {
            auto err = storage_error(path_, events->status(), db_.get());
            if (!is(err, errc::corrupt_record)) {
              sink.fail(std::move(err));
              return;
            }
            if (!sink.problem(seq, std::move(err)))
              return;
            events.reset(db_->NewIterator(options));
            continue;
          }
          if (gap_of(seq))
            continue;
          if (!sink.missing(seq, "indexed but no record stored"))
            return;
          continue;
        }
        if (!sink.record(seq, view(events->value())))
          return;
      }
    }
    if (!index->status().ok())
      sink.fail(storage_error(path_, index->status(), db_.get()));
  }

  std::string path_;
  durability mode_;
  const bool read_only_; // opened with store_options::read_only or ::follow
  const bool follow_;    // opened with store_options::follow
  std::string secondary_dir_;
  bool opened_ = false;
  rocksdb_setup setup_; // outlives db_ (it may hold its Env)
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_; // default, index
  rocksdb::ColumnFamilyHandle* index_cf_;
  rocksdb::WriteOptions write_options_;
  std::atomic<seq_t> last_seq_{0};
  seq_t lease_ = 0;                // the leader's (and init's) only
  bool lease_taken_ = false;       // a writer whose lease is not clean
  std::mutex refresh_mutex_;       // one catch-up at a time
  mutable std::mutex queue_mutex_; // guards writers_, stats_ and failed_
  std::deque<writer*> writers_;
  store_stats stats_;
  caf::error failed_;     // set at the first failed write
  group_scratch scratch_; // the leader's only
  mutable std::mutex gaps_mutex_;
  std::vector<format::gap> gaps_;
  bool registered_ = false; // in writers_here
};

// A fresh folder for a follower's own files.
[[nodiscard]] caf::expected<std::string>
make_secondary_dir(const std::string& path) {
  std::error_code ec;
  auto base = fs::temp_directory_path(ec);
  if (ec)
    return make_error(
        errc::not_writable,
        path + ": no temporary folder for a reader's own files (beside the " +
            "log's writer a reader keeps RocksDB's info log in a folder of " +
            "its own there): TMPDIR=" +
            (std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "(unset)") + ": " +
            ec.message() + "; set TMPDIR to a writable folder");
  auto pattern = (base / "timecontrol-follow-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr)
    return make_error(errc::not_writable,
                      path + ": cannot create a reader's own folder " +
                          pattern + " (" + std::strerror(errno) +
                          "; set TMPDIR to a writable folder)");
  return pattern;
}

size_t check_table_files_in(
    const std::string& path,
    const std::function<void(seq_t, const caf::error&)>& problem);

// One attempt at opening an existing log. `raced`: it failed because the
// writer changed the log meanwhile (a reader tries again).
struct attempt {
  std::unique_ptr<rocksdb_store> store;
  caf::error err;
  bool raced = false;
};

// The first damage our own WAL reader finds, as the error that refuses the
// log; none if every WAL file reads (up to a torn tail). Sets `wal_last` to
// the largest event seq of the intact writes.
[[nodiscard]] caf::error check_wal(const std::string& path, seq_t& wal_last) {
  auto scans = scan_wal_files(path);
  std::vector<std::string> found;
  seq_t before = 0;
  for (size_t i = 0; i < scans.size(); ++i) {
    auto& scan = scans[i];
    if (!scan.read_error.empty())
      return make_error(errc::storage_failure,
                        path + ": write-ahead log " + scan.name +
                            " cannot be read (" + scan.read_error + ")");
    for (auto& d : scan.damage) {
      auto after = d.after;
      for (size_t j = i + 1; after == 0 && j < scans.size(); ++j)
        after = scans[j].first_event;
      found.push_back(
          describe(scan.name, d, d.before != 0 ? d.before : before, after));
    }
    before = std::max(before, scan.last_event);
    wal_last = std::max(wal_last, scan.last_event);
  }
  if (found.empty())
    return caf::none;
  auto text = path + ": damaged: write-ahead log " + found.front();
  if (found.size() > 1)
    text += " (and " + std::to_string(found.size() - 1) +
            " more damaged stretches)";
  return make_error(errc::corrupt_record, std::move(text));
}

// For a writer's open of a database without a marker: whether it is a
// timecontrol log, found out by a read-only look at its header, so that a
// foreign database is never modified (a writer's open replays its
// write-ahead log into a new table file, writes a new MANIFEST and OPTIONS
// file and starts a new info log). Only a sound header, or the options of
// an older timecontrol in its files, lets the writer open it.
[[nodiscard]] caf::error check_header_read_only(const std::string& path,
                                                const identity& id) {
  if (id.ours)
    return caf::none; // an older log: the writer's open says what is wrong
  auto setup = make_rocksdb_setup();
  setup.db.create_if_missing = false;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  auto st = rocksdb::DB::OpenForReadOnly(setup.db, path, setup.families(),
                                         &handles, &db);
  if (!st.ok())
    return make_error(errc::not_a_log,
                      path +
                          ": a RocksDB database that is not a timecontrol "
                          "log (" +
                          st.ToString() + ")");
  std::string value;
  st = db->Get({}, slice(format::meta_key), &value);
  bool header = st.ok() && format::parse_meta_value(value).has_value();
  for (auto* handle : handles)
    db->DestroyColumnFamilyHandle(handle);
  delete db;
  if (header)
    return caf::none;
  return make_error(errc::not_a_log, path + ": a RocksDB database without a "
                                            "timecontrol header");
}

attempt open_once(const std::string& path, const store_options& options,
                  const identity& id) {
  attempt result;
  // A reader reads the lease before RocksDB's files: a writer that opens
  // and closes the log meanwhile only adds to what a clean lease covers.
  std::optional<lease_state> lease;
  if (options.read_only)
    lease = decode_lease(
        read_small_file(path + "/" + std::string{lease_file}).content);
  seq_t wal_last = 0;
  if (auto err = check_wal(path, wal_last)) {
    result.err = std::move(err);
    return result;
  }
  if (id.ours) {
    if (auto problem = metadata_problem(path); !problem.empty()) {
      // A writer starting a new MANIFEST deletes the old one after CURRENT
      // names the new: a reader may meet that.
      result.raced =
          options.read_only && problem.find("missing") != std::string::npos;
      result.err =
          make_error(errc::corrupt_record, path + ": damaged: " + problem);
      return result;
    }
  }
  auto setup = make_rocksdb_setup();
  setup.db.create_if_missing = false;
  // A database that exists must already have the index family: a foreign
  // RocksDB database is refused, never extended.
  std::vector<std::string> families;
  auto st = rocksdb::DB::ListColumnFamilies(setup.db, path, &families);
  if (!st.ok()) {
    if (options.read_only && vanished(st)) {
      result.raced = true;
      result.err = storage_error(path, st, nullptr, true);
    } else if (id.ours) {
      result.err = storage_error(path, st, nullptr, true);
      if (!is(result.err, errc::corrupt_record) &&
          !is(result.err, errc::locked) && !is(result.err, errc::not_writable))
        result.err = make_error(errc::corrupt_record,
                                path + ": damaged: " + metadata_problem(path) +
                                    ": " + st.ToString());
    } else {
      result.err =
          make_error(errc::not_a_log, path +
                                          ": a RocksDB database that is not a "
                                          "timecontrol log, or no database (" +
                                          st.ToString() + ")");
    }
    return result;
  }
  if (std::find(families.begin(), families.end(), format::index_family) ==
      families.end()) {
    if (id.marker)
      result.err = make_error(errc::corrupt_record,
                              path + ": damaged: the MANIFEST lists no index "
                                     "column family");
    else if (id.ours && families.size() == 1 && unfinished_creation(path))
      result.err = interrupted_creation_error(path);
    else
      result.err =
          make_error(errc::not_a_log, path + ": a RocksDB database without a "
                                             "timecontrol header");
    return result;
  }
  if (!options.read_only && !id.marker)
    if (auto err = check_header_read_only(path, id)) {
      result.err = std::move(err);
      return result;
    }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  std::string secondary_dir;
  // A reader of a log no writer has open opens it read-only: that open
  // fails on a file the metadata names that is missing or damaged, where a
  // secondary instance would silently show an older state. Beside a writer
  // RocksDB leaves a read-only instance undefined (its open lists WAL files
  // and then opens them, and the writer may delete one in between: the
  // open fails, or the view has a hole) and documents the secondary for
  // that; a follower is one anyway. A follower of a log without a writer is
  // first checked with a read-only open.
  bool beside_writer = options.read_only && writer_active(path);
  if (options.read_only && !beside_writer) {
    st = rocksdb::DB::OpenForReadOnly(setup.db, path, setup.families(),
                                      &handles, &db);
    if (st.ok() && (options.follow || writer_active(path))) {
      // Checked (a follower), or a writer started meanwhile.
      for (auto* handle : handles)
        db->DestroyColumnFamilyHandle(handle);
      delete db;
      db = nullptr;
      handles.clear();
      beside_writer = true;
    }
  }
  if (beside_writer && st.ok()) {
    auto dir = make_secondary_dir(path);
    if (!dir) {
      result.err = std::move(dir.error());
      return result;
    }
    secondary_dir = std::move(*dir);
    setup.db.info_log = make_info_log(secondary_dir);
    st = rocksdb::DB::OpenAsSecondary(setup.db, path, secondary_dir,
                                      setup.families(), &handles, &db);
    if (!st.ok()) {
      std::error_code ec;
      fs::remove_all(secondary_dir, ec);
    }
  } else if (!options.read_only) {
    setup.db.info_log = make_info_log(path, setup.db.keep_log_file_num);
    st = rocksdb::DB::Open(setup.db, path, setup.families(), &handles, &db);
  }
  if (!st.ok()) {
    result.raced = options.read_only && vanished(st);
    result.err = storage_error(path, st, nullptr, true);
    if (is(result.err, errc::corrupt_record) &&
        context_of(result.err).find("MANIFEST") != std::string::npos)
      // RocksDB names the MANIFEST for a table file it could not open
      // while reading it: name the table file if one is damaged.
      check_table_files_in(path, [&](seq_t, const caf::error& err) {
        result.err = err;
        return false;
      });
    return result;
  }
  auto how = options.follow      ? rocksdb_store::access::follow
             : options.read_only ? rocksdb_store::access::read
                                 : rocksdb_store::access::write;
  auto store = std::make_unique<rocksdb_store>(
      path, options.mode, how, std::move(setup),
      std::unique_ptr<rocksdb::DB>{db}, std::move(handles),
      std::move(secondary_dir));
  // A repair that started after this open looked for its flag: RocksDB's
  // lock (writers) or the files it read may belong to a half-done repair.
  if (exists(path + "/" + std::string{repair_flag_file})) {
    result.err = make_error(errc::corrupt_record,
                            path +
                                ": a repair of this log is running or did "
                                "not finish (" +
                                std::string{repair_flag_file} + " is there)");
    return result;
  }
  if (!options.read_only)
    store->register_writer();
  if (!store->secondary_dir().empty()) {
    if (auto err = store->settle()) {
      result.err = std::move(err);
      return result;
    }
  }
  if (auto err = store->init(id)) {
    result.err = std::move(err);
    return result;
  }
  if (lease) {
    if (auto err = store->clean_close_problem(*lease)) {
      result.err = std::move(err);
      return result;
    }
  }
  if (!options.read_only) {
    // RocksDB never reads OPTIONS files back and just wrote a new one: one
    // that does not parse goes.
    std::error_code ec;
    for (auto& [name, why] : damaged_options_files(path, store->db().GetEnv()))
      fs::remove(fs::path{path} / name, ec);
  }
  if (store->last_seq() < wal_last) {
    // What RocksDB recovered ends before writes our reader found intact.
    result.raced = options.read_only;
    result.err = make_error(errc::corrupt_record,
                            path +
                                ": damaged: RocksDB recovered the log up to "
                                "seq " +
                                std::to_string(store->last_seq()) +
                                ", but its write-ahead log holds intact "
                                "events up to seq " +
                                std::to_string(wal_last));
    return result;
  }
  store->mark_opened();
  result.store = std::move(store);
  return result;
}

} // namespace

namespace {

// Every table file in the folder, for a log whose metadata does not read
// (so that which events a file holds is not known from it): a damaged file
// is said to hold the events that no readable table file or WAL write
// holds.
size_t check_table_files_in(
    const std::string& path,
    const std::function<void(seq_t, const caf::error&)>& problem) {
  std::vector<std::string> names;
  std::error_code ec;
  for (auto& entry : fs::directory_iterator{path, ec}) {
    auto name = entry.path().filename().string();
    if (name.ends_with(".sst"))
      names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  std::vector<std::pair<std::string, rocksdb::Status>> damaged;
  std::vector<std::pair<seq_t, seq_t>> readable;
  for (auto& name : names) {
    rocksdb::Options options;
    rocksdb::SstFileReader reader{options};
    auto st = reader.Open(path + "/" + name);
    if (st.ok())
      st = reader.VerifyChecksum();
    if (!st.ok()) {
      damaged.emplace_back(name, st);
      continue;
    }
    seq_t first = 0;
    seq_t last = 0;
    table_coverage(path, name, nullptr, &first, &last);
    if (first != 0 && last != 0)
      readable.emplace_back(first, last);
  }
  if (damaged.empty())
    return 0;
  scan_wal_files(path, [&](const wal_batch& batch, std::string_view) {
    if (batch.first_event != 0)
      readable.emplace_back(batch.first_event, batch.last_event);
  });
  std::sort(readable.begin(), readable.end());
  // The holes between what reads.
  std::string holes;
  seq_t next = 1;
  seq_t first_hole = 0;
  for (auto& [first, last] : readable) {
    if (first > next) {
      holes += (holes.empty() ? "" : ", ") + seq_text(next, first - 1);
      first_hole = first_hole == 0 ? next : first_hole;
    }
    next = std::max(next, last + 1);
  }
  std::string holds;
  if (!holes.empty())
    holds = "the events no readable file holds are " + holes +
            (damaged.size() > 1 ? " (in it or another damaged file)" : "");
  else if (next > 1)
    holds = "the readable files hold every event up to seq " +
            std::to_string(next - 1) + ", so it seems to hold none of them";
  else
    holds = "the events it holds are not known";
  for (auto& [name, st] : damaged)
    problem(first_hole, make_error(errc::corrupt_record,
                                   path + ": damaged: table file " + name +
                                       ": " + st.ToString() + "; " + holds));
  return damaged.size();
}

} // namespace

caf::expected<size_t> diagnose_rocksdb_log(
    const std::string& path,
    const std::function<void(seq_t, const caf::error&)>& problem) {
  auto kind = look_at(path);
  if (!kind)
    return std::move(kind.error());
  if (*kind == folder_kind::missing || *kind == folder_kind::empty)
    return make_error(errc::not_found, path + ": no log there");
  if (*kind == folder_kind::file)
    return make_error(errc::not_a_log,
                      path + ": is a file, not a timecontrol log folder");
  size_t found = 0;
  auto report = [&](seq_t seq, caf::error err) {
    ++found;
    problem(seq, err);
  };
  identity id;
  auto marker = read_small_file(path + "/" + std::string{marker_file});
  id.marker = marker.exists && !check_marker(marker.content);
  id.ours = marker.exists || rocksdb_files_say_ours(path);
  if (!id.ours && !exists(path + "/CURRENT"))
    return make_error(errc::not_a_log,
                      path + ": the folder holds files but no timecontrol "
                             "log");
  if (exists(path + "/" + std::string{repair_flag_file}))
    report(0, make_error(errc::corrupt_record,
                         path + ": a repair of this log did not finish (" +
                             std::string{repair_flag_file} + " is there)"));
  auto metadata = metadata_problem(path);
  if (!metadata.empty())
    report(0,
           make_error(errc::corrupt_record, path + ": damaged: " + metadata));
  // RocksDB as lenient as it gets: table files opened when read, damaged
  // WAL records skipped (our own reader reports them).
  auto setup = make_rocksdb_setup();
  setup.db.create_if_missing = false;
  setup.db.wal_recovery_mode =
      rocksdb::WALRecoveryMode::kSkipAnyCorruptedRecords;
  setup.db.max_open_files = 64;
  std::vector<std::string> families;
  auto st = rocksdb::DB::ListColumnFamilies(setup.db, path, &families);
  bool has_index = st.ok() && std::find(families.begin(), families.end(),
                                        format::index_family) != families.end();
  if (st.ok() && !has_index && metadata.empty()) {
    if (!id.ours)
      return make_error(errc::not_a_log,
                        path + ": a RocksDB database without a timecontrol "
                               "header");
    report(0, make_error(errc::corrupt_record,
                         path + ": damaged: the MANIFEST lists no index "
                                "column family"));
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  if (has_index)
    st = rocksdb::DB::OpenForReadOnly(setup.db, path, setup.families(),
                                      &handles, &db);
  if (has_index && st.ok()) {
    rocksdb_store store{path,
                        durability::sync,
                        rocksdb_store::access::read,
                        std::move(setup),
                        std::unique_ptr<rocksdb::DB>{db},
                        std::move(handles)};
    if (auto err = store.init(id)) {
      if (is(err, errc::not_a_log) || is(err, errc::newer_format))
        return err;
      report(0, err);
      return found;
    }
    // Events in intact writes of a damaged WAL (reported above) that
    // RocksDB did not recover are not missing for this check.
    seq_t intact = 0;
    for (auto& scan : scan_wal_files(path))
      intact = std::max(intact, scan.last_event);
    if (auto lease = decode_lease(
            read_small_file(path + "/" + std::string{lease_file}).content))
      if (auto err = store.clean_close_problem(*lease, intact))
        report(std::max(store.highest_held(), intact) + 1, err);
    auto problems = store.verify(problem);
    if (!problems)
      return std::move(problems.error());
    return found + *problems;
  }
  auto tables = check_table_files_in(path, problem);
  found += tables;
  if (!st.ok() && metadata.empty() && tables == 0)
    report(0, storage_error(path, st, nullptr, true));
  found += check_wal_files(path, problem);
  found += check_own_files(path, nullptr, problem);
  return found;
}

caf::expected<std::unique_ptr<event_store>>
open_rocksdb_store(const std::string& path, const store_options& given) {
  auto options = given;
  options.read_only = given.read_only || given.follow;
  auto kind = look_at(path);
  if (!kind)
    return std::move(kind.error());
  if (*kind == folder_kind::missing || *kind == folder_kind::empty) {
    if (!options.create_if_missing || options.read_only)
      return make_error(errc::not_found, path + ": no log there");
    if (auto err = create_log(path))
      return err;
    kind = look_at(path);
    if (!kind)
      return std::move(kind.error());
  }
  if (*kind == folder_kind::file)
    return make_error(errc::not_a_log,
                      path + ": is a file, not a timecontrol log folder");
  if (*kind != folder_kind::filled)
    return make_error(errc::not_writable, path + ": the new log vanished");
  auto id = identify(path);
  if (!id)
    return std::move(id.error());
  if (!options.read_only)
    if (auto err = check_writable(path))
      return err;
  auto attempts = options.read_only ? reader_open_attempts : 1;
  for (int i = 1;; ++i) {
    auto result = open_once(path, options, *id);
    if (result.store)
      return std::unique_ptr<event_store>{std::move(result.store)};
    if (!result.raced || i >= attempts)
      return std::move(result.err);
  }
}

} // namespace tc::detail
