// Readers never fail because a writer is busy: while another process floods
// the log with 2000-event writes (until the readers made 100 rounds) (so that
// RocksDB flushes its memtables, starts new WAL files, deletes the old ones,
// and compacts table files), readers open it again and again, read-only and as
// followers, and each sees a whole log: it opens, and reads exactly what was
// written, every event from 1 to its end, with no hole. (Before, a read-only
// open that listed a WAL file the writer then deleted failed: "No such file or
// directory ... .log".)

#include "timecontrol/storage/event_store.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <thread>

#include "tests/storage/damage_kit.hpp"
#include "tests/support/temp_dir.hpp"

using namespace tc;
using namespace tc::test;

namespace {

// Replays all of `log`: true if it holds exactly events 1..last_seq().
bool whole(const event_store& log, std::string& why) {
  seq_t expected = 1;
  bool exact = true;
  auto err = log.replay({}, [&](const envelope& x) {
    exact = exact && x.seq == expected && x == numbered_event(x.seq);
    ++expected;
    return exact;
  });
  if (err)
    why = render(err);
  else if (!exact)
    why = "event " + std::to_string(expected - 1) + " is not as written";
  else if (expected - 1 != log.last_seq())
    why = "replayed up to " + std::to_string(expected - 1);
  return why.empty();
}

} // namespace

BOOST_AUTO_TEST_SUITE(storage_busy_writer)

BOOST_AUTO_TEST_CASE(readers_open_and_read_whole_logs_while_a_writer_floods) {
  constexpr int overlapping = 100; // reader rounds while the writer writes
  temp_dir dir;
  auto path = dir / "log";
  // Small memtables: a flush, a new WAL file and the deletion of an old one
  // every few thousand events.
  program writer{
      {TC_LOG_MAKER, path, "buffered", "1", "1000000000", "2000", "small"},
      dir / "writer.err"};
  // Start once the log exists and holds events.
  std::atomic<seq_t> acknowledged = 0;
  while (acknowledged < 10000) {
    auto line = writer.line();
    BOOST_REQUIRE_MESSAGE(
        line, "the writer stopped: " << read_file(dir / "writer.err"));
    acknowledged = std::stoull(*line);
  }
  std::atomic<bool> writing = true;
  std::thread drain{[&] {
    while (auto line = writer.line())
      acknowledged = std::stoull(*line);
    writing = false;
  }};
  int rounds = 0;
  int during = 0; // rounds that ended while the writer still wrote
  int failures = 0;
  int wal_files_seen = 0;
  seq_t seen = 0;
  while (during < overlapping) {
    ++rounds;
    BOOST_TEST_CONTEXT("round " << rounds) {
      wal_files_seen =
          std::max(wal_files_seen, static_cast<int>(wal_files(path).size()));
      store_options options{.create_if_missing = false, .read_only = true};
      if (rounds % 3 == 0)
        options = {.create_if_missing = false, .follow = true};
      auto store = event_store::open(path, options);
      if (!store) {
        ++failures;
        BOOST_TEST(false, "open failed: " << render(store.error()));
        if (failures > 3)
          break;
        ++during;
        continue;
      }
      auto& log = **store;
      BOOST_TEST(log.last_seq() >= seen);
      seen = log.last_seq();
      // The first event and the last 20000: where a hole would be, where the
      // table files end and the WAL begins (all of it once the writer is
      // stopped: the log may have grown to millions of events meanwhile).
      auto check = [&](bool all) {
        std::string why;
        if (all) {
          BOOST_TEST(whole(log, why), why);
          return;
        }
        BOOST_TEST(static_cast<bool>(log.get(1)));
        auto from = log.last_seq() > 20000 ? log.last_seq() - 19999 : 1;
        std::vector<seq_t> seqs;
        auto err = log.replay({.from = from}, [&](const envelope& x) {
          seqs.push_back(x.seq);
          return x == numbered_event(x.seq);
        });
        BOOST_TEST(!err, render(err));
        BOOST_TEST(seqs == seq_range_of(from, log.last_seq()));
      };
      check(false);
      if (options.follow) {
        auto later = log.refresh();
        BOOST_REQUIRE_MESSAGE(later, (later ? "" : render(later.error())));
        BOOST_TEST(*later >= seen);
        check(false);
      }
    }
    BOOST_REQUIRE_MESSAGE(
        writing, "the writer stopped: " << read_file(dir / "writer.err"));
    ++during;
  }
  writer.kill();
  drain.join();
  writer.wait();
  BOOST_TEST(failures == 0);
  BOOST_TEST_MESSAGE(during << " of " << rounds
                            << " opens while the writer appended "
                            << acknowledged.load() << " events in up to "
                            << wal_files_seen << " WAL files at once");
  // Killed while it wrote, the writer lost nothing it acknowledged.
  auto store = open_or_fail(path, {.read_only = true});
  BOOST_TEST(store->last_seq() >= acknowledged.load());
  std::string why;
  BOOST_TEST(whole(*store, why), why);
}

BOOST_AUTO_TEST_SUITE_END()
