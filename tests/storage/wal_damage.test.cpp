// Damage to the write-ahead log: a damaged write anywhere fails every open
// with the file, the offset and the events it held (RocksDB's default would
// have treated it as the end of the log, dropped every later write, and let
// the next writer number new events with the dropped events' numbers); only
// a last write that a crash cut short (never acknowledged) is dropped. The
// logs are written by a real process (log_maker).

#include "timecontrol/storage/event_store.hpp"

#include <boost/test/unit_test.hpp>

#include "tests/storage/damage_kit.hpp"
#include "tests/support/temp_dir.hpp"
#include "timecontrol/storage/detail/log_files.hpp"
#include "timecontrol/storage/detail/wal_scan.hpp"

using namespace tc;
using namespace tc::test;

namespace {

// The intact writes of a WAL file (`with_events`: only those that hold
// events).
std::vector<detail::wal_batch> batches_of(const std::string& dir,
                                          const std::string& wal,
                                          bool with_events = true) {
  std::vector<detail::wal_batch> result;
  auto scan = detail::scan_wal_file(
      dir, wal, [&](const detail::wal_batch& b, std::string_view) {
        if (b.first_event != 0 || !with_events)
          result.push_back(b);
      });
  BOOST_REQUIRE(scan.damage.empty());
  return result;
}

// A log whose newest WAL holds 300 events (and the older ones none), then
// the write of a snapshot.
struct wal_log {
  temp_dir dir;
  std::string pristine = dir / "pristine";
  std::string path = dir / "log";
  seq_t last = make_log(pristine, 1, 300);
  std::string wal = wal_files(pristine).back();
  std::vector<detail::wal_batch> batches = batches_of(pristine, wal);
  std::vector<detail::wal_batch> writes = batches_of(pristine, wal, false);

  wal_log() {
    BOOST_REQUIRE(batches.back().last_event == last);
    BOOST_REQUIRE(writes.back().first_event == 0); // the snapshot
  }

  // A fresh copy of the pristine log at `path`.
  std::string copy() {
    copy_log(pristine, path);
    return path;
  }

  std::string wal_path() const { return path + "/" + wal; }

  // A write whose first record is whole inside its block, in the middle.
  const detail::wal_batch& middle() const {
    for (auto i = batches.size() / 2; i + 1 < batches.size(); ++i)
      if (batches[i].offset / 32768 == batches[i + 1].offset / 32768)
        return batches[i];
    BOOST_FAIL("no write in the middle of a block");
    return batches.front();
  }
};

std::string seqs(seq_t first, seq_t last) {
  return "seq " + std::to_string(first) + ".." + std::to_string(last);
}

} // namespace

BOOST_AUTO_TEST_SUITE(storage_wal_damage)

BOOST_AUTO_TEST_CASE(a_damaged_write_fails_every_open_naming_file_offset_seqs) {
  wal_log log;
  auto& victim = log.middle();
  log.copy();
  flip_byte(log.wal_path(), victim.offset + 7 + 12);
  for (auto options : {store_options{}, store_options{.read_only = true},
                       store_options{.follow = true}}) {
    BOOST_TEST_CONTEXT("read_only " << options.read_only << " follow "
                                    << options.follow) {
      auto err = open_error(log.path, options);
      BOOST_TEST(is(err, errc::corrupt_record), render(err));
      BOOST_TEST(mentions(err, log.wal + " at offset " +
                                   std::to_string(victim.offset) +
                                   " (checksum mismatch)"),
                 render(err));
      BOOST_TEST(mentions(err, seqs(victim.first_event, victim.last_event)),
                 render(err));
    }
  }
  // Every open keeps failing: nothing was changed, nothing renumbered.
  BOOST_TEST(is(open_error(log.path), errc::corrupt_record));
  // diagnose() lists it with the first seq it touches.
  std::vector<seq_t> at;
  auto found = event_store::diagnose(
      log.path, [&](seq_t seq, const caf::error&) { at.push_back(seq); });
  BOOST_REQUIRE(found);
  BOOST_TEST(*found >= 1u);
  BOOST_TEST((std::find(at.begin(), at.end(), victim.first_event) != at.end()));
}

BOOST_AUTO_TEST_CASE(a_write_a_crash_cut_short_is_dropped_and_the_log_opens) {
  wal_log log;
  auto& torn = log.batches.back();
  auto end = log.writes.back().offset; // where the snapshot's write starts
  auto before = log.batches[log.batches.size() - 2].last_event;
  // Inside the header, inside the payload, one byte short of its end (the
  // snapshot's write after it goes too). A crash left the lease as a
  // writer keeps it while it writes: not clean, above its last number. (Of
  // a log that was closed cleanly, a cut WAL is damage:
  // clean_close.test.cpp.)
  auto high = before + detail::lease_step;
  for (auto cut : {torn.offset + 3, torn.offset + 7 + 5, end - 1}) {
    BOOST_TEST_CONTEXT("cut at " << cut) {
      log.copy();
      truncate_file(log.wal_path(), cut);
      write_file(log.path + "/" + std::string{detail::lease_file},
                 detail::encode_lease(high));
      {
        auto reader = open_or_fail(log.path, {.read_only = true});
        BOOST_TEST(reader->last_seq() == before);
      }
      // The writer cannot tell the torn write from a cut log: it numbers
      // on past the lease, the numbers up to it declared.
      auto store = open_or_fail(log.path);
      BOOST_TEST(store->last_seq() == high);
      auto back = read_back(*store);
      BOOST_TEST(!back.err, render(back.err));
      BOOST_TEST(back.exact);
      BOOST_TEST(back.seqs == seq_range_of(1, before));
      BOOST_TEST(store->losses() ==
                 (std::vector<repaired_loss>{{before + 1, high, false, 0}}));
      auto next = numbered_event(high + 1);
      auto seq = store->append(next);
      BOOST_REQUIRE(seq);
      BOOST_TEST(*seq == high + 1);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_damaged_length_in_the_last_block_is_damage_not_a_tail) {
  // RocksDB's own reader takes a length that runs past the end of the file
  // in the last block for a write a crash cut short, and drops everything
  // from there: acknowledged writes.
  wal_log log;
  auto end = size_of(log.pristine + "/" + log.wal);
  // The last write of events (the snapshot's comes after it), in the last
  // block, its length made to run past the end of the file.
  auto* victim = &log.batches.back();
  BOOST_REQUIRE(victim->offset >= end - end % 32768);
  BOOST_REQUIRE(victim->offset + 16384 > end);
  log.copy();
  flip_byte(log.wal_path(), victim->offset + 5, 0x40); // length += 16 KiB
  auto err = open_error(log.path, {.read_only = true});
  BOOST_TEST(is(err, errc::corrupt_record));
  BOOST_TEST(mentions(err, log.wal + " at offset " +
                               std::to_string(victim->offset) +
                               " (bad record length)"),
             render(err));
  // The last write, whole, with a length longer than the file.
  auto& last = log.writes.back();
  log.copy();
  auto bytes = read_file(log.wal_path());
  auto length = static_cast<unsigned char>(bytes[last.offset + 4]) |
                static_cast<unsigned char>(bytes[last.offset + 5]) << 8;
  length += 3;
  bytes[last.offset + 4] = static_cast<char>(length & 0xff);
  bytes[last.offset + 5] = static_cast<char>(length >> 8);
  write_file(log.wal_path(), bytes);
  err = open_error(log.path);
  BOOST_TEST(is(err, errc::corrupt_record));
  BOOST_TEST(mentions(err, "at offset " + std::to_string(last.offset)),
             render(err));
}

BOOST_AUTO_TEST_CASE(
    zeros_before_intact_writes_are_damage_zeros_at_the_end_not) {
  wal_log log;
  auto& victim = log.middle();
  log.copy();
  auto bytes = read_file(log.wal_path());
  for (int i = 0; i < 7; ++i)
    bytes[victim.offset + i] = 0;
  write_file(log.wal_path(), bytes);
  auto err = open_error(log.path);
  BOOST_TEST(is(err, errc::corrupt_record));
  BOOST_TEST(mentions(err, "at offset " + std::to_string(victim.offset) +
                               " (zeroed bytes)"),
             render(err));
  // Zeros after the last write (a file system that extended the file but
  // had not written its data when the machine stopped).
  log.copy();
  bytes = read_file(log.wal_path());
  write_file(log.wal_path(), bytes + std::string(5000, '\0'));
  auto store = open_or_fail(log.path);
  BOOST_TEST(store->last_seq() == log.last);
  auto back = read_back(*store);
  BOOST_TEST(!back.err);
  BOOST_TEST(back.exact);
}

BOOST_AUTO_TEST_CASE(the_scanner_salvages_the_writes_after_damage_in_a_block) {
  // RocksDB's reader drops the rest of a 32 KiB block after a bad record;
  // ours finds the next intact write in it, for repair to keep.
  wal_log log;
  auto& victim = log.middle();
  log.copy();
  flip_byte(log.wal_path(), victim.offset + 7 + 12);
  std::vector<seq_t> firsts;
  auto scan = detail::scan_wal_file(
      log.path, log.wal, [&](const detail::wal_batch& b, std::string_view) {
        if (b.first_event != 0)
          firsts.push_back(b.first_event);
      });
  BOOST_REQUIRE(scan.damage.size() == 1u);
  BOOST_TEST(scan.damage[0].before == victim.first_event - 1);
  BOOST_TEST(scan.damage[0].after == victim.last_event + 1);
  BOOST_TEST(firsts.size() == log.batches.size() - 1);
  BOOST_TEST(!scan.torn_tail);
}

BOOST_AUTO_TEST_SUITE_END()
