// A full disk is an error, never an abort: the first failed write fails
// with storage_failure naming the path and "No space left on device"; the
// store then takes no more writes (RocksDB asserts, in Debian's build, when
// its WAL writer is used again after a failure; a 512 KiB tmpfs made `demo`
// abort that way), every later caller gets the same error, closing is safe,
// nothing acknowledged is lost, and once there is room the log opens in a
// new process and goes on. The disk fills up through a file system that
// fails writes after a budget of bytes (full_disk_fs.hpp), in a real
// writer process, and on a real tmpfs when the test may mount one.

#include "timecontrol/storage/event_store.hpp"

#include <boost/test/unit_test.hpp>

#include <random>
#include <sys/mount.h>

#include "tests/storage/damage_kit.hpp"
#include "tests/support/temp_dir.hpp"

using namespace tc;
using namespace tc::test;

namespace {

struct run_result {
  int status = 0;
  seq_t acknowledged = 0;
  std::string failure;
  std::vector<std::string> refusals;
  std::vector<std::string> other;
  bool closed = false;
};

run_result fill_disk(const std::string& path, int64_t budget, bool small,
                     const std::string& err_file) {
  std::vector<std::string> argv{TC_FULL_DISK_WRITER, path,
                                std::to_string(budget)};
  if (small)
    argv.push_back("small");
  program writer{argv, err_file};
  run_result result;
  while (auto line = writer.line()) {
    if (line->starts_with("ok "))
      result.acknowledged = std::stoull(line->substr(3));
    else if (line->starts_with("failed "))
      result.failure = line->substr(7);
    else if (line->starts_with("refused "))
      result.refusals.push_back(line->substr(8));
    else if (*line == "closed")
      result.closed = true;
    else
      result.other.push_back(*line);
  }
  result.status = writer.wait();
  return result;
}

// After the disk filled up: a new process (this one) opens the log, finds
// every acknowledged event, and appends past the numbers the stopped writer
// had reserved (its write failed: it did not close the log cleanly).
void check_it_goes_on(const std::string& path, seq_t acknowledged) {
  auto store = open_or_fail(path);
  BOOST_TEST(store->last_seq() >= acknowledged);
  auto back = read_back(*store);
  BOOST_TEST(!back.err, render(back.err));
  BOOST_TEST(back.exact);
  seq_t held = back.seqs.empty() ? 0 : back.seqs.back();
  BOOST_TEST(held >= acknowledged);
  BOOST_TEST(back.seqs == seq_range_of(1, held));
  if (store->last_seq() > held)
    BOOST_TEST(
        store->losses() ==
        (std::vector<repaired_loss>{{held + 1, store->last_seq(), false, 0}}));
  auto last = store->last_seq();
  auto next = numbered_event(last + 1);
  auto seq = store->append(next);
  BOOST_REQUIRE_MESSAGE(seq, (seq ? "" : render(seq.error())));
  BOOST_TEST(*seq == last + 1);
}

} // namespace

BOOST_AUTO_TEST_SUITE(storage_full_disk)

BOOST_AUTO_TEST_CASE(a_full_disk_is_an_error_that_loses_nothing) {
  temp_dir dir;
  std::mt19937 rng{20261129};
  std::uniform_int_distribution<int64_t> budget{1'000, 300'000};
  int failed_at_open = 0;
  for (int round = 0; round < 16; ++round) {
    // Half the rounds flush and compact every few kilobytes, so that the
    // disk fills up in RocksDB's background work too.
    bool small = round % 2 == 1;
    auto bytes = budget(rng);
    BOOST_TEST_CONTEXT("round " << round << ", room for " << bytes << " bytes"
                                << (small ? ", small" : "")) {
      auto path = dir / ("log-" + std::to_string(round));
      open_or_fail(path).reset(); // created with room
      auto run = fill_disk(path, bytes, small, dir / "writer.err");
      BOOST_REQUIRE_MESSAGE(
          WIFEXITED(run.status) && WEXITSTATUS(run.status) == 0,
          "the writer ended with " << describe_status(run.status) << ": "
                                   << read_file(dir / "writer.err"));
      BOOST_TEST(run.closed);
      BOOST_TEST(run.other.empty());
      BOOST_TEST(run.failure.find("storage_failure: " + path) == 0u,
                 run.failure);
      BOOST_TEST(run.failure.find("No space left on device") !=
                     std::string::npos,
                 run.failure);
      if (run.refusals.empty()) {
        ++failed_at_open; // no room to open the log: nothing to refuse
      } else {
        BOOST_TEST(run.refusals.size() == 6u);
        for (auto& refusal : run.refusals) {
          BOOST_TEST(refusal.find("storage_failure: " + path +
                                  ": the log takes no more writes after a "
                                  "failed write") == 0u,
                     refusal);
          BOOST_TEST(refusal.find("No space left on device") !=
                         std::string::npos,
                     refusal);
        }
      }
      check_it_goes_on(path, run.acknowledged);
    }
  }
  BOOST_TEST(failed_at_open < 16);
}

BOOST_AUTO_TEST_CASE(a_full_tmpfs_is_an_error_that_loses_nothing) {
  temp_dir dir;
  auto mount_point = dir / "disk";
  fs::create_directory(mount_point);
  if (::mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=512k") != 0) {
    BOOST_TEST_MESSAGE("skipped: cannot mount a tmpfs here ("
                       << std::strerror(errno) << "); the file system of "
                       << "the other case stands in for it");
    return;
  }
  struct unmount {
    std::string at;
    ~unmount() { ::umount2(at.c_str(), MNT_DETACH); }
  } guard{mount_point};
  auto path = mount_point + "/log";
  open_or_fail(path).reset();
  // The writer keeps going after the first failure: more appends, a
  // snapshot, closing.
  auto run = fill_disk(path, int64_t{1} << 60, false, dir / "writer.err");
  BOOST_TEST_MESSAGE("the writer on 512 KiB: " << describe_status(run.status)
                                               << ": " << run.failure);
  BOOST_REQUIRE_MESSAGE(WIFEXITED(run.status) && WEXITSTATUS(run.status) == 0,
                        "the writer ended with "
                            << describe_status(run.status) << ": "
                            << read_file(dir / "writer.err"));
  BOOST_TEST(run.closed);
  BOOST_TEST(run.failure.find("storage_failure: " + path) == 0u, run.failure);
  BOOST_TEST(run.failure.find("No space left on device") != std::string::npos,
             run.failure);
  BOOST_TEST(run.refusals.size() == 6u);
  for (auto& refusal : run.refusals)
    BOOST_TEST(refusal.find("the log takes no more writes") !=
                   std::string::npos,
               refusal);
  auto acknowledged = run.acknowledged;
  BOOST_TEST(acknowledged > 0u);
  // Room again.
  BOOST_REQUIRE(::mount("tmpfs", mount_point.c_str(), "tmpfs", MS_REMOUNT,
                        "size=16m") == 0);
  check_it_goes_on(path, acknowledged);
}

BOOST_AUTO_TEST_SUITE_END()
