// Damaged logs: each problem is reported with its sequence number, never
// crashes a reader, and the caller chooses to stop or to skip and go on.

#include "timecontrol/storage/event_store.hpp"

#include <boost/test/unit_test.hpp>

#include <rocksdb/db.h>

#include "tests/storage/raw_log.hpp"
#include "tests/support/sample_events.hpp"
#include "tests/support/temp_dir.hpp"
#include "timecontrol/core/crc32c.hpp"
#include "timecontrol/events/codec.hpp"
#include "timecontrol/storage/detail/format.hpp"

using namespace tc;

namespace {

// A log of ten events from source "a", closed, and then edited with RocksDB
// directly.
struct damaged_log {
  test::temp_dir dir;
  std::string path = dir / "log";

  damaged_log() {
    auto store = event_store::open(path, {});
    BOOST_REQUIRE(store);
    for (uint64_t i = 1; i <= 10; ++i) {
      envelope x{0, test::sample_time(), "a", call_requested{i}};
      BOOST_REQUIRE((*store)->append(x));
    }
  }

  template <class F>
  void edit(F f) {
    test::raw_log raw{path};
    f(raw);
  }

  std::unique_ptr<event_store> open() {
    auto store = event_store::open(path, {});
    BOOST_REQUIRE(store);
    return std::move(*store);
  }
};

// Records what a replay saw; skips or stops on bad records as told.
struct recorder : replay_handler {
  on_corrupt choice;
  std::vector<seq_t> seen;
  std::vector<std::pair<seq_t, std::string>> problems;
  explicit recorder(on_corrupt choice) : choice(choice) {}
  bool event(const envelope& x) override {
    seen.push_back(x.seq);
    return true;
  }
  on_corrupt corrupt(seq_t seq, const caf::error& err) override {
    problems.emplace_back(seq, render(err));
    return choice;
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(storage_corruption)

BOOST_AUTO_TEST_CASE(a_flipped_byte_stops_the_reader_at_that_seq) {
  damaged_log log;
  log.edit([&](test::raw_log& raw) {
    auto value = raw.get(format::event_key(4));
    value[value.size() - 1] ^= 0x10;
    raw.put(format::event_key(4), value);
  });
  auto store = log.open();
  recorder r{on_corrupt::stop};
  auto err = store->replay({}, r);
  BOOST_TEST(is(err, errc::corrupt_record));
  BOOST_TEST(render(err) == "corrupt_record: seq 4: checksum mismatch");
  BOOST_TEST(r.seen == (std::vector<seq_t>{1, 2, 3}));
}

BOOST_AUTO_TEST_CASE(a_reader_that_skips_is_told_of_each_bad_record) {
  damaged_log log;
  log.edit([&](test::raw_log& raw) {
    auto value = raw.get(format::event_key(4));
    raw.put(format::event_key(4), value.substr(0, value.size() / 2));
    value = raw.get(format::event_key(7));
    value[0] = 9; // a format from the future
    raw.put(format::event_key(7), value);
  });
  auto store = log.open();
  recorder r{on_corrupt::skip};
  BOOST_TEST(!store->replay({}, r));
  BOOST_TEST(r.seen == (std::vector<seq_t>{1, 2, 3, 5, 6, 8, 9, 10}));
  BOOST_REQUIRE(r.problems.size() == 2u);
  BOOST_TEST(r.problems[0].first == 4u);
  BOOST_TEST(r.problems[0].second ==
             "corrupt_record: seq 4: checksum mismatch");
  BOOST_TEST(r.problems[1].first == 7u);
  BOOST_TEST(r.problems[1].second.find("newer_format: seq 7") == 0u);
}

BOOST_AUTO_TEST_CASE(a_missing_record_is_reported_as_a_hole) {
  damaged_log log;
  log.edit([&](test::raw_log& raw) {
    BOOST_REQUIRE(raw.db().Delete({}, format::event_key(5)).ok());
  });
  auto store = log.open();
  recorder r{on_corrupt::skip};
  BOOST_TEST(!store->replay({}, r));
  BOOST_TEST(r.seen.size() == 9u);
  BOOST_REQUIRE(r.problems.size() == 1u);
  BOOST_TEST(r.problems[0].second == "corrupt_record: seq 5: record missing");
  // Through the index, the hole is found as well.
  recorder by_source{on_corrupt::skip};
  BOOST_TEST(!store->replay({.source = "a"}, by_source));
  BOOST_REQUIRE(by_source.problems.size() == 1u);
  BOOST_TEST(by_source.problems[0].second ==
             "corrupt_record: seq 5: indexed but no record stored");
}

BOOST_AUTO_TEST_CASE(a_record_with_an_unknown_type_names_its_seq) {
  damaged_log log;
  log.edit([&](test::raw_log& raw) {
    envelope x{6, test::sample_time(), "a", call_requested{6}};
    auto value = codec::encode(x);
    // Replace the type number (1) with 77 and fix the checksum, as a newer
    // writer with a new event type would.
    auto at = value.size() - 2;
    BOOST_REQUIRE(value[at] == 1);
    value[at] = 77;
    auto crc = crc32c(std::string_view{value}.substr(5));
    for (int i = 0; i < 4; ++i)
      value[1 + i] = static_cast<char>(crc >> (8 * i));
    raw.put(format::event_key(6), value);
  });
  auto store = log.open();
  recorder r{on_corrupt::skip};
  BOOST_TEST(!store->replay({}, r));
  BOOST_REQUIRE(r.problems.size() == 1u);
  BOOST_TEST(r.problems[0].first == 6u);
  BOOST_TEST(r.problems[0].second ==
             "unknown_event_type: seq 6: unknown event type 77");
  BOOST_TEST(r.seen.size() == 9u);
}

BOOST_AUTO_TEST_CASE(a_damaged_snapshot_is_reported_not_loaded) {
  damaged_log log;
  {
    auto store = log.open();
    BOOST_REQUIRE(!store->save_snapshot("stats", 10, "state"));
  }
  log.edit([&](test::raw_log& raw) {
    auto value = raw.get(format::snapshot_key("stats"));
    value.back() ^= 1;
    raw.put(format::snapshot_key("stats"), value);
  });
  auto store = log.open();
  auto loaded = store->load_snapshot("stats");
  BOOST_REQUIRE(!loaded);
  BOOST_TEST(is(loaded.error(), errc::corrupt_record));
  BOOST_TEST(
      render(loaded.error()).find("snapshot 'stats': checksum mismatch") !=
      std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_damaged_index_entry_is_reported_by_a_filtered_replay) {
  damaged_log log;
  log.edit([&](test::raw_log& raw) {
    std::unique_ptr<rocksdb::Iterator> it{
        raw.db().NewIterator({}, raw.index())};
    it->Seek(format::source_prefix("a"));
    BOOST_REQUIRE(it->Valid());
    auto key = it->key().ToString();
    BOOST_REQUIRE(raw.db().Put({}, raw.index(), key, "\xff").ok());
  });
  auto store = log.open();
  recorder r{on_corrupt::stop};
  auto err = store->replay({.source = "a"}, r);
  BOOST_TEST(is(err, errc::corrupt_record));
  BOOST_TEST(render(err).find("malformed index entry") != std::string::npos);
  // A full replay does not need the index and is unaffected.
  recorder all{on_corrupt::stop};
  BOOST_TEST(!store->replay({}, all));
  BOOST_TEST(all.seen.size() == 10u);
}

// What verify() reported: (seq, text) pairs.
std::vector<std::pair<seq_t, std::string>>
verify_log(const event_store& store) {
  std::vector<std::pair<seq_t, std::string>> problems;
  auto found = store.verify([&](seq_t seq, const caf::error& err) {
    problems.emplace_back(seq, render(err));
  });
  BOOST_REQUIRE(found);
  BOOST_TEST(*found == problems.size());
  return problems;
}

BOOST_AUTO_TEST_CASE(verify_finds_nothing_wrong_with_a_sound_log) {
  damaged_log log;
  BOOST_REQUIRE(!log.open()->save_snapshot("stats", 10, "state"));
  BOOST_TEST(verify_log(*log.open()).empty());
}

BOOST_AUTO_TEST_CASE(verify_reports_damaged_snapshots_and_one_past_the_end) {
  damaged_log log;
  {
    auto store = log.open();
    BOOST_REQUIRE(!store->save_snapshot("stats", 10, "state"));
    BOOST_REQUIRE(!store->save_snapshot("command:api", 4, "state"));
    BOOST_REQUIRE(!store->save_snapshot("sound", 10, "state"));
  }
  log.edit([&](test::raw_log& raw) {
    auto value = raw.get(format::snapshot_key("stats"));
    value.back() ^= 1;
    raw.put(format::snapshot_key("stats"), value);
    raw.put(format::snapshot_key("command:api"),
            format::encode_snapshot(snapshot{50, "state"}));
  });
  auto problems = verify_log(*log.open());
  BOOST_REQUIRE(problems.size() == 2u);
  BOOST_TEST(problems[0].first == 0u);
  BOOST_TEST(problems[0].second.find("snapshot 'command:api' covers seq 50 "
                                     "but the log ends at 10") !=
                 std::string::npos,
             problems[0].second);
  BOOST_TEST(problems[1].second.find("snapshot 'stats': checksum mismatch") !=
                 std::string::npos,
             problems[1].second);
}

BOOST_AUTO_TEST_CASE(verify_reports_a_missing_index_entry_with_its_seqs) {
  damaged_log log;
  log.edit([&](test::raw_log& raw) {
    // The first write's posting list of source "a" names seq 1.
    auto key = format::posting_key(format::source_prefix("a"), 1);
    BOOST_REQUIRE(raw.db().Delete({}, raw.index(), key).ok());
  });
  auto problems = verify_log(*log.open());
  BOOST_REQUIRE(problems.size() == 1u);
  BOOST_TEST(problems[0].first == 1u);
  BOOST_TEST(problems[0].second.find("seq 1: missing from the source index") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(verify_reports_index_entries_that_name_the_wrong_event) {
  damaged_log log;
  log.edit([&](test::raw_log& raw) {
    std::string postings;
    format::encode_postings({2, 40}, postings);
    auto key = format::posting_key(format::source_prefix("b"), 2);
    BOOST_REQUIRE(raw.db().Put({}, raw.index(), key, postings).ok());
  });
  auto problems = verify_log(*log.open());
  BOOST_REQUIRE(problems.size() == 2u);
  BOOST_TEST(problems[0].second.find("seq 2: indexed under the wrong source") !=
             std::string::npos);
  BOOST_TEST(problems[1].second.find("seq 40: indexed but no record stored") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(verify_reports_every_damaged_record_and_goes_on) {
  damaged_log log;
  log.edit([&](test::raw_log& raw) {
    auto value = raw.get(format::event_key(3));
    value.back() ^= 1;
    raw.put(format::event_key(3), value);
    BOOST_REQUIRE(raw.db().Delete({}, format::event_key(8)).ok());
  });
  auto problems = verify_log(*log.open());
  std::vector<seq_t> seqs;
  for (auto& p : problems)
    seqs.push_back(p.first);
  // Each damaged record once, however many index entries name it.
  BOOST_REQUIRE(seqs == (std::vector<seq_t>{3, 8}));
  BOOST_TEST(problems[0].second == "corrupt_record: seq 3: checksum mismatch");
  BOOST_TEST(problems[1].second == "corrupt_record: seq 8: record missing");
}

BOOST_AUTO_TEST_SUITE_END()
