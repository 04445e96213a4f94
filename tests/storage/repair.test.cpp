// Repair (tc::repair_log) salvages a damaged log: it keeps every readable
// event exactly, reports exactly which events are lost and which numbers
// are skipped, records a log_repaired event, and numbers on past every
// sequence number the log may have handed out, so that no number ever names
// a second event. Readers then skip the declared numbers without an error.

#include "timecontrol/storage/repair.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <map>
#include <random>
#include <thread>

#include "tests/storage/damage_kit.hpp"
#include "tests/storage/raw_log.hpp"
#include "tests/support/temp_dir.hpp"
#include "timecontrol/core/coding.hpp"
#include "timecontrol/storage/detail/format.hpp"
#include "timecontrol/storage/detail/log_files.hpp"
#include "timecontrol/storage/detail/wal_scan.hpp"

using namespace tc;
using namespace tc::test;

namespace {

std::map<std::string, std::string> files_of(const std::string& dir) {
  std::map<std::string, std::string> result;
  for (auto& entry : fs::recursive_directory_iterator{dir})
    if (entry.is_regular_file())
      result[entry.path().string()] = read_file(entry.path().string());
  return result;
}

repair_report repaired(const std::string& path) {
  auto report = repair_log(path);
  BOOST_REQUIRE_MESSAGE(report, (report ? "" : render(report.error())));
  BOOST_REQUIRE(report->repaired);
  return std::move(*report);
}

bool in(const std::vector<seq_range>& ranges, seq_t seq) {
  return std::any_of(ranges.begin(), ranges.end(),
                     [&](auto& r) { return seq >= r.first && seq <= r.last; });
}

// The log after a repair: every number up to `last_written` is an exact
// event or declared lost or skipped, the log_repaired event says so, and a
// writer numbers on past everything.
void check_repaired(const std::string& path, const repair_report& report,
                    seq_t last_written) {
  auto store = open_or_fail(path);
  BOOST_TEST(store->last_seq() == report.repaired_at);
  BOOST_TEST(report.repaired_at > last_written);
  std::vector<seq_t> seen;
  bool exact = true;
  envelope repair_event;
  auto err = store->replay({}, [&](const envelope& x) {
    seen.push_back(x.seq);
    if (x.seq == report.repaired_at)
      repair_event = x;
    else
      exact = exact && x == numbered_event(x.seq);
    return true;
  });
  BOOST_TEST(!err, render(err));
  BOOST_TEST(exact);
  std::vector<seq_t> expected;
  for (seq_t seq = 1; seq <= last_written; ++seq)
    if (!in(report.lost, seq) && !in(report.skipped, seq))
      expected.push_back(seq);
  expected.push_back(report.repaired_at);
  BOOST_TEST(seen == expected);
  BOOST_TEST(report.kept == expected.size() - 1);
  auto* body = std::get_if<log_repaired>(&repair_event.body);
  BOOST_REQUIRE(body != nullptr);
  BOOST_TEST(repair_event.source == "repair");
  BOOST_TEST(body->lost == to_ranges(report.lost));
  BOOST_TEST(body->skipped == to_ranges(report.skipped));
  // The same, for readers that ask.
  std::vector<repaired_loss> declared;
  for (auto& r : report.lost)
    declared.push_back({r.first, r.last, true, report.repaired_at});
  for (auto& r : report.skipped)
    declared.push_back({r.first, r.last, false, report.repaired_at});
  std::sort(declared.begin(), declared.end(),
            [](auto& a, auto& b) { return a.first < b.first; });
  BOOST_TEST((store->losses() == declared));
  for (auto& r : report.lost) {
    auto x = store->get(r.first);
    BOOST_REQUIRE(!x);
    BOOST_TEST(is(x.error(), errc::not_found));
    BOOST_TEST(mentions(x.error(), "it was lost"), render(x.error()));
  }
  // verify: no problem; the index was rebuilt.
  auto problems = store->verify(
      [](seq_t, const caf::error& e) { BOOST_TEST_MESSAGE(render(e)); });
  BOOST_REQUIRE(problems);
  BOOST_TEST(*problems == 0u);
  std::vector<seq_t> by_source;
  BOOST_TEST(!store->replay({.source = "source-1"}, [&](const envelope& x) {
    by_source.push_back(x.seq);
    return true;
  }));
  std::vector<seq_t> source_1;
  for (auto seq : expected)
    if (seq != report.repaired_at && seq % 5 == 1)
      source_1.push_back(seq);
  BOOST_TEST(by_source == source_1);
  // Appending numbers on after the repair.
  auto x = numbered_event(report.repaired_at + 1);
  auto seq = store->append(x);
  BOOST_REQUIRE(seq);
  BOOST_TEST(*seq == report.repaired_at + 1);
}

// A log of one round of 300 events (in the WAL), the writes of its WAL.
struct wal_log {
  temp_dir dir;
  std::string path = dir / "log";
  seq_t last = make_log(path, 1, 300);
  std::string wal = wal_files(path).back();
  std::vector<detail::wal_batch> batches;

  wal_log() {
    detail::scan_wal_file(path, wal,
                          [&](const detail::wal_batch& b, std::string_view) {
                            if (b.first_event != 0)
                              batches.push_back(b);
                          });
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(storage_repair)

BOOST_AUTO_TEST_CASE(a_sound_log_has_nothing_to_repair_and_is_left_as_it_is) {
  temp_dir dir;
  auto path = dir / "log";
  make_log(path, 2, 100);
  auto before = files_of(path);
  auto report = repair_log(path);
  BOOST_REQUIRE(report);
  BOOST_TEST(!report->repaired);
  BOOST_TEST(report->damage.empty());
  BOOST_TEST((files_of(path) == before));
}

BOOST_AUTO_TEST_CASE(a_damaged_wal_write_loses_exactly_its_events) {
  wal_log log;
  auto& victim = log.batches[log.batches.size() / 2];
  flip_byte(log.path + "/" + log.wal, victim.offset + 7 + 12);
  BOOST_REQUIRE(is(open_error(log.path), errc::corrupt_record));
  auto report = repaired(log.path);
  // RocksDB's own repair drops the rest of the 32 KiB block (and, before the
  // index family has a table file, every write of the WAL); the salvage
  // puts back everything but the damaged write.
  BOOST_TEST(report.lost ==
             (std::vector<seq_range>{{victim.first_event, victim.last_event}}));
  // The log was closed cleanly at its last event: no number past it was
  // handed out, none is skipped.
  BOOST_TEST(report.skipped.empty());
  BOOST_TEST(report.repaired_at == log.last + 1);
  BOOST_TEST(report.damage.size() == 1u);
  BOOST_TEST(report.damage[0].find(log.wal + " at offset " +
                                   std::to_string(victim.offset)) !=
                 std::string::npos,
             report.damage[0]);
  BOOST_TEST(fs::exists(report.kept_files + "/" + log.wal));
  check_repaired(log.path, report, log.last);
}

BOOST_AUTO_TEST_CASE(a_lost_tail_is_skipped_and_never_numbered_again) {
  // The last write of events is damaged, and the writer had crashed (its
  // lease is not clean): its events were handed out, and how many is not
  // known. The lease knows how far numbers went.
  wal_log log;
  auto& victim = log.batches.back();
  flip_byte(log.path + "/" + log.wal, victim.offset + 7 + 12);
  auto lease = log.last + detail::lease_step; // as a running writer keeps it
  write_file(log.path + "/" + std::string{detail::lease_file},
             detail::encode_lease(lease));
  auto report = repaired(log.path);
  BOOST_TEST(report.lost.empty());
  BOOST_REQUIRE(report.skipped.size() == 1u);
  BOOST_TEST(report.skipped[0].first == victim.first_event);
  BOOST_TEST(report.skipped[0].last == lease);
  BOOST_TEST(report.repaired_at == lease + 1);
  check_repaired(log.path, report, log.last);
}

BOOST_AUTO_TEST_CASE(a_lost_tail_of_a_cleanly_closed_log_is_lost_not_skipped) {
  // The writer closed the log cleanly after the damaged write: its events
  // were stored, and the lease says up to where.
  wal_log log;
  auto& victim = log.batches.back();
  flip_byte(log.path + "/" + log.wal, victim.offset + 7 + 12);
  auto report = repaired(log.path);
  BOOST_TEST(report.lost ==
             (std::vector<seq_range>{{victim.first_event, log.last}}));
  BOOST_TEST(report.skipped.empty());
  BOOST_TEST(report.repaired_at == log.last + 1);
  check_repaired(log.path, report, log.last);
}

BOOST_AUTO_TEST_CASE(a_damaged_table_block_loses_only_its_events) {
  temp_dir dir;
  auto path = dir / "log";
  auto last = make_log(path, 2, 2000);
  std::string table;
  seq_t first = 0;
  seq_t end = 0;
  for (auto& name : table_files(path)) {
    rocksdb::Options options;
    rocksdb::SstFileReader reader{options};
    BOOST_REQUIRE(reader.Open(path + "/" + name).ok());
    std::unique_ptr<rocksdb::Iterator> it{reader.NewIterator({})};
    for (it->Seek(format::event_key(1)); it->Valid(); it->Next())
      if (auto seq = format::parse_event_key(it->key().ToString())) {
        first = first == 0 ? *seq : first;
        end = *seq;
      }
    if (first != 0) {
      table = name;
      break;
    }
  }
  BOOST_REQUIRE(end > first + 1000);
  flip_byte(path + "/" + table, size_of(path + "/" + table) / 3);
  auto report = repaired(path);
  // RocksDB's repair drops the whole table file; the salvage reads it
  // around the damaged block.
  BOOST_REQUIRE(report.lost.size() == 1u);
  auto lost = report.lost[0].last - report.lost[0].first + 1;
  BOOST_TEST(lost < 200u); // one block, not the file's 2000 events
  BOOST_TEST(report.lost[0].first > first);
  BOOST_TEST(report.lost[0].last < end);
  BOOST_TEST(report.salvaged > 1000u);
  check_repaired(path, report, last);
}

BOOST_AUTO_TEST_CASE(broken_metadata_is_rebuilt_and_nothing_lost) {
  for (auto damage : {"no CURRENT", "empty MANIFEST"}) {
    BOOST_TEST_CONTEXT(damage) {
      temp_dir dir;
      auto path = dir / "log";
      auto last = make_log(path, 3, 200);
      if (std::string{damage} == "no CURRENT") {
        fs::remove(path + "/CURRENT");
      } else {
        auto manifest = files_in(path, [](const std::string& n) {
                          return n.starts_with("MANIFEST-");
                        }).back();
        truncate_file(path + "/" + manifest, 0);
      }
      auto report = repaired(path);
      BOOST_TEST(report.lost.empty());
      check_repaired(path, report, last);
    }
  }
}

BOOST_AUTO_TEST_CASE(damaged_records_and_index_entries_are_repaired) {
  temp_dir dir;
  auto path = dir / "log";
  auto last = make_log(path, 2, 100);
  {
    test::raw_log raw{path};
    auto value = raw.get(format::event_key(7));
    value.back() ^= 1;
    raw.put(format::event_key(7), value);
    std::unique_ptr<rocksdb::Iterator> it{
        raw.db().NewIterator({}, raw.index())};
    it->SeekToFirst();
    BOOST_REQUIRE(it->Valid());
    BOOST_REQUIRE(raw.db().Delete({}, raw.index(), it->key()).ok());
  }
  auto report = repaired(path);
  BOOST_TEST(report.lost == (std::vector<seq_range>{{7, 7}}));
  check_repaired(path, report, last);
}

BOOST_AUTO_TEST_CASE(a_second_repair_keeps_the_first_ones_numbers) {
  wal_log log;
  auto& victim = log.batches[log.batches.size() / 2];
  flip_byte(log.path + "/" + log.wal, victim.offset + 7 + 12);
  auto first = repaired(log.path);
  // More events, then damage again: the newest WAL's first write.
  {
    auto store = open_or_fail(log.path);
    for (int i = 0; i < 20; ++i) {
      auto x = numbered_event(store->last_seq() + 1);
      BOOST_REQUIRE(store->append(x));
    }
  }
  auto wal = wal_files(log.path).back();
  std::vector<detail::wal_batch> writes;
  detail::scan_wal_file(log.path, wal,
                        [&](const detail::wal_batch& b, std::string_view) {
                          if (b.first_event != 0)
                            writes.push_back(b);
                        });
  BOOST_REQUIRE(writes.size() >= 2u);
  flip_byte(log.path + "/" + wal, writes.front().offset + 7 + 12);
  auto second = repaired(log.path);
  BOOST_TEST(second.repaired_at > first.repaired_at + 20);
  auto store = open_or_fail(log.path, {.read_only = true});
  auto losses = store->losses();
  // The first repair's numbers are still declared, with their own event.
  BOOST_TEST(
      (std::find(losses.begin(), losses.end(),
                 repaired_loss{victim.first_event, victim.last_event, true,
                               first.repaired_at}) != losses.end()));
  BOOST_TEST(static_cast<bool>(store->get(first.repaired_at)));
  BOOST_TEST(static_cast<bool>(store->get(second.repaired_at)));
}

BOOST_AUTO_TEST_CASE(a_repair_that_is_killed_is_finished_by_the_next) {
  temp_dir dir;
  auto pristine = dir / "pristine";
  auto last = make_log(pristine, 2, 2000);
  auto wal = wal_files(pristine).back();
  std::vector<detail::wal_batch> writes;
  detail::scan_wal_file(pristine, wal,
                        [&](const detail::wal_batch& b, std::string_view) {
                          if (b.first_event != 0)
                            writes.push_back(b);
                        });
  // How long a whole repair takes here.
  auto path = dir / "log";
  copy_log(pristine, path);
  flip_byte(path + "/" + wal, writes[writes.size() / 2].offset + 19);
  auto start = std::chrono::steady_clock::now();
  BOOST_REQUIRE(run_program({TC_REPAIRER, path}).first == 0);
  auto took = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
  BOOST_TEST_MESSAGE("a repair took " << took.count() << " us");
  std::mt19937 rng{20261130};
  std::uniform_int_distribution<int64_t> moment{0, took.count()};
  int interrupted = 0;
  for (int round = 0; round < 12; ++round) {
    BOOST_TEST_CONTEXT("round " << round) {
      copy_log(pristine, path);
      flip_byte(path + "/" + wal, writes[writes.size() / 2].offset + 19);
      {
        program repairer{{TC_REPAIRER, path}, "/dev/null"};
        std::this_thread::sleep_for(std::chrono::microseconds{moment(rng)});
        repairer.kill();
        repairer.wait();
      }
      if (fs::exists(path + "/" + std::string{detail::repair_flag_file})) {
        ++interrupted;
        auto err = open_error(path);
        BOOST_TEST(is(err, errc::corrupt_record));
        BOOST_TEST(mentions(err, "a repair of this log did not finish"));
      }
      auto report = repair_log(path);
      BOOST_REQUIRE_MESSAGE(report, (report ? "" : render(report.error())));
      auto store = open_or_fail(path);
      BOOST_TEST(store->last_seq() > last);
      auto back = read_back(*store);
      BOOST_TEST(!back.err);
      auto x = numbered_event(store->last_seq() + 1);
      auto seq = store->append(x);
      BOOST_REQUIRE(seq);
      BOOST_TEST(*seq > last); // past every number handed out (the lease
                               // of the cleanly closed log)
    }
  }
  BOOST_TEST_MESSAGE(interrupted << " of 12 kills interrupted a repair");
}

BOOST_AUTO_TEST_CASE(repair_refuses_a_log_a_writer_has_open_and_foreign_ones) {
  temp_dir dir;
  auto path = dir / "log";
  make_log(path, 1, 10);
  {
    auto writer = open_or_fail(path);
    auto report = repair_log(path);
    BOOST_REQUIRE(!report);
    BOOST_TEST(is(report.error(), errc::locked));
  }
  BOOST_TEST(!fs::exists(path + "/" + std::string{detail::repair_flag_file}));
  auto foreign = dir / "db";
  {
    rocksdb::DB* db = nullptr;
    rocksdb::Options options;
    options.create_if_missing = true;
    BOOST_REQUIRE(rocksdb::DB::Open(options, foreign, &db).ok());
    BOOST_REQUIRE(db->Put({}, "user-key", "value").ok());
    delete db;
  }
  fs::remove(foreign + "/CURRENT");
  auto before = files_of(foreign);
  auto report = repair_log(foreign);
  BOOST_REQUIRE(!report);
  BOOST_TEST(is(report.error(), errc::not_a_log), render(report.error()));
  BOOST_TEST((files_of(foreign) == before));
  report = repair_log(dir / "nothing-here");
  BOOST_REQUIRE(!report);
  BOOST_TEST(is(report.error(), errc::not_found));
}

BOOST_AUTO_TEST_SUITE_END()
