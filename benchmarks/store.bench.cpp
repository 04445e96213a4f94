// bench.store: the event store, side by side with its baselines, on the same
// events (a mix of call_finished, intent_fired and deadline_missed, about 150
// bytes encoded; the exact mean is printed as "bytes/event").
//
//   append_buffered/B      tc store, durability::buffered, batches of B
//   raw_rocksdb_buffered/B raw rocksdb::WriteBatch puts of the same encoded
//                          records (key = seq), no fsync: the ceiling
//   append_sync_threads    tc store, durability::sync, every thread appends
//                          single events; group commit shares fsyncs
//   raw_rocksdb_sync_threads  raw RocksDB sync Put of single records from
//                          every thread (RocksDB's own write grouping)
//   append_sync/B          tc store, durability::sync, batches of B
//   sqlite_insert/B        SQLite (WAL, synchronous=NORMAL), one transaction
//                          per batch of B, with indexes on source and type
//                          like the store's
//   sqlite_insert_sync/B   the same with synchronous=FULL (fsync per commit)
//   replay                 tc store: decode and visit 1M events in order
//   raw_rocksdb_scan       raw iterator over the same 1M records
//   sqlite_scan            SELECT of the same 1M records in order
//   lease_extension        one extension of the lease (TIMECONTROL-LEASE
//                          replaced: write, fsync, rename, fsync of the
//                          folder); a writer does one per 2^20 events
//   open_reading           tc store: open a log whose WAL holds 500k events
//                          (about 70 MB) for reading (read-only, no writer):
//                          our WAL reader, then RocksDB's open
//   raw_open_reading       RocksDB's read-only open of the same log with the
//                          same options, without the store's checks
//   wal_scan               our WAL reader alone over the same WAL
//   create_log             tc store: create a new log (built in a temporary
//                          folder, renamed into place, opened)
//   raw_create             RocksDB: create the same database in place (both
//                          families, the header) and open it
//
// Counters: events/s (rate), and for sync runs events/fsync (= events per
// storage write, each of which is one fsync in sync mode).
//
// Run: build/benchmarks/bench.store [--benchmark_filter=...]
// Data goes to $TC_BENCH_DIR (default: /tmp/timecontrol-bench), removed
// afterwards.

#include <benchmark/benchmark.h>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <sqlite3.h>

#include <atomic>
#include <filesystem>
#include <random>

#include "timecontrol/events/codec.hpp"
#include "timecontrol/storage/detail/format.hpp"
#include "timecontrol/storage/detail/log_files.hpp"
#include "timecontrol/storage/detail/rocksdb_setup.hpp"
#include "timecontrol/storage/detail/wal_scan.hpp"
#include "timecontrol/storage/event_store.hpp"

namespace fs = std::filesystem;
using namespace tc;

namespace {

// -- the shared data ----------------------------------------------------------

const fs::path& bench_dir() {
  static const fs::path dir = [] {
    auto env = std::getenv("TC_BENCH_DIR");
    fs::path p = env ? env : "/tmp/timecontrol-bench";
    fs::remove_all(p);
    fs::create_directories(p);
    return p;
  }();
  return dir;
}

// A pool of events, reused round robin.
const std::vector<envelope>& pool() {
  static const std::vector<envelope> events = [] {
    std::mt19937_64 rng{42};
    std::uniform_int_distribution<int> len{60, 140};
    std::vector<envelope> result;
    auto t = from_nanos(1'795'680'000'000'000'000);
    for (int i = 0; i < 4096; ++i) {
      auto source = "command-" + std::to_string(i % 50);
      t += std::chrono::microseconds{rng() % 1000};
      switch (i % 4) {
        case 0:
        case 1:
          result.push_back(
              {0, t, source,
               call_finished{uint64_t(i), duration{int64_t(rng() % 10'000'000)},
                             i % 3 != 0, std::string(len(rng), 'e')}});
          break;
        case 2:
          result.push_back(
              {0, t, source,
               intent_fired{uint64_t(i), t, std::string(len(rng), 'a')}});
          break;
        default:
          result.push_back(
              {0, t, "controller",
               deadline_missed{source + "/" + std::string(len(rng) / 2, 'c'),
                               duration{int64_t(rng() % 1'000'000'000)}}});
      }
    }
    return result;
  }();
  return events;
}

// The same events encoded, as the raw baselines write them.
const std::vector<std::string>& encoded_pool() {
  static const std::vector<std::string> records = [] {
    std::vector<std::string> result;
    for (auto& x : pool())
      result.push_back(codec::encode(x));
    return result;
  }();
  return records;
}

double mean_record_bytes() {
  double total = 0;
  for (auto& r : encoded_pool())
    total += static_cast<double>(r.size());
  return total / static_cast<double>(encoded_pool().size());
}

std::unique_ptr<event_store> open_store(const std::string& name,
                                        durability mode) {
  auto path = (bench_dir() / name).string();
  fs::remove_all(path);
  auto store = event_store::open(path, {.mode = mode});
  if (!store) {
    fprintf(stderr, "%s\n", render(store.error()).c_str());
    std::abort();
  }
  return std::move(*store);
}

rocksdb::DB* open_raw(const std::string& name, bool fresh = true) {
  auto path = (bench_dir() / name).string();
  if (fresh)
    fs::remove_all(path);
  rocksdb::Options options;
  options.create_if_missing = true;
  options.IncreaseParallelism(2);
  options.max_background_jobs = 2;
  rocksdb::DB* db = nullptr;
  if (!rocksdb::DB::Open(options, path, &db).ok())
    std::abort();
  return db;
}

void set_rates(benchmark::State& state, uint64_t events) {
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(events),
                                                  benchmark::Counter::kIsRate);
  state.counters["bytes/event"] = mean_record_bytes();
}

// -- appends ------------------------------------------------------------------

// The pool cut into batches of `size`, built before the timed loop.
std::vector<std::vector<envelope>> make_batches(size_t size) {
  std::vector<std::vector<envelope>> result(
      std::max<size_t>(1, pool().size() / size));
  size_t next = 0;
  for (auto& batch : result)
    for (size_t i = 0; i < size; ++i)
      batch.push_back(pool()[next++ % pool().size()]);
  return result;
}

void append_batches(benchmark::State& state, durability mode) {
  auto store = open_store("append", mode);
  auto batches = make_batches(static_cast<size_t>(state.range(0)));
  size_t next = 0;
  uint64_t events = 0;
  for (auto _ : state) {
    auto& batch = batches[next++ % batches.size()];
    auto range = store->append(batch);
    if (!range)
      state.SkipWithError(render(range.error()).c_str());
    events += batch.size();
  }
  set_rates(state, events);
  auto stats = store->stats();
  state.counters["events/fsync"] = mode == durability::sync
                                       ? static_cast<double>(stats.events) /
                                             static_cast<double>(stats.writes)
                                       : 0;
}

void append_buffered(benchmark::State& state) {
  append_batches(state, durability::buffered);
}
BENCHMARK(append_buffered)->Arg(1)->Arg(100)->Arg(1000);

void append_sync(benchmark::State& state) {
  append_batches(state, durability::sync);
}
BENCHMARK(append_sync)->Arg(100)->Arg(1000);

void raw_rocksdb_buffered(benchmark::State& state) {
  std::unique_ptr<rocksdb::DB> db{open_raw("raw")};
  auto batch_size = static_cast<size_t>(state.range(0));
  rocksdb::WriteOptions options;
  uint64_t seq = 0;
  for (auto _ : state) {
    rocksdb::WriteBatch batch;
    for (size_t i = 0; i < batch_size; ++i) {
      ++seq;
      batch.Put(format::event_key(seq),
                encoded_pool()[seq % encoded_pool().size()]);
    }
    if (!db->Write(options, &batch).ok())
      state.SkipWithError("write failed");
  }
  set_rates(state, seq);
}
BENCHMARK(raw_rocksdb_buffered)->Arg(1)->Arg(100)->Arg(1000);

// Many threads, one event per append, sync mode: group commit at work.
std::unique_ptr<event_store> shared_store;
store_stats shared_before;

void append_sync_threads(benchmark::State& state) {
  if (state.thread_index() == 0) {
    shared_store = open_store("threads", durability::sync);
    shared_before = shared_store->stats();
  }
  // Google Benchmark starts the timed loop of all threads together, after
  // thread 0's set-up above.
  size_t next = static_cast<size_t>(state.thread_index()) * 997;
  uint64_t events = 0;
  std::vector<envelope> mine{pool().begin(), pool().begin() + 64};
  for (auto _ : state) {
    auto& x = mine[next++ % mine.size()];
    if (!shared_store->append(x))
      state.SkipWithError("append failed");
    ++events;
  }
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(events),
                                                  benchmark::Counter::kIsRate);
  if (state.thread_index() == 0) {
    // Only thread 0 reports these, so the sums over threads stay right.
    auto stats = shared_store->stats();
    state.counters["bytes/event"] = mean_record_bytes();
    state.counters["events/fsync"] =
        static_cast<double>(stats.events - shared_before.events) /
        static_cast<double>(stats.writes - shared_before.writes);
    shared_store.reset();
  }
}
BENCHMARK(append_sync_threads)->Threads(8)->Threads(64)->UseRealTime();

rocksdb::DB* shared_raw = nullptr;

void raw_rocksdb_sync_threads(benchmark::State& state) {
  static std::atomic<uint64_t> seq{0};
  if (state.thread_index() == 0)
    shared_raw = open_raw("raw-threads");
  rocksdb::WriteOptions options;
  options.sync = true;
  uint64_t events = 0;
  for (auto _ : state) {
    auto s = ++seq;
    if (!shared_raw
             ->Put(options, format::event_key(s),
                   encoded_pool()[s % encoded_pool().size()])
             .ok())
      state.SkipWithError("put failed");
    ++events;
  }
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(events),
                                                  benchmark::Counter::kIsRate);
  if (state.thread_index() == 0) {
    state.counters["bytes/event"] = mean_record_bytes();
    delete shared_raw;
    shared_raw = nullptr;
  }
}
BENCHMARK(raw_rocksdb_sync_threads)->Threads(8)->Threads(64)->UseRealTime();

// -- SQLite -------------------------------------------------------------------

sqlite3* open_sqlite(const std::string& name, const char* synchronous) {
  auto path = (bench_dir() / name).string();
  fs::remove(path);
  fs::remove(path + "-wal");
  fs::remove(path + "-shm");
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK)
    std::abort();
  auto pragmas = std::string{"PRAGMA journal_mode=WAL; PRAGMA synchronous="} +
                 synchronous + ";";
  sqlite3_exec(db, pragmas.c_str(), nullptr, nullptr, nullptr);
  sqlite3_exec(db,
               "CREATE TABLE events (seq INTEGER PRIMARY KEY, source TEXT, "
               "type INTEGER, record BLOB);"
               "CREATE INDEX by_source ON events (source, seq);"
               "CREATE INDEX by_type ON events (type, seq);",
               nullptr, nullptr, nullptr);
  return db;
}

void sqlite_insert_batches(benchmark::State& state, const char* synchronous) {
  auto db = open_sqlite("sqlite.db", synchronous);
  sqlite3_stmt* insert = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO events VALUES (?, ?, ?, ?)", -1, &insert,
                     nullptr);
  auto batch_size = static_cast<size_t>(state.range(0));
  int64_t seq = 0;
  for (auto _ : state) {
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    for (size_t i = 0; i < batch_size; ++i) {
      ++seq;
      auto k = static_cast<size_t>(seq) % pool().size();
      const auto& x = pool()[k];
      const auto& record = encoded_pool()[k];
      sqlite3_bind_int64(insert, 1, seq);
      sqlite3_bind_text(insert, 2, x.source.data(),
                        static_cast<int>(x.source.size()), SQLITE_STATIC);
      sqlite3_bind_int(insert, 3, static_cast<int>(x.type()));
      sqlite3_bind_blob(insert, 4, record.data(),
                        static_cast<int>(record.size()), SQLITE_STATIC);
      if (sqlite3_step(insert) != SQLITE_DONE)
        state.SkipWithError(sqlite3_errmsg(db));
      sqlite3_reset(insert);
    }
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  }
  sqlite3_finalize(insert);
  sqlite3_close(db);
  set_rates(state, static_cast<uint64_t>(seq));
}

void sqlite_insert(benchmark::State& state) {
  sqlite_insert_batches(state, "NORMAL");
}
BENCHMARK(sqlite_insert)->Arg(1)->Arg(100)->Arg(1000);

void sqlite_insert_sync(benchmark::State& state) {
  sqlite_insert_batches(state, "FULL");
}
BENCHMARK(sqlite_insert_sync)->Arg(100)->Arg(1000);

// -- replay -------------------------------------------------------------------

constexpr size_t replay_events = 1'000'000;

// Builds the replay data set once: a tc log and a SQLite table of the same
// records.
void build_replay_data() {
  static bool built = false;
  if (built)
    return;
  built = true;
  {
    auto store = open_store("replay", durability::buffered);
    auto db = open_sqlite("replay.db", "OFF");
    sqlite3_stmt* insert = nullptr;
    sqlite3_prepare_v2(db, "INSERT INTO events VALUES (?, ?, ?, ?)", -1,
                       &insert, nullptr);
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    std::vector<envelope> batch;
    for (size_t i = 0; i < replay_events; ++i) {
      batch.push_back(pool()[i % pool().size()]);
      if (batch.size() == 1000) {
        if (!store->append(batch))
          std::abort();
        for (auto& x : batch) {
          auto record = codec::encode(x);
          sqlite3_bind_int64(insert, 1, static_cast<int64_t>(x.seq));
          sqlite3_bind_text(insert, 2, x.source.data(),
                            static_cast<int>(x.source.size()), SQLITE_STATIC);
          sqlite3_bind_int(insert, 3, static_cast<int>(x.type()));
          sqlite3_bind_blob(insert, 4, record.data(),
                            static_cast<int>(record.size()), SQLITE_TRANSIENT);
          sqlite3_step(insert);
          sqlite3_reset(insert);
        }
        batch.clear();
      }
    }
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    sqlite3_finalize(insert);
    sqlite3_close(db);
  }
}

void replay(benchmark::State& state) {
  build_replay_data();
  auto opened = event_store::open((bench_dir() / "replay").string(), {});
  if (!opened)
    std::abort();
  auto& store = **opened;
  uint64_t events = 0;
  for (auto _ : state) {
    uint64_t sum = 0;
    auto err = store.replay({}, [&](const envelope& x) {
      sum += x.seq;
      ++events;
      return true;
    });
    if (err)
      state.SkipWithError(render(err).c_str());
    benchmark::DoNotOptimize(sum);
  }
  set_rates(state, events);
}
BENCHMARK(replay)->Unit(benchmark::kMillisecond);

void raw_rocksdb_scan(benchmark::State& state) {
  build_replay_data();
  // The tc log has two column families; the records are in the default one.
  auto path = (bench_dir() / "replay").string();
  std::vector<std::string> names;
  rocksdb::DB::ListColumnFamilies({}, path, &names);
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (auto& name : names)
    families.emplace_back(name, rocksdb::ColumnFamilyOptions{});
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  if (!rocksdb::DB::Open({}, path, families, &handles, &raw).ok())
    std::abort();
  std::unique_ptr<rocksdb::DB> db{raw};
  uint64_t events = 0;
  for (auto _ : state) {
    rocksdb::ReadOptions options;
    options.readahead_size = 2 * 1024 * 1024;
    options.fill_cache = false;
    std::string upper = "f";
    rocksdb::Slice upper_slice{upper};
    options.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it{db->NewIterator(options)};
    uint64_t bytes = 0;
    for (it->Seek("e"); it->Valid(); it->Next()) {
      bytes += it->value().size() + it->key().size();
      ++events;
    }
    benchmark::DoNotOptimize(bytes);
  }
  set_rates(state, events);
  for (auto* handle : handles)
    db->DestroyColumnFamilyHandle(handle);
}
BENCHMARK(raw_rocksdb_scan)->Unit(benchmark::kMillisecond);

void sqlite_scan(benchmark::State& state) {
  build_replay_data();
  sqlite3* db = nullptr;
  sqlite3_open((bench_dir() / "replay.db").string().c_str(), &db);
  sqlite3_stmt* select = nullptr;
  sqlite3_prepare_v2(db, "SELECT seq, record FROM events ORDER BY seq", -1,
                     &select, nullptr);
  uint64_t events = 0;
  for (auto _ : state) {
    uint64_t bytes = 0;
    while (sqlite3_step(select) == SQLITE_ROW) {
      bytes += static_cast<uint64_t>(sqlite3_column_bytes(select, 1));
      ++events;
    }
    sqlite3_reset(select);
    benchmark::DoNotOptimize(bytes);
  }
  sqlite3_finalize(select);
  sqlite3_close(db);
  set_rates(state, events);
}
BENCHMARK(sqlite_scan)->Unit(benchmark::kMillisecond);

// -- the lease and opening ----------------------------------------------------

void lease_extension(benchmark::State& state) {
  auto dir = (bench_dir() / "lease").string();
  fs::create_directories(dir);
  seq_t high = 0;
  for (auto _ : state) {
    high += detail::lease_step;
    if (auto err = detail::write_file_atomically(dir, detail::lease_file,
                                                 detail::encode_lease(high)))
      state.SkipWithError(render(err).c_str());
  }
  state.counters["events/extension"] = static_cast<double>(detail::lease_step);
}
BENCHMARK(lease_extension)->Unit(benchmark::kMicrosecond);

constexpr size_t open_events = 500'000;

// A log whose events are all in its WAL (one writer, never reopened).
std::string open_data() {
  static const std::string path = [] {
    auto store = open_store("open", durability::buffered);
    std::vector<envelope> batch;
    for (size_t i = 0; i < open_events; ++i) {
      batch.push_back(pool()[i % pool().size()]);
      if (batch.size() == 1000) {
        if (!store->append(batch))
          std::abort();
        batch.clear();
      }
    }
    return store->path();
  }();
  return path;
}

void open_reading(benchmark::State& state) {
  auto path = open_data();
  for (auto _ : state) {
    auto store = event_store::open(
        path, {.create_if_missing = false, .read_only = true});
    if (!store || (*store)->last_seq() != open_events)
      state.SkipWithError("open failed");
  }
  state.counters["wal bytes"] = static_cast<double>(
      fs::file_size(fs::path{path} / detail::wal_files_in(path).back()));
}
BENCHMARK(open_reading)->Unit(benchmark::kMillisecond);

void raw_open_reading(benchmark::State& state) {
  auto path = open_data();
  for (auto _ : state) {
    auto setup = detail::make_rocksdb_setup();
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    if (!rocksdb::DB::OpenForReadOnly(setup.db, path, setup.families(),
                                      &handles, &db)
             .ok())
      state.SkipWithError("open failed");
    for (auto* handle : handles)
      db->DestroyColumnFamilyHandle(handle);
    delete db;
  }
}
BENCHMARK(raw_open_reading)->Unit(benchmark::kMillisecond);

void wal_scan(benchmark::State& state) {
  auto path = open_data();
  for (auto _ : state) {
    auto scans = detail::scan_wal_files(path);
    if (scans.empty() || scans.back().last_event != open_events)
      state.SkipWithError("scan failed");
  }
}
BENCHMARK(wal_scan)->Unit(benchmark::kMillisecond);

void create_log(benchmark::State& state) {
  auto path = (bench_dir() / "create").string();
  for (auto _ : state) {
    state.PauseTiming();
    fs::remove_all(path);
    state.ResumeTiming();
    auto store = event_store::open(path, {.mode = durability::buffered});
    if (!store)
      state.SkipWithError(render(store.error()).c_str());
  }
}
BENCHMARK(create_log)->Unit(benchmark::kMillisecond);

void raw_create(benchmark::State& state) {
  auto path = (bench_dir() / "create-raw").string();
  for (auto _ : state) {
    state.PauseTiming();
    fs::remove_all(path);
    state.ResumeTiming();
    auto setup = detail::make_rocksdb_setup();
    setup.db.create_if_missing = true;
    setup.db.create_missing_column_families = true;
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    if (!rocksdb::DB::Open(setup.db, path, setup.families(), &handles, &db)
             .ok())
      state.SkipWithError("create failed");
    rocksdb::WriteOptions sync;
    sync.sync = true;
    db->Put(sync, format::meta_key, format::meta_value())
        .PermitUncheckedError();
    for (auto* handle : handles)
      db->DestroyColumnFamilyHandle(handle);
    delete db;
  }
}
BENCHMARK(raw_create)->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
