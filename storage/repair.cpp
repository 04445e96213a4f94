// repair_log(): salvages a damaged log in place (FORMAT.md, "Repairs").
//
// The order matters for a repair that is itself interrupted: the flag file
// goes first (normal opens refuse the log from then on), the damaged files
// are kept (hard links) before RocksDB's repair moves or drops any, the
// lease is extended before the log_repaired event takes its number, and the
// flag goes last. Run again, a repair starts over from what is there and
// from the files it kept.

#include "timecontrol/storage/repair.hpp"

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/sst_file_reader.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <map>
#include <set>
#include <unistd.h>
#include <unordered_set>

#include "timecontrol/core/coding.hpp"
#include "timecontrol/events/codec.hpp"
#include "timecontrol/storage/detail/damage.hpp"
#include "timecontrol/storage/detail/folder.hpp"
#include "timecontrol/storage/detail/format.hpp"
#include "timecontrol/storage/detail/log_files.hpp"
#include "timecontrol/storage/detail/rocksdb_setup.hpp"
#include "timecontrol/storage/detail/wal_scan.hpp"

namespace tc {

namespace {

namespace fs = std::filesystem;
using namespace detail;

/// Events per write while putting records back and rebuilding the index.
constexpr size_t chunk_events = 64 * 1024;

/// The most bytes of damage text the log_repaired event keeps.
constexpr size_t max_damage_text = 4096;

/// In a folder of kept files: written once all are there.
constexpr std::string_view kept_complete = "KEPT";

std::string_view view(const rocksdb::Slice& x) {
  return {x.data(), x.size()};
}

rocksdb::Slice slice(std::string_view x) {
  return {x.data(), x.size()};
}

// The log's RocksDB database, open as a writer, closed on every way out.
struct database {
  rocksdb_setup setup;
  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles; // default, index

  ~database() { close(); }

  rocksdb::ColumnFamilyHandle* index() { return handles.at(1); }

  void close() {
    for (auto* handle : handles)
      db->DestroyColumnFamilyHandle(handle);
    handles.clear();
    if (db != nullptr) {
      db->Close().PermitUncheckedError();
      delete db;
      db = nullptr;
    }
  }
};

[[nodiscard]] caf::error damaged(const std::string& path,
                                 const std::string& what) {
  return make_error(errc::corrupt_record, path + ": " + what);
}

// "20261129T101233Z".
std::string utc_stamp() {
  auto now =
      std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  struct tm t {};
  ::gmtime_r(&now, &t);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &t);
  return buf;
}

// Keeps every file of the log as it is now in a folder of its own under
// `path`/lost: hard links (copies where links are refused), so that what
// RocksDB's repair moves or drops stays, for the salvage and for people.
[[nodiscard]] caf::expected<std::string> keep_files(const std::string& path) {
  auto base = fs::path{path} / "lost" / ("repair-" + utc_stamp());
  auto dir = base;
  std::error_code ec;
  for (int i = 2; fs::exists(dir, ec); ++i)
    dir = base.string() + "-" + std::to_string(i);
  fs::create_directories(dir, ec);
  if (ec)
    return make_error(errc::not_writable, dir.string() + ": " + ec.message());
  for (auto& entry : fs::directory_iterator{path, ec}) {
    auto name = entry.path().filename().string();
    if (!entry.is_regular_file() || name == "LOCK" || name.ends_with(".tmp") ||
        name == repair_flag_file)
      continue;
    fs::create_hard_link(entry.path(), dir / name, ec);
    if (ec)
      fs::copy_file(entry.path(), dir / name, ec);
    if (ec)
      return make_error(errc::not_writable,
                        (dir / name).string() + ": " + ec.message());
  }
  // Complete: a repair that is run again after this one was interrupted
  // starts over from these files.
  if (auto err = write_file_atomically(dir.string(), kept_complete, "kept\n"))
    return err;
  return dir.string();
}

// RocksDB's files of a log (as opposed to ours, its info log, lost/).
bool rocksdb_file(const std::string& name) {
  return name.ends_with(".sst") || name.ends_with(".log") ||
         name.starts_with("MANIFEST-") || name.starts_with("OPTIONS-") ||
         name == "CURRENT" || name == "IDENTITY";
}

// Puts RocksDB's files back as `kept` holds them: a repair run again after
// one that was interrupted starts from the damaged log as it was, not from
// what the interrupted RocksDB repair left half done (it may, for
// instance, have turned a WAL into a table file and not yet moved the WAL
// away: a second table file with the same records, which RocksDB's
// consistency checks refuse).
[[nodiscard]] caf::error restore_files(const std::string& path,
                                       const std::string& kept) {
  std::error_code ec;
  for (auto& entry : fs::directory_iterator{path, ec})
    if (entry.is_regular_file() &&
        rocksdb_file(entry.path().filename().string()))
      fs::remove(entry.path(), ec);
  for (auto& entry : fs::directory_iterator{kept, ec}) {
    auto name = entry.path().filename().string();
    if (!rocksdb_file(name))
      continue;
    fs::create_hard_link(entry.path(), fs::path{path} / name, ec);
    if (ec)
      fs::copy_file(entry.path(), fs::path{path} / name, ec);
    if (ec)
      return make_error(errc::not_writable,
                        path + "/" + name + ": " + ec.message());
    // What the interrupted RocksDB repair moved to lost/ is now the same
    // file as the one put back, and renaming a file onto another name of
    // itself does nothing: RocksDB's repair could not move it away again.
    auto moved = fs::path{path} / "lost" / name;
    if (fs::equivalent(moved, fs::path{path} / name, ec))
      fs::remove(moved, ec);
  }
  return sync_folder(path);
}

// Every readable event record of a table file, around damaged blocks: past
// a block that does not read, it looks for the first sequence number whose
// block reads (the table's index still leads there) and goes on from it.
void salvage_table(const std::string& file,
                   const std::function<void(seq_t, std::string_view)>& found) {
  rocksdb::Options options;
  rocksdb::SstFileReader reader{options};
  if (!reader.Open(file).ok())
    return; // its footer or index does not read: nothing leads to its blocks
  rocksdb::ReadOptions ro;
  ro.verify_checksums = true;
  auto seek = [&](seq_t seq) {
    std::unique_ptr<rocksdb::Iterator> it{reader.NewIterator(ro)};
    it->Seek(format::event_key(seq));
    return it;
  };
  auto it = seek(1);
  seq_t next = 1;
  for (int damaged_blocks = 0; damaged_blocks < 100'000; ++damaged_blocks) {
    for (; it->Valid(); it->Next()) {
      auto seq = format::parse_event_key(view(it->key()));
      if (!seq)
        return; // past the events
      found(*seq, view(it->value()));
      next = *seq + 1;
    }
    if (it->status().ok())
      return; // the end
    // A block that does not read, from `next` on: find the smallest
    // sequence number after it whose Seek reads.
    seq_t bad = next;
    seq_t good = 0;
    for (seq_t step = 1; step < (seq_t{1} << 48); step *= 2)
      if (seek(bad + step)->status().ok()) {
        good = bad + step;
        break;
      }
    if (good == 0)
      return;
    while (bad + 1 < good) {
      auto mid = bad + (good - bad) / 2;
      (seek(mid)->status().ok() ? good : bad) = mid;
    }
    it = seek(good);
    next = good;
  }
}

// The gaps earlier repairs declared (damaged ones are dropped: their
// numbers are then counted as lost again).
std::vector<format::gap> read_gaps(rocksdb::DB& db,
                                   std::vector<std::string>& damage) {
  std::vector<format::gap> result;
  std::unique_ptr<rocksdb::Iterator> it{db.NewIterator({})};
  auto prefix = std::string(1, format::gap_tag);
  rocksdb::WriteBatch drop;
  for (it->Seek(prefix); it->Valid() && view(it->key()).starts_with(prefix);
       it->Next()) {
    auto g = format::decode_gap(view(it->key()), view(it->value()));
    if (g) {
      result.push_back(*g);
    } else {
      damage.push_back(context_of(g.error()));
      drop.Delete(it->key());
    }
  }
  if (drop.Count() > 0)
    db.Write({}, &drop).PermitUncheckedError();
  return result;
}

bool in_gaps(const std::vector<format::gap>& gaps, seq_t seq) {
  return std::any_of(gaps.begin(), gaps.end(),
                     [&](auto& g) { return seq >= g.first && seq <= g.last; });
}

// Adds [first, last] minus the gaps to `out`.
void add_range(std::vector<seq_range>& out, seq_t first, seq_t last,
               const std::vector<format::gap>& gaps) {
  auto seq = first;
  while (seq <= last) {
    if (in_gaps(gaps, seq)) {
      ++seq;
      continue;
    }
    auto end = seq;
    while (end < last && !in_gaps(gaps, end + 1))
      ++end;
    if (!out.empty() && out.back().last + 1 == seq)
      out.back().last = end;
    else
      out.push_back({seq, end});
    seq = end + 1;
  }
}

// Postings of the events of one chunk, as the store writes them.
struct postings {
  std::map<std::string, std::vector<seq_t>> by_source;
  std::map<event_type, std::vector<seq_t>> by_type;

  void add(const envelope& x) {
    by_source[x.source].push_back(x.seq);
    by_type[x.type()].push_back(x.seq);
  }

  void put(rocksdb::WriteBatch& batch, rocksdb::ColumnFamilyHandle* index) {
    std::string value;
    for (auto& [source, seqs] : by_source) {
      value.clear();
      format::encode_postings(seqs, value);
      batch.Put(
          index,
          format::posting_key(format::source_prefix(source), seqs.front()),
          value);
    }
    for (auto& [type, seqs] : by_type) {
      value.clear();
      format::encode_postings(seqs, value);
      batch.Put(index,
                format::posting_key(format::type_prefix(type), seqs.front()),
                value);
    }
    by_source.clear();
    by_type.clear();
  }
};

[[nodiscard]] caf::error write(const std::string& path, rocksdb::DB& db,
                               rocksdb::WriteBatch& batch, bool sync = false) {
  if (batch.Count() == 0)
    return caf::none;
  rocksdb::WriteOptions options;
  options.sync = sync;
  auto st = db.Write(options, &batch);
  batch.Clear();
  if (!st.ok())
    return storage_error(path, st, &db);
  return caf::none;
}

std::string strip_path(const std::string& path, std::string text) {
  if (text.starts_with(path + ": "))
    text.erase(0, path.size() + 2);
  return text;
}

} // namespace

std::string to_ranges(const std::vector<seq_range>& ranges) {
  std::string result;
  for (auto& r : ranges) {
    if (!result.empty())
      result += ',';
    result += std::to_string(r.first);
    if (r.last != r.first)
      result += ".." + std::to_string(r.last);
  }
  return result;
}

caf::expected<repair_report> repair_log(const std::string& path) {
  repair_report report;
  auto kind = look_at(path);
  if (!kind)
    return std::move(kind.error());
  if (*kind == folder_kind::missing || *kind == folder_kind::empty)
    return make_error(errc::not_found, path + ": no log there");
  if (*kind == folder_kind::file)
    return make_error(errc::not_a_log,
                      path + ": is a file, not a timecontrol log folder");
  if (writer_active(path))
    return make_error(errc::locked, path + ": a writer has the log open; "
                                           "stop it before repairing the log");
  auto flag = std::string{repair_flag_file};
  bool resuming = exists(path + "/" + flag);
  // What is wrong (this reads only; a folder that is not a log, or of a
  // newer format, ends the repair here, untouched).
  auto problems =
      event_store::diagnose(path, [&](seq_t, const caf::error& err) {
        auto line = strip_path(path, context_of(err));
        if (line.starts_with("damaged: "))
          line.erase(0, 9);
        report.damage.push_back(std::move(line));
      });
  if (!problems)
    return std::move(problems.error());
  if (*problems == 0 && !resuming)
    return report; // sound: nothing to repair, nothing changed

  // An interrupted repair named the files it kept in its flag: start over
  // from them.
  std::string earlier;
  if (resuming) {
    earlier = kept_by_repair(read_small_file(path + "/" + flag).content);
    if (!earlier.empty() && !exists(earlier + "/" + std::string{kept_complete}))
      earlier.clear(); // interrupted while keeping: nothing changed yet
  }
  // 1. From here on, normal opens refuse the log until the flag goes.
  if (!resuming)
    if (auto err = write_file_atomically(path, flag, make_repair_flag()))
      return err;
  // Until RocksDB changes something, a repair that cannot go on leaves the
  // log as it found it (a writer may have started meanwhile).
  auto untouched = [&](caf::error err) {
    if (!resuming) {
      std::error_code ec;
      fs::remove(fs::path{path} / flag, ec);
    }
    return err;
  };
  // 2. Keep the files as they are (or as they were before an interrupted
  // repair), and say where in the flag.
  caf::expected<std::string> kept{earlier};
  if (!earlier.empty()) {
    if (auto err = restore_files(path, earlier))
      return err;
  } else {
    kept = keep_files(path);
    if (!kept)
      return untouched(std::move(kept.error()));
  }
  if (auto err = write_file_atomically(path, flag, make_repair_flag(*kept)))
    return err;
  report.kept_files = *kept;
  // 3. The lease, before anything changes it.
  auto lease_file_text = read_small_file(path + "/" + std::string{lease_file});
  auto lease = decode_lease(lease_file_text.content);
  // 4. RocksDB's own repair when its files are damaged, or do not open.
  database d;
  d.setup = make_rocksdb_setup();
  d.setup.db.create_if_missing = false;
  d.setup.db.create_missing_column_families = true;
  d.setup.db.info_log = make_info_log(path);
  bool rocksdb_damage = !metadata_problem(path).empty();
  seq_t seen = 0; // the largest event seq found anywhere
  for (auto& scan : scan_wal_files(path)) {
    rocksdb_damage =
        rocksdb_damage || !scan.damage.empty() || !scan.read_error.empty();
    seen = std::max(seen, scan.last_event);
  }
  std::vector<std::string> names;
  std::error_code ec;
  for (auto& entry : fs::directory_iterator{path, ec})
    if (entry.path().extension() == ".sst")
      names.push_back(entry.path().string());
  for (auto& name : names) {
    rocksdb::Options options;
    rocksdb::SstFileReader reader{options};
    auto st = reader.Open(name);
    if (st.ok())
      st = reader.VerifyChecksum();
    rocksdb_damage = rocksdb_damage || !st.ok();
  }
  rocksdb::Status st;
  if (!rocksdb_damage) {
    st = rocksdb::DB::Open(d.setup.db, path, d.setup.families(), &d.handles,
                           &d.db);
    if (!st.ok()) {
      auto err = storage_error(path, st);
      if (is(err, errc::locked) || is(err, errc::storage_failure) ||
          is(err, errc::not_writable))
        return untouched(err);
      rocksdb_damage = true;
    }
  }
  if (rocksdb_damage) {
    st =
        rocksdb::RepairDB(path, d.setup.db, d.setup.families(), d.setup.family);
    if (!st.ok() && is(storage_error(path, st), errc::locked))
      return untouched(storage_error(path, st));
    if (!st.ok())
      return damaged(path, "RocksDB's repair failed (" + st.ToString() +
                               "); the damaged log is kept in " + *kept);
    st = rocksdb::DB::Open(d.setup.db, path, d.setup.families(), &d.handles,
                           &d.db);
    if (!st.ok())
      return damaged(path, "after RocksDB's repair the log does not open (" +
                               st.ToString() +
                               "); the damaged log is kept "
                               "in " +
                               *kept);
  }
  auto& db = *d.db;
  std::string header;
  st = db.Get({}, slice(format::meta_key), &header);
  if (st.ok()) {
    if (auto version = format::parse_meta_value(header);
        version && *version > format::store_version)
      return make_error(errc::newer_format,
                        path + ": log format version " +
                            std::to_string(*version) +
                            " is newer than this build reads (" +
                            std::to_string(format::store_version) + ")");
  }
  auto gaps = read_gaps(db, report.damage);
  // 5. Put back every intact event record the kept files hold that the
  // log lacks: RocksDB drops the rest of a WAL block after a damaged record
  // and a whole table file for one damaged block.
  rocksdb::WriteBatch batch;
  envelope scratch;
  caf::error failure;
  std::unordered_set<seq_t> put; // the same record may be in several files
  auto put_back = [&](seq_t seq, std::string_view value) {
    seen = std::max(seen, seq);
    if (failure || in_gaps(gaps, seq) || put.count(seq) > 0 ||
        codec::decode(value, scratch, seq))
      return;
    std::string existing;
    if (db.Get({}, format::event_key(seq), &existing).ok())
      return;
    batch.Put(format::event_key(seq), slice(value));
    put.insert(seq);
    ++report.salvaged;
    if (batch.Count() >= chunk_events)
      failure = write(path, db, batch);
  };
  // The kept files are the log as it was; a table file that RocksDB kept
  // as it was (the same file, still live) holds nothing to put back.
  std::set<std::string> live;
  {
    std::vector<rocksdb::LiveFileMetaData> files;
    db.GetLiveFilesMetaData(&files);
    for (auto& f : files)
      live.insert(fs::path{f.name}.filename().string());
  }
  for (auto& entry : fs::directory_iterator{*kept, ec}) {
    auto file = entry.path();
    auto name = file.filename().string();
    if (file.extension() == ".sst") {
      if (live.count(name) > 0 &&
          fs::equivalent(file, fs::path{path} / name, ec))
        continue;
      salvage_table(file.string(), put_back);
    } else if (file.extension() == ".log") {
      scan_wal_file(*kept, name, [&](const wal_batch&, std::string_view rep) {
        for_each_event_record(rep, put_back);
      });
    }
  }
  if (!failure)
    failure = write(path, db, batch);
  if (failure)
    return failure;
  // 6. The records: the undecodable go, the holes are the lost.
  std::vector<seq_t> bad;
  seq_t last = 0; // the last event kept
  {
    std::unique_ptr<rocksdb::Iterator> it{db.NewIterator({})};
    auto end = std::string(1, format::event_tag + 1);
    seq_t expected = 1;
    for (it->Seek(format::event_key(1)); it->Valid() && view(it->key()) < end;
         it->Next()) {
      auto seq = format::parse_event_key(view(it->key()));
      if (!seq) {
        batch.Delete(it->key());
        continue;
      }
      seen = std::max(seen, *seq);
      if (auto err = codec::decode(view(it->value()), scratch, *seq)) {
        bad.push_back(*seq);
        batch.Delete(it->key());
        continue;
      }
      // The holes before it, with the undecodable records in them.
      if (*seq > expected)
        add_range(report.lost, expected, *seq - 1, gaps);
      bad.clear();
      expected = *seq + 1;
      last = *seq;
      ++report.kept;
    }
    if (!it->status().ok())
      return damaged(path, "after RocksDB's repair a record does not read (" +
                               it->status().ToString() + ")");
    // Undecodable records after the last good one are lost too, but their
    // numbers lie past `last`: they are among the skipped.
    for (auto b : bad)
      seen = std::max(seen, b);
    if (auto err = write(path, db, batch))
      return err;
  }
  std::sort(report.lost.begin(), report.lost.end(),
            [](auto& a, auto& b) { return a.first < b.first; });
  // 7. Snapshots that do not load, or that cover events now lost.
  seq_t first_lost = report.lost.empty() ? 0 : report.lost.front().first;
  {
    std::unique_ptr<rocksdb::Iterator> it{db.NewIterator({})};
    auto prefix = std::string(1, format::snapshot_tag);
    for (it->Seek(prefix); it->Valid() && view(it->key()).starts_with(prefix);
         it->Next()) {
      auto name = std::string{view(it->key()).substr(1)};
      auto snap = format::decode_snapshot(name, view(it->value()));
      if (!snap || snap->seq > last ||
          (first_lost != 0 && snap->seq >= first_lost)) {
        report.dropped_snapshots.push_back(name);
        batch.Delete(it->key());
      }
    }
    if (auto err = write(path, db, batch))
      return err;
  }
  // 8. The numbers the log may have handed out: up to the lease, and to any
  // larger number found anywhere. Without a readable lease, a lease's step
  // past the largest number found.
  seq_t high = std::max(last, seen);
  for (auto& g : gaps)
    high = std::max(high, g.last);
  if (lease)
    high = std::max(high, lease->high);
  else
    high += lease_step;
  // A log closed cleanly held events up to the lease's high: those past
  // the last one kept were stored and are lost (a cut or deleted WAL).
  auto stored_up_to = last;
  if (lease && lease->clean && lease->high > last) {
    add_range(report.lost, last + 1, lease->high, gaps);
    stored_up_to = lease->high;
  }
  if (high > stored_up_to)
    add_range(report.skipped, stored_up_to + 1, high, gaps);
  report.repaired_at = high + 1;
  // 9. The lease covers the repair's own number before it is used.
  if (auto err = write_file_atomically(
          path, lease_file, encode_lease(report.repaired_at + lease_step)))
    return err;
  // 10. The index, rebuilt from the records.
  {
    auto* old = d.index();
    st = db.DropColumnFamily(old);
    if (st.ok())
      st = db.DestroyColumnFamilyHandle(old);
    rocksdb::ColumnFamilyHandle* fresh = nullptr;
    if (st.ok())
      st = db.CreateColumnFamily(d.setup.family,
                                 std::string{format::index_family}, &fresh);
    if (!st.ok())
      return damaged(path, "cannot rebuild the index (" + st.ToString() + ")");
    d.handles[1] = fresh;
    postings chunk;
    size_t in_chunk = 0;
    std::unique_ptr<rocksdb::Iterator> it{db.NewIterator({})};
    auto end = std::string(1, format::event_tag + 1);
    for (it->Seek(format::event_key(1)); it->Valid() && view(it->key()) < end;
         it->Next()) {
      auto seq = format::parse_event_key(view(it->key()));
      if (!seq || codec::decode(view(it->value()), scratch, *seq))
        continue;
      chunk.add(scratch);
      if (++in_chunk == chunk_events) {
        chunk.put(batch, d.index());
        in_chunk = 0;
        if (auto err = write(path, db, batch))
          return err;
      }
    }
    chunk.put(batch, d.index());
    if (auto err = write(path, db, batch))
      return err;
  }
  // 11. One write: the gaps, the log_repaired event and its postings, the
  // header of version 2.
  auto ranges_damage = std::string{};
  for (auto& line : report.damage) {
    if (ranges_damage.size() + line.size() > max_damage_text) {
      ranges_damage += "; ...";
      break;
    }
    ranges_damage += (ranges_damage.empty() ? "" : "; ") + line;
  }
  for (auto& r : report.lost)
    batch.Put(format::gap_key(r.first),
              format::encode_gap({r.first, r.last, true, report.repaired_at}));
  for (auto& r : report.skipped)
    batch.Put(format::gap_key(r.first),
              format::encode_gap({r.first, r.last, false, report.repaired_at}));
  envelope repaired{
      report.repaired_at,
      from_nanos(std::chrono::duration_cast<std::chrono::nanoseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count()),
      "repair",
      log_repaired{to_ranges(report.lost), to_ranges(report.skipped),
                   ranges_damage}};
  batch.Put(format::event_key(repaired.seq), codec::encode(repaired));
  postings own;
  own.add(repaired);
  own.put(batch, d.index());
  batch.Put(slice(format::meta_key), format::meta_value(format::store_version));
  if (auto err = write(path, db, batch, true))
    return err;
  d.close();
  // 12. The log is closed cleanly at the repair's event (written synced):
  // the next writer numbers on from it. The marker, if it was damaged or
  // missing; OPTIONS files that do not parse go with the kept files
  // (RocksDB wrote a new one).
  if (auto err = write_file_atomically(path, lease_file,
                                       encode_lease(report.repaired_at, true)))
    return err;
  auto marker = read_small_file(path + "/" + std::string{marker_file});
  if (!marker.exists || check_marker(marker.content))
    if (auto err = write_file_atomically(path, marker_file, make_marker()))
      return err;
  for (auto& line : report.damage) {
    auto at = line.find("the options file OPTIONS-");
    if (at == std::string::npos)
      continue;
    auto name = line.substr(at + 17);
    name = name.substr(0, name.find(' '));
    fs::rename(fs::path{path} / name, fs::path{*kept} / (name + ".damaged"),
               ec);
  }
  // 13. Done: normal opens may open it again.
  fs::remove(fs::path{path} / flag, ec);
  if (auto err = sync_folder(path))
    return err;
  // 14. What a reader now finds.
  auto reopened =
      event_store::open(path, {.create_if_missing = false, .read_only = true});
  if (!reopened)
    return damaged(path, "the repaired log does not open (" +
                             render(reopened.error()) + ")");
  std::vector<std::string> left;
  auto found = (*reopened)->verify(
      [&](seq_t, const caf::error& err) { left.push_back(render(err)); });
  if (!found)
    return std::move(found.error());
  if (*found > 0)
    return damaged(path, "the repair left " + std::to_string(*found) +
                             " problems, the first: " + left.front());
  report.repaired = true;
  return report;
}

} // namespace tc
