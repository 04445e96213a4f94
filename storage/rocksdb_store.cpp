// The RocksDB store: the default, embedded event log.
//
// Layout of the keys: see detail/format.hpp and FORMAT.md. Appends go through
// a queue of waiting writers (LevelDB's DBImpl::Write scheme): the writer at
// the front becomes the leader, takes every batch queued behind it into one
// rocksdb::WriteBatch with the events' records and their index postings,
// writes it once (one fsync in sync mode) with the queue unlocked, then wakes
// the writers it served. Sequence numbers are assigned by the leader in queue
// order and become visible (last_seq) only after the write succeeded, so a
// failed write leaves no gap.
//
// A follower (store_options::follow) is a RocksDB secondary instance: it
// reads the writer's MANIFEST and write-ahead log without a lock, and
// refresh() applies what they gained since (TryCatchUpWithPrimary). RocksDB
// applies each logged WriteBatch whole, and a batch holds a group's records
// with their postings, so a follower never sees part of a group.

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
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
#include <unistd.h>
#include <unordered_map>
#include <vector>

#include "timecontrol/core/coding.hpp"
#include "timecontrol/events/codec.hpp"
#include "timecontrol/storage/detail/format.hpp"
#include "timecontrol/storage/detail/replay_sink.hpp"
#include "timecontrol/storage/detail/stores.hpp"

namespace tc::detail {

namespace {

namespace fs = std::filesystem;

/// The most events one leader puts into one write.
constexpr size_t max_group_events = 64 * 1024;

caf::error storage_error(const std::string& path, const rocksdb::Status& st) {
  auto text = st.ToString();
  if (st.IsIOError() && text.find("lock") != std::string::npos)
    return make_error(errc::locked, path +
                                        ": the log is open in another process "
                                        "or store (" +
                                        text + ")");
  return make_error(errc::storage_failure, path + ": " + text);
}

rocksdb::Slice slice(std::string_view x) {
  return {x.data(), x.size()};
}

std::string_view view(const rocksdb::Slice& x) {
  return {x.data(), x.size()};
}

// Fails unless a file can be created in `dir`: the honest test of "writable"
// (permission bits say nothing to root, and a read-only mount hides behind
// them).
caf::error check_writable(const std::string& dir) {
  auto probe = (fs::path{dir} / ".timecontrol-write-test").string();
  int fd = ::open(probe.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
  if (fd < 0)
    return make_error(errc::not_writable, dir + ": cannot write there (" +
                                              std::strerror(errno) + ")");
  ::close(fd);
  ::unlink(probe.c_str());
  return caf::none;
}

// Checks the folder before RocksDB sees it, so that a wrong path gets a
// precise error instead of a new database in someone's home folder.
caf::error prepare_folder(const std::string& path,
                          const store_options& options) {
  std::error_code ec;
  auto status = fs::status(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory)
    return make_error(errc::not_writable, path + ": " + ec.message());
  if (!fs::exists(status)) {
    if (!options.create_if_missing || options.read_only)
      return make_error(errc::not_found, path + ": no log there");
    fs::create_directories(path, ec);
    if (ec)
      return make_error(errc::not_writable, path +
                                                ": cannot create the folder (" +
                                                ec.message() + ")");
    return check_writable(path);
  }
  if (!fs::is_directory(status))
    return make_error(errc::not_a_log,
                      path + ": is a file, not a timecontrol log folder");
  bool has_current = fs::exists(fs::path{path} / "CURRENT", ec);
  if (!has_current) {
    if (!fs::is_empty(path, ec))
      return make_error(errc::not_a_log,
                        path + ": the folder holds files but no timecontrol "
                               "log");
    if (!options.create_if_missing || options.read_only)
      return make_error(errc::not_found, path + ": no log there");
  }
  return options.read_only ? caf::none : check_writable(path);
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
    if (key.front() == format::snapshot_tag)
      return 0;
    return key.size() - 8;
  }
};

class rocksdb_store final : public event_store {
public:
  rocksdb_store(std::string path, durability mode, rocksdb::DB* db,
                std::vector<rocksdb::ColumnFamilyHandle*> handles)
      : path_(std::move(path)), mode_(mode), db_(db),
        handles_(std::move(handles)), index_cf_(handles_.at(1)) {
    write_options_.sync = mode == durability::sync;
  }

  ~rocksdb_store() override {
    for (auto* handle : handles_)
      db_->DestroyColumnFamilyHandle(handle);
    db_->Close();
    delete db_;
    if (!secondary_dir.empty()) {
      std::error_code ec;
      fs::remove_all(secondary_dir, ec);
    }
  }

  /// Set for stores opened with store_options::read_only or ::follow.
  bool read_only = false;

  /// Set for stores opened with store_options::follow: the secondary
  /// instance's own folder, removed with the store.
  std::string secondary_dir;

  // Reads or writes the header, and finds the newest sequence number.
  caf::error init() {
    std::string value;
    auto st = db_->Get({}, slice(format::meta_key), &value);
    if (st.IsNotFound()) {
      std::unique_ptr<rocksdb::Iterator> it{db_->NewIterator({})};
      it->SeekToFirst();
      if (it->Valid() || read_only)
        return make_error(errc::not_a_log,
                          path_ + ": a RocksDB database without a timecontrol "
                                  "header");
      rocksdb::WriteOptions sync;
      sync.sync = true;
      st = db_->Put(sync, slice(format::meta_key), format::meta_value());
      if (!st.ok())
        return storage_error(path_, st);
      return caf::none;
    }
    if (!st.ok())
      return storage_error(path_, st);
    auto version = format::parse_meta_value(value);
    if (!version)
      return make_error(errc::not_a_log,
                        path_ + ": the header is not a timecontrol header");
    if (*version > format::store_version)
      return make_error(errc::newer_format,
                        path_ + ": log format version " +
                            std::to_string(*version) +
                            " is newer than this build reads (" +
                            std::to_string(format::store_version) + ")");
    auto last = find_last_seq();
    if (!last)
      return std::move(last.error());
    last_seq_ = *last;
    return caf::none;
  }

  // -- appending --------------------------------------------------------------

  using event_store::append;

  caf::expected<seq_range> append(std::span<envelope> batch) override {
    if (read_only)
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
    guard.unlock();
    auto err = write_group(members, first);
    guard.lock();
    if (!err) {
      last_seq_ = first + events - 1;
      stats_.appends += group;
      stats_.events += events;
      ++stats_.writes;
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

  caf::expected<seq_t> refresh() override {
    if (secondary_dir.empty())
      return last_seq_.load();
    std::lock_guard guard{refresh_mutex_};
    auto st = db_->TryCatchUpWithPrimary();
    if (!st.ok())
      return storage_error(path_, st);
    auto last = find_last_seq();
    if (!last)
      return last;
    // The writer never takes events back; a smaller answer would be a
    // RocksDB bug, and the replays must not go backwards for it.
    if (*last > last_seq_.load())
      last_seq_ = *last;
    return last_seq_.load();
  }

  // -- replay -----------------------------------------------------------------

  caf::error replay(const replay_query& query,
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
      replay_all(from, to, sink);
    return std::move(sink).result();
  }

  // -- verification -----------------------------------------------------------

  using event_store::verify;

  caf::expected<size_t>
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
    // 1. The records, and what the index must say of each. Progress: one
    // unit per record, then one per posting (each event has two).
    auto last = last_seq_.load();
    auto total = 3 * last;
    std::vector<uint32_t> source_of(last, UINT32_MAX); // by seq - 1
    std::vector<uint16_t> type_of(last, 0);
    // bit 0: named by the source index, 1: by the type index, 2: already
    // reported as damaged or missing (not checked further).
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
      ++found;
      problem(seq, err);
      if (seq >= 1 && seq <= last)
        indexed[seq - 1] |= 4;
    };
    if (auto err = replay({.to = last}, records))
      return err;
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
          continue; // its record was reported already
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
    if (!it->status().ok())
      return storage_error(path_, it->status());
    // 3. Records the index does not name.
    for (seq_t seq = 1; seq <= last; ++seq) {
      if (indexed[seq - 1] & 4)
        continue; // reported in step 1
      if (!(indexed[seq - 1] & 1))
        report(seq, "missing from the source index");
      if (!(indexed[seq - 1] & 2))
        report(seq, "missing from the type index");
    }
    return found;
  }

  // -- snapshots --------------------------------------------------------------

  caf::error save_snapshot(std::string_view name, seq_t seq,
                           std::string_view state) override {
    if (read_only)
      return make_error(errc::closed, path_ + ": opened read-only");
    if (seq > last_seq_.load())
      return make_error(errc::bad_config,
                        path_ + ": snapshot '" + std::string{name} +
                            "' covers seq " + std::to_string(seq) +
                            " but the log ends at " +
                            std::to_string(last_seq_.load()));
    auto record = format::encode_snapshot(snapshot{seq, std::string{state}});
    auto st = db_->Put(write_options_, format::snapshot_key(name), record);
    if (!st.ok())
      return storage_error(path_, st);
    return caf::none;
  }

  caf::expected<std::optional<snapshot>>
  load_snapshot(std::string_view name) const override {
    std::string value;
    auto st = db_->Get({}, format::snapshot_key(name), &value);
    if (st.IsNotFound())
      return std::optional<snapshot>{};
    if (!st.ok())
      return storage_error(path_, st);
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

  // Writes the records and postings of a group in one WriteBatch. Runs
  // without the queue lock: only the leader touches the members' batches and
  // the scratch space.
  caf::error write_group(const std::vector<writer*>& members, seq_t first) {
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
  caf::expected<seq_t> find_last_seq() const {
    std::unique_ptr<rocksdb::Iterator> it{db_->NewIterator({})};
    it->SeekForPrev(std::string(1, format::event_tag + 1));
    seq_t last = 0;
    if (it->Valid())
      if (auto seq = format::parse_event_key(view(it->key())))
        last = *seq;
    if (!it->status().ok())
      return storage_error(path_, it->status());
    return last;
  }

  rocksdb::ReadOptions scan_options() const {
    rocksdb::ReadOptions options;
    options.readahead_size = 2 * 1024 * 1024;
    options.fill_cache = false;
    return options;
  }

  // Visits every record from `from` to `to`, reporting holes.
  void replay_all(seq_t from, seq_t to, replay_sink& sink) const {
    auto options = scan_options();
    auto upper = format::event_key(to + 1);
    if (to == std::numeric_limits<seq_t>::max())
      upper = std::string(1, format::event_tag + 1);
    rocksdb::Slice upper_slice{upper};
    options.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it{db_->NewIterator(options)};
    auto expected = from;
    for (it->Seek(format::event_key(from)); it->Valid(); it->Next()) {
      auto seq = format::parse_event_key(view(it->key()));
      if (!seq) {
        sink.fail(make_error(errc::corrupt_record,
                             path_ + ": malformed event key after seq " +
                                 std::to_string(expected - 1)));
        return;
      }
      for (; expected < *seq; ++expected)
        if (!sink.missing(expected, "record missing"))
          return;
      expected = *seq + 1;
      if (!sink.record(*seq, view(it->value())))
        return;
    }
    if (!it->status().ok()) {
      sink.fail(storage_error(path_, it->status()));
      return;
    }
    for (; expected <= to; ++expected)
      if (!sink.missing(expected, "record missing"))
        return;
  }

  // Visits the records that the posting lists under `prefix` name.
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
        events->Seek(key);
        if (!events->Valid() || view(events->key()) != key) {
          if (!events->status().ok()) {
            sink.fail(storage_error(path_, events->status()));
            return;
          }
          if (!sink.missing(seq, "indexed but no record stored"))
            return;
          continue;
        }
        if (!sink.record(seq, view(events->value())))
          return;
      }
    }
    if (!index->status().ok())
      sink.fail(storage_error(path_, index->status()));
  }

  std::string path_;
  durability mode_;
  rocksdb::DB* db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_; // default, index
  rocksdb::ColumnFamilyHandle* index_cf_;
  rocksdb::WriteOptions write_options_;
  std::atomic<seq_t> last_seq_{0};
  std::mutex refresh_mutex_;       // one catch-up at a time
  mutable std::mutex queue_mutex_; // guards writers_ and stats_
  std::deque<writer*> writers_;
  store_stats stats_;
  group_scratch scratch_; // the leader's only
};

// A fresh folder for a follower's own files.
caf::expected<std::string> make_secondary_dir(const std::string& path) {
  std::error_code ec;
  auto base = fs::temp_directory_path(ec);
  if (ec)
    return make_error(errc::not_writable,
                      path + ": no temporary folder for the follower (" +
                          ec.message() + ")");
  auto pattern = (base / "timecontrol-follow-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr)
    return make_error(errc::not_writable,
                      path + ": cannot create the follower's folder " +
                          pattern + " (" + std::strerror(errno) + ")");
  return pattern;
}

} // namespace

caf::expected<std::unique_ptr<event_store>>
open_rocksdb_store(const std::string& path, const store_options& given) {
  auto options = given;
  options.read_only = given.read_only || given.follow;
  if (auto err = prepare_folder(path, options))
    return err;
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.IncreaseParallelism(2);
  db_options.max_background_jobs = 2;
  db_options.keep_log_file_num = 4;
  // RocksDB keeps a WAL file until every family has flushed past it. Both
  // families are written in every batch, but the index's memtable fills
  // more slowly, so without a cap the WAL grew to about 1 GiB before it
  // was flushed -- 440 MB after 10 million events, which every reader
  // replayed when it opened the log (2 s). The cap makes RocksDB flush the
  // family that holds the oldest WAL.
  db_options.max_total_wal_size = 128 << 20;
  // Our own group commit makes every RocksDB write single-threaded, which
  // lets the index family use its insert hints.
  db_options.allow_concurrent_memtable_write = false;
  // A database that exists must already have the index family: a foreign
  // RocksDB database is refused, never extended.
  std::vector<std::string> families;
  auto st = rocksdb::DB::ListColumnFamilies(db_options, path, &families);
  if (st.ok()) {
    if (std::find(families.begin(), families.end(), format::index_family) ==
        families.end())
      return make_error(errc::not_a_log,
                        path + ": a RocksDB database without a timecontrol "
                               "header");
  } else {
    db_options.create_missing_column_families = true;
  }
  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.memtable_insert_with_hint_prefix_extractor =
      std::make_shared<ascending_runs>();
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors{
      {rocksdb::kDefaultColumnFamilyName, cf_options},
      {std::string{format::index_family}, cf_options}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  std::string secondary_dir;
  if (options.follow) {
    auto dir = make_secondary_dir(path);
    if (!dir)
      return std::move(dir.error());
    secondary_dir = std::move(*dir);
    // RocksDB asks secondaries to keep every table file open, so that the
    // writer's compactions cannot delete one from under a read.
    db_options.max_open_files = -1;
    st = rocksdb::DB::OpenAsSecondary(db_options, path, secondary_dir,
                                      descriptors, &handles, &db);
    if (!st.ok()) {
      std::error_code ec;
      fs::remove_all(secondary_dir, ec);
    }
  } else if (options.read_only) {
    st = rocksdb::DB::OpenForReadOnly(db_options, path, descriptors, &handles,
                                      &db);
  } else {
    st = rocksdb::DB::Open(db_options, path, descriptors, &handles, &db);
  }
  if (!st.ok())
    return storage_error(path, st);
  auto store = std::make_unique<rocksdb_store>(path, options.mode, db,
                                               std::move(handles));
  store->read_only = options.read_only;
  store->secondary_dir = std::move(secondary_dir);
  if (auto err = store->init())
    return err;
  return std::unique_ptr<event_store>{std::move(store)};
}

} // namespace tc::detail
