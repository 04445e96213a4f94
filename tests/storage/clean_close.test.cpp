// A log's clean close (FORMAT.md, "Files of a log"): a writer that closes the
// log after every write succeeded syncs its write-ahead log and marks the
// lease clean at its last number. Events missing below that number are
// damage, whatever removed them (a cut or deleted WAL file); after an
// unclean stop the next writer numbers on past the lease, so that a number
// a reader may have seen never names another event.

#include "timecontrol/storage/event_store.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <random>

#include "tests/storage/damage_kit.hpp"
#include "tests/support/child.hpp"
#include "tests/support/temp_dir.hpp"
#include "timecontrol/storage/detail/log_files.hpp"
#include "timecontrol/storage/detail/wal_scan.hpp"
#include "timecontrol/storage/repair.hpp"

using namespace tc;
using namespace tc::test;
using namespace std::chrono_literals;

namespace {

detail::lease_state lease_of(const std::string& path) {
  auto lease = detail::decode_lease(read_file(path + "/TIMECONTROL-LEASE"));
  BOOST_REQUIRE(lease);
  return *lease;
}

// Appends one event; its sequence number.
[[nodiscard]] caf::expected<seq_t> append_one(event_store& store, envelope x) {
  return store.append(x);
}

std::string seqs(seq_t first, seq_t last) {
  return first == last
             ? "seq " + std::to_string(first)
             : "seq " + std::to_string(first) + ".." + std::to_string(last);
}

// The largest event seq the WAL files of `path` hold intact.
seq_t wal_last(const std::string& path) {
  seq_t last = 0;
  for (auto& scan : detail::scan_wal_files(path))
    last = std::max(last, scan.last_event);
  return last;
}

// Every kind of open refuses the log naming the missing numbers, and
// verify's diagnosis lists them.
void check_missing(const std::string& path, seq_t first, seq_t last) {
  auto text = seqs(first, last) +
              " were written before the log was closed cleanly and are "
              "missing";
  for (auto options : {store_options{}, store_options{.read_only = true},
                       store_options{.follow = true}}) {
    auto err = open_error(path, options);
    BOOST_TEST(is(err, errc::corrupt_record), render(err));
    BOOST_TEST(mentions(err, text), render(err));
  }
  std::vector<std::string> found;
  auto n = event_store::diagnose(path, [&](seq_t, const caf::error& err) {
    found.push_back(render(err));
  });
  BOOST_REQUIRE_MESSAGE(n, (n ? "" : render(n.error())));
  BOOST_TEST(*n >= 1);
  BOOST_TEST(std::any_of(found.begin(), found.end(), [&](auto& line) {
    return line.find(text) != std::string::npos;
  }));
}

// A log of two rounds of 150 events, closed cleanly: 1..150 in table
// files, 151..300 (and the snapshot) in the write-ahead log.
std::string make_closed_log(const temp_dir& dir) {
  auto path = dir / "original";
  BOOST_REQUIRE(make_log(path, 2, 150) == 300);
  auto lease = lease_of(path);
  BOOST_TEST(lease.clean);
  BOOST_TEST(lease.high == 300u);
  BOOST_REQUIRE(wal_files(path).size() == 1);
  BOOST_REQUIRE(wal_last(path) == 300u);
  return path;
}

} // namespace

BOOST_AUTO_TEST_SUITE(storage_clean_close)

BOOST_AUTO_TEST_CASE(a_writer_marks_the_lease_not_clean_while_it_writes) {
  temp_dir dir;
  auto path = dir / "log";
  {
    auto store = open_or_fail(path);
    BOOST_TEST(!lease_of(path).clean);
    BOOST_TEST(lease_of(path).high > 0u);
    BOOST_REQUIRE(append_one(*store, numbered_event(1)));
  }
  BOOST_TEST(lease_of(path).clean);
  BOOST_TEST(lease_of(path).high == 1u);
  // A log closed cleanly goes on without a gap.
  auto store = open_or_fail(path);
  BOOST_TEST(store->losses().empty());
  BOOST_TEST(*append_one(*store, numbered_event(2)) == 2u);
}

BOOST_AUTO_TEST_CASE(
    a_cut_write_ahead_log_of_a_cleanly_closed_log_is_damage_naming_the_seqs) {
  temp_dir dir;
  auto original = make_closed_log(dir);
  auto wal = wal_files(original).front();
  auto size = size_of(original + "/" + wal);
  std::mt19937_64 rng{20261129};
  std::vector<uint64_t> offsets{0, size / 2};
  for (int i = 0; i < 10; ++i)
    offsets.push_back(std::uniform_int_distribution<uint64_t>{0, size}(rng));
  int damaged = 0;
  for (auto offset : offsets) {
    BOOST_TEST_CONTEXT("cut at " << offset << " of " << size) {
      auto path = dir / "cut";
      copy_log(original, path);
      truncate_file(path + "/" + wal, offset);
      auto held = std::max<seq_t>(150, wal_last(path));
      if (held == 300) {
        // Only the snapshot's write was cut: every event is there.
        auto store = open_or_fail(path, {.read_only = true});
        BOOST_TEST(store->last_seq() == 300u);
        continue;
      }
      ++damaged;
      check_missing(path, held + 1, 300);
      // The refused opens kept the evidence: the lease still says where
      // the log ended. (A writer's RocksDB open may have moved what the
      // cut WAL holds into a table file before the check; nothing is lost.)
      BOOST_TEST(lease_of(path).clean);
      BOOST_TEST(lease_of(path).high == 300u);
    }
  }
  BOOST_TEST(damaged >= 8);
}

BOOST_AUTO_TEST_CASE(
    a_deleted_write_ahead_log_of_a_cleanly_closed_log_is_damage_and_repair_numbers_past_it) {
  temp_dir dir;
  auto original = make_closed_log(dir);
  auto path = dir / "deleted";
  copy_log(original, path);
  fs::remove(path + "/" + wal_files(path).front());
  check_missing(path, 151, 300);
  // The repair declares them and numbers on past the lease's high.
  auto report = repair_log(path);
  BOOST_REQUIRE_MESSAGE(report, (report ? "" : render(report.error())));
  BOOST_TEST(report->repaired);
  BOOST_TEST(report->repaired_at == 301u);
  // They were events (the log was closed cleanly after them): lost.
  BOOST_TEST(to_ranges(report->lost) == "151..300");
  BOOST_TEST(report->skipped.empty());
  BOOST_TEST(lease_of(path).clean);
  BOOST_TEST(lease_of(path).high == 301u);
  auto store = open_or_fail(path);
  BOOST_TEST(*append_one(*store, numbered_event(302)) == 302u);
  BOOST_TEST(*store->verify([](seq_t, const caf::error&) {}) == 0u);
  auto got = read_back(*store);
  BOOST_TEST(!got.err, render(got.err));
  BOOST_TEST(got.seqs.size() == 152u); // 1..150, log_repaired, 302
}

BOOST_AUTO_TEST_CASE(
    a_new_writer_after_a_kill_never_reuses_a_seq_a_reader_saw) {
  temp_dir dir;
  auto path = dir / "log";
  std::mt19937_64 rng{20261129};
  seq_t seen = 0;
  for (int round = 0; round < 6; ++round) {
    BOOST_TEST_CONTEXT("round " << round) {
      {
        child writer{
            TC_CRASH_WRITER,
            {path, round % 2 ? "sync" : "buffered", std::to_string(rng())}};
        auto acks = std::uniform_int_distribution<int>{5, 60}(rng);
        for (int i = 0; i < acks; ++i) {
          auto line = writer.line(10s);
          BOOST_REQUIRE(line);
          seen = std::max<seq_t>(seen, std::stoull(*line));
        }
        // A reader beside the writer sees what it acknowledged, at least.
        auto reader = open_or_fail(path, {.read_only = true});
        BOOST_TEST(reader->last_seq() >= seen);
        seen = std::max(seen, reader->last_seq());
        reader.reset();
        writer.run_for(20ms);
        BOOST_REQUIRE(writer.kill());
      }
      BOOST_TEST(!lease_of(path).clean);
      auto high = lease_of(path).high;
      BOOST_TEST(high > seen);
      // What a machine crash could do to an unsynced tail: cut the newest
      // write-ahead log (a torn last write is dropped at open).
      if (round % 2 == 0) {
        auto wal = path + "/" + wal_files(path).back();
        truncate_file(wal, size_of(wal) / 2);
      }
      auto store = open_or_fail(path);
      auto next = append_one(*store, numbered_event(0));
      BOOST_REQUIRE(next);
      BOOST_TEST(*next > seen);
      BOOST_TEST(*next == high + 1);
      auto losses = store->losses();
      BOOST_REQUIRE(!losses.empty());
      BOOST_TEST(losses.back().last == high);
      BOOST_TEST(losses.back().repaired_at == 0u);
      BOOST_TEST(!losses.back().stored);
      auto gone = store->get(high);
      BOOST_TEST(is(gone.error(), errc::not_found));
      BOOST_TEST(mentions(gone.error(), "reserved before an unclean stop"));
      // The log reads whole, the declared numbers skipped.
      seq_t previous = 0;
      auto err = store->replay({}, [&](const envelope& x) {
        BOOST_TEST_REQUIRE(x.seq > previous);
        previous = x.seq;
        return true;
      });
      BOOST_TEST(!err, render(err));
      BOOST_TEST(previous == *next);
      BOOST_TEST(*store->verify([](seq_t, const caf::error& e) {
        BOOST_TEST_MESSAGE(render(e));
      }) == 0u);
      seen = *next;
    }
  }
  // Closed cleanly at last: no gap for the next writer.
  auto lease = lease_of(path);
  BOOST_TEST(lease.clean);
  BOOST_TEST(lease.high == seen);
  auto store = open_or_fail(path);
  BOOST_TEST(*append_one(*store, numbered_event(0)) == seen + 1);
}

BOOST_AUTO_TEST_CASE(a_lease_of_an_older_build_reads_as_not_clean) {
  auto old = std::string{"timecontrol lease\nhigh 1048576\n"};
  auto sealed = detail::encode_lease(1048576);
  BOOST_TEST(sealed.starts_with(old));
  auto lease = detail::decode_lease(sealed);
  BOOST_REQUIRE(lease);
  BOOST_TEST(lease->high == 1048576u);
  BOOST_TEST(!lease->clean);
  auto clean = detail::decode_lease(detail::encode_lease(7, true));
  BOOST_REQUIRE(clean);
  BOOST_TEST(clean->clean);
  BOOST_TEST(clean->high == 7u);
}

BOOST_AUTO_TEST_SUITE_END()
