// Damage to a log's other files: its metadata (CURRENT, MANIFEST, OPTIONS),
// its table files, and the marker and lease files of its own. Each is
// reported as damage (corrupt_record) naming the file, never as "not a log";
// a damaged table file with the events it holds. A folder that is not a log
// is still refused as one, and never modified.

#include "timecontrol/storage/event_store.hpp"

#include <boost/test/unit_test.hpp>

#include <rocksdb/db.h>

#include <map>

#include "tests/storage/damage_kit.hpp"
#include "tests/support/temp_dir.hpp"
#include "timecontrol/storage/detail/format.hpp"
#include "timecontrol/storage/detail/log_files.hpp"
#include "timecontrol/storage/detail/rocksdb_setup.hpp"
#include "timecontrol/storage/repair.hpp"

using namespace tc;
using namespace tc::test;

namespace {

// A log of three rounds of 200 events by a real process: the first two
// rounds' events in table files, the last round's in the WAL.
struct three_rounds {
  temp_dir dir;
  std::string pristine = dir / "pristine";
  std::string path = dir / "log";
  seq_t last = make_log(pristine, 3, 200);

  std::string copy() {
    copy_log(pristine, path);
    return path;
  }

  std::string file(const std::string& name) const { return path + "/" + name; }

  // The oldest table file that holds events.
  std::string event_table() const {
    for (auto& name : table_files(pristine)) {
      rocksdb::Options options;
      rocksdb::SstFileReader reader{options};
      BOOST_REQUIRE(reader.Open(pristine + "/" + name).ok());
      std::unique_ptr<rocksdb::Iterator> it{reader.NewIterator({})};
      it->Seek(format::event_key(1));
      if (it->Valid() && format::parse_event_key(it->key().ToString()))
        return name;
    }
    BOOST_FAIL("no table file of events");
    return {};
  }
};

// Every file of a folder with its bytes.
std::map<std::string, std::string> snapshot_of(const std::string& dir) {
  std::map<std::string, std::string> result;
  for (auto& entry : fs::recursive_directory_iterator{dir})
    if (entry.is_regular_file())
      result[entry.path().string()] = read_file(entry.path().string());
  return result;
}

std::vector<std::string> diagnosis(const std::string& path) {
  std::vector<std::string> found;
  auto n = event_store::diagnose(path, [&](seq_t, const caf::error& err) {
    found.push_back(render(err));
  });
  BOOST_REQUIRE_MESSAGE(n, (n ? "" : render(n.error())));
  BOOST_TEST(*n == found.size());
  return found;
}

bool any_mentions(const std::vector<std::string>& lines,
                  const std::string& text) {
  return std::any_of(lines.begin(), lines.end(), [&](auto& line) {
    return line.find(text) != std::string::npos;
  });
}

} // namespace

BOOST_AUTO_TEST_SUITE(storage_file_damage)

BOOST_AUTO_TEST_CASE(a_deleted_current_is_damage_not_a_foreign_folder) {
  three_rounds log;
  log.copy();
  fs::remove(log.file("CURRENT"));
  for (auto options : {store_options{}, store_options{.read_only = true}}) {
    auto err = open_error(log.path, options);
    BOOST_TEST(is(err, errc::corrupt_record), render(err));
    BOOST_TEST(mentions(err, "CURRENT (which names the log's MANIFEST) is "
                             "missing"),
               render(err));
  }
  BOOST_TEST(any_mentions(diagnosis(log.path), "CURRENT"));
}

BOOST_AUTO_TEST_CASE(a_manifest_truncated_to_nothing_is_damage) {
  three_rounds log;
  log.copy();
  auto manifest = files_in(log.path, [](const std::string& n) {
                    return n.starts_with("MANIFEST-");
                  }).back();
  truncate_file(log.file(manifest), 0);
  auto err = open_error(log.path);
  BOOST_TEST(is(err, errc::corrupt_record), render(err));
  BOOST_TEST(mentions(err, manifest + " (named by CURRENT) is empty"),
             render(err));
  // Half of it: what RocksDB says, as damage.
  log.copy();
  truncate_file(log.file(manifest), size_of(log.file(manifest)) / 2);
  err = open_error(log.path, {.read_only = true});
  BOOST_TEST(is(err, errc::corrupt_record), render(err));
}

BOOST_AUTO_TEST_CASE(a_current_that_names_no_manifest_is_damage) {
  three_rounds log;
  log.copy();
  write_file(log.file("CURRENT"), "MANIFEST-999999\n");
  auto err = open_error(log.path);
  BOOST_TEST(is(err, errc::corrupt_record));
  BOOST_TEST(mentions(err, "CURRENT names MANIFEST-999999, which is missing"),
             render(err));
  write_file(log.file("CURRENT"), "MANIFEST-00\x01"
                                  "1\n");
  err = open_error(log.path);
  BOOST_TEST(is(err, errc::corrupt_record));
  BOOST_TEST(mentions(err, "CURRENT is damaged"), render(err));
}

BOOST_AUTO_TEST_CASE(
    a_damaged_options_file_harms_no_event_and_is_only_a_warning) {
  // RocksDB never reads its OPTIONS files back: the log reads and writes as
  // before; verify reports the file, and a writer writes new ones.
  three_rounds log;
  log.copy();
  auto options = files_in(log.path, [](const std::string& n) {
                   return n.starts_with("OPTIONS-");
                 }).back();
  auto bytes = read_file(log.file(options));
  auto at = bytes.find("[CFOptions");
  BOOST_REQUIRE(at != std::string::npos);
  bytes[at] = '{';
  write_file(log.file(options), bytes);
  auto reader = open_or_fail(log.path, {.read_only = true});
  auto back = read_back(*reader);
  BOOST_TEST(!back.err);
  BOOST_TEST(back.exact);
  BOOST_TEST(back.seqs.size() == log.last);
  std::vector<std::string> problems;
  auto n = reader->verify(
      [&](seq_t, const caf::error& err) { problems.push_back(render(err)); });
  BOOST_REQUIRE(n);
  // A warning, not counted: verify exits 0 for it.
  BOOST_TEST(*n == 0u);
  BOOST_TEST(problems.size() == 1u);
  BOOST_TEST(any_mentions(problems, "warning, not counted as a problem: the "
                                    "options file " +
                                        options));
  reader.reset();
  // Nothing to repair, and the next writer removes it.
  auto report = repair_log(log.path);
  BOOST_REQUIRE(report);
  BOOST_TEST(!report->repaired);
  BOOST_TEST(fs::exists(log.file(options)));
  open_or_fail(log.path).reset();
  BOOST_TEST(!fs::exists(log.file(options)));
  auto after = open_or_fail(log.path, {.read_only = true});
  problems.clear();
  BOOST_TEST(*after->verify([&](seq_t, const caf::error& err) {
    problems.push_back(render(err));
  }) == 0u);
  BOOST_TEST(problems.empty());
}

BOOST_AUTO_TEST_CASE(a_damaged_data_block_names_its_table_file_and_events) {
  // Table files of 2000 events: many blocks, the damage in one in the
  // middle, which only a read of those events meets.
  temp_dir dir;
  auto pristine = dir / "pristine";
  auto path = dir / "log";
  auto total = make_log(pristine, 2, 2000);
  std::string table;
  seq_t first = 0;
  seq_t last = 0;
  for (auto& name : table_files(pristine)) {
    rocksdb::Options options;
    rocksdb::SstFileReader reader{options};
    BOOST_REQUIRE(reader.Open(pristine + "/" + name).ok());
    std::unique_ptr<rocksdb::Iterator> it{reader.NewIterator({})};
    for (it->SeekToFirst(); it->Valid(); it->Next())
      if (auto seq = format::parse_event_key(it->key().ToString())) {
        first = first == 0 ? *seq : first;
        last = *seq;
      }
    if (first != 0) {
      table = name;
      break;
    }
  }
  BOOST_REQUIRE(last > first + 1000);
  copy_log(pristine, path);
  flip_byte(path + "/" + table, size_of(path + "/" + table) / 3);
  auto store = open_or_fail(path, {.read_only = true});
  std::vector<seq_t> seen;
  auto err = store->replay({}, [&](const envelope& x) {
    seen.push_back(x.seq);
    return x == numbered_event(x.seq);
  });
  BOOST_TEST(is(err, errc::corrupt_record), render(err));
  BOOST_TEST(mentions(err, "table file " + table + " at offset "), render(err));
  auto range = "seq " + std::to_string(first) + ".." + std::to_string(last);
  BOOST_TEST(mentions(err, "it holds " + range), render(err));
  // What came before the damaged block came whole and in order.
  BOOST_REQUIRE(!seen.empty());
  auto good = seen.back();
  BOOST_TEST(good < last);
  BOOST_TEST(seen == seq_range_of(1, good));
  // A handler that skips it goes on after the file's last event.
  struct skipper : replay_handler {
    std::vector<seq_t> seen;
    std::vector<seq_t> problems;
    bool event(const envelope& x) override {
      seen.push_back(x.seq);
      return x == numbered_event(x.seq);
    }
    on_corrupt corrupt(seq_t seq, const caf::error&) override {
      problems.push_back(seq);
      return on_corrupt::skip;
    }
  } skip;
  BOOST_TEST(!store->replay({}, skip));
  BOOST_TEST(skip.problems == std::vector<seq_t>{good + 1});
  auto expected = seq_range_of(1, good);
  for (auto seq = last + 1; seq <= total; ++seq)
    expected.push_back(seq);
  BOOST_TEST(skip.seen == expected);
  // verify names the file once, with its events, and not each event.
  std::vector<std::pair<seq_t, std::string>> problems;
  auto n = store->verify([&](seq_t seq, const caf::error& e) {
    problems.emplace_back(seq, render(e));
  });
  BOOST_REQUIRE(n);
  BOOST_REQUIRE(*n == 1u);
  BOOST_TEST(problems[0].first == first);
  BOOST_TEST(problems[0].second.find("table file " + table) !=
             std::string::npos);
  BOOST_TEST(problems[0].second.find(range) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_table_file_that_does_not_open_is_damage_at_open) {
  three_rounds log;
  auto table = log.event_table();
  log.copy();
  // The footer, at the end of the file, which every open reads.
  flip_byte(log.file(table), size_of(log.file(table)) - 5);
  auto err = open_error(log.path);
  BOOST_TEST(is(err, errc::corrupt_record), render(err));
  BOOST_TEST(mentions(err, "table file " + table), render(err));
  auto found = diagnosis(log.path);
  BOOST_TEST(any_mentions(found, "table file " + table));
  // A missing table file, likewise.
  log.copy();
  fs::remove(log.file(table));
  err = open_error(log.path, {.read_only = true});
  BOOST_TEST(is(err, errc::corrupt_record), render(err));
  BOOST_TEST(mentions(err, table), render(err));
}

BOOST_AUTO_TEST_CASE(a_damaged_lease_stops_writers_but_not_readers) {
  three_rounds log;
  log.copy();
  auto lease = log.file(std::string{detail::lease_file});
  flip_byte(lease, size_of(lease) / 2);
  auto err = open_error(log.path);
  BOOST_TEST(is(err, errc::corrupt_record));
  BOOST_TEST(mentions(err, "the lease file TIMECONTROL-LEASE"), render(err));
  auto reader = open_or_fail(log.path, {.read_only = true});
  BOOST_TEST(read_back(*reader).exact);
  std::vector<std::string> problems;
  auto n = reader->verify(
      [&](seq_t, const caf::error& e) { problems.push_back(render(e)); });
  BOOST_REQUIRE(n);
  BOOST_TEST(*n == 1u);
  BOOST_TEST(any_mentions(problems, "TIMECONTROL-LEASE"));
  // A deleted lease of a log that has its marker: damage as well.
  log.copy();
  fs::remove(lease);
  BOOST_TEST(mentions(open_error(log.path), "TIMECONTROL-LEASE is missing"));
}

BOOST_AUTO_TEST_CASE(a_damaged_marker_is_damage) {
  three_rounds log;
  log.copy();
  auto marker = log.file(std::string{detail::marker_file});
  flip_byte(marker, 3);
  for (auto options : {store_options{}, store_options{.read_only = true}}) {
    auto err = open_error(log.path, options);
    BOOST_TEST(is(err, errc::corrupt_record));
    BOOST_TEST(mentions(err, "the marker file TIMECONTROL"), render(err));
  }
}

BOOST_AUTO_TEST_CASE(
    a_writer_adds_marker_and_lease_to_a_log_of_an_older_build) {
  three_rounds log;
  log.copy();
  fs::remove(log.file(std::string{detail::marker_file}));
  fs::remove(log.file(std::string{detail::lease_file}));
  {
    auto reader = open_or_fail(log.path, {.read_only = true});
    BOOST_TEST(read_back(*reader).exact);
  }
  BOOST_TEST(!fs::exists(log.file(std::string{detail::marker_file})));
  {
    auto writer = open_or_fail(log.path);
    BOOST_TEST(writer->last_seq() == log.last);
  }
  auto marker = read_file(log.file(std::string{detail::marker_file}));
  BOOST_TEST(!detail::check_marker(marker));
  auto lease = detail::decode_lease(
      read_file(log.file(std::string{detail::lease_file})));
  BOOST_REQUIRE(lease);
  BOOST_TEST(lease->high >= log.last);
  // With its marker now, its damaged metadata is damage.
  fs::remove(log.file("CURRENT"));
  BOOST_TEST(is(open_error(log.path), errc::corrupt_record));
}

BOOST_AUTO_TEST_CASE(
    an_older_log_without_marker_is_still_known_by_its_options) {
  // A log of an older build (no marker) whose CURRENT is gone: RocksDB's
  // files in it show timecontrol's options, so it is a damaged log.
  three_rounds log;
  log.copy();
  fs::remove(log.file(std::string{detail::marker_file}));
  fs::remove(log.file(std::string{detail::lease_file}));
  fs::remove(log.file("CURRENT"));
  auto err = open_error(log.path);
  BOOST_TEST(is(err, errc::corrupt_record), render(err));
}

BOOST_AUTO_TEST_CASE(a_foreign_rocksdb_database_is_refused_and_left_as_it_was) {
  temp_dir dir;
  auto path = dir / "db";
  {
    rocksdb::DB* db = nullptr;
    rocksdb::Options options;
    options.create_if_missing = true;
    BOOST_REQUIRE(rocksdb::DB::Open(options, path, &db).ok());
    BOOST_REQUIRE(db->Put({}, "user-key", "value").ok());
    delete db;
  }
  auto before = snapshot_of(path);
  for (auto options : {store_options{}, store_options{.read_only = true},
                       store_options{.follow = true}}) {
    auto err = open_error(path, options);
    BOOST_TEST(is(err, errc::not_a_log), render(err));
  }
  auto found = event_store::diagnose(path, [](seq_t, const caf::error&) {});
  BOOST_TEST(!found);
  BOOST_TEST((snapshot_of(path) == before));
  // Damaged, it is still not ours.
  fs::remove(path + "/CURRENT");
  auto damaged = snapshot_of(path);
  BOOST_TEST(is(open_error(path), errc::not_a_log));
  BOOST_TEST(is(open_error(path, {.read_only = true}), errc::not_a_log));
  BOOST_TEST((snapshot_of(path) == damaged));
}

BOOST_AUTO_TEST_CASE(
    a_foreign_database_with_an_index_family_is_refused_and_left_as_it_was) {
  // Another application's database that happens to have a column family
  // named "index", with a write in its WAL: a writer's open of it would
  // flush the WAL into a table file and rewrite MANIFEST, OPTIONS and LOG.
  temp_dir dir;
  auto path = dir / "db";
  {
    rocksdb::Options options;
    options.create_if_missing = true;
    options.create_missing_column_families = true;
    std::vector<rocksdb::ColumnFamilyDescriptor> families{
        {rocksdb::kDefaultColumnFamilyName, {}}, {"index", {}}};
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    BOOST_REQUIRE(
        rocksdb::DB::Open(options, path, families, &handles, &db).ok());
    BOOST_REQUIRE(db->Put({}, "user-key", "value").ok());
    BOOST_REQUIRE(db->Put({}, handles[1], "their-index", "entry").ok());
    for (auto* h : handles)
      db->DestroyColumnFamilyHandle(h);
    delete db;
  }
  BOOST_REQUIRE(!wal_files(path).empty());
  auto before = snapshot_of(path);
  for (auto options : {store_options{}, store_options{.read_only = true},
                       store_options{.follow = true}, store_options{}}) {
    auto err = open_error(path, options);
    BOOST_TEST(is(err, errc::not_a_log), render(err));
    BOOST_TEST((snapshot_of(path) == before));
  }
  BOOST_TEST(!event_store::diagnose(path, [](seq_t, const caf::error&) {}));
  BOOST_TEST((snapshot_of(path) == before));
}

BOOST_AUTO_TEST_CASE(
    an_older_builds_interrupted_creation_gets_a_clear_message) {
  // What an older build left when it was killed while creating a log: the
  // files of RocksDB's first moments, no CURRENT, no events.
  temp_dir dir;
  auto path = dir / "log";
  {
    auto setup = detail::make_rocksdb_setup();
    setup.db.create_if_missing = true;
    rocksdb::DB* db = nullptr;
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    BOOST_REQUIRE(
        rocksdb::DB::Open(setup.db, path,
                          {{rocksdb::kDefaultColumnFamilyName, setup.family}},
                          &handles, &db)
            .ok());
    for (auto* h : handles)
      db->DestroyColumnFamilyHandle(h);
    delete db;
  }
  auto second = dir / "log2";
  copy_log(path, second);
  // 1. No CURRENT: only IDENTITY, LOCK, LOG and the first MANIFEST.
  for (auto& name : files_in(path, [](const std::string& n) {
         return n != "IDENTITY" && n != "LOCK" && n != "LOG" &&
                !n.starts_with("MANIFEST-");
       }))
    fs::remove(path + "/" + name);
  for (auto options : {store_options{}, store_options{.read_only = true}}) {
    auto err = open_error(path, options);
    BOOST_TEST(is(err, errc::not_a_log), render(err));
    BOOST_TEST(mentions(err, "an interrupted creation of a log by an older "
                             "timecontrol"),
               render(err));
    BOOST_TEST(mentions(err, "remove the folder"), render(err));
  }
  // 2. CURRENT, but only the default column family: likewise.
  auto err = open_error(second);
  BOOST_TEST(is(err, errc::not_a_log), render(err));
  BOOST_TEST(mentions(err, "interrupted creation"), render(err));
}

BOOST_AUTO_TEST_SUITE_END()
