// Creating a log is all or nothing: a process killed (SIGKILL) at any moment
// of creating one leaves either no log at the path, or one that opens. (An
// older build left RocksDB's first files there, and every later open said
// not_a_log.)

#include "timecontrol/storage/event_store.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstring>
#include <random>
#include <sys/mount.h>
#include <thread>

#include "tests/storage/damage_kit.hpp"
#include "tests/support/temp_dir.hpp"

using namespace tc;
using namespace tc::test;

namespace {

using clock_type = std::chrono::steady_clock;

// How long a real process takes to create a log and append its first
// events, measured here (machines differ).
std::chrono::microseconds creation_time(const std::string& path) {
  auto start = clock_type::now();
  make_log(path, 1, 5);
  return std::chrono::duration_cast<std::chrono::microseconds>(
      clock_type::now() - start);
}

} // namespace

BOOST_AUTO_TEST_SUITE(storage_creation)

BOOST_AUTO_TEST_CASE(a_kill_while_creating_leaves_no_log_or_one_that_opens) {
  temp_dir dir;
  auto took = creation_time(dir / "measured");
  BOOST_TEST_MESSAGE("creating a log and appending took " << took.count()
                                                          << " us");
  std::mt19937 rng{20261129};
  std::uniform_int_distribution<int64_t> moment{0, took.count() * 5 / 4};
  int none = 0;
  int opened = 0;
  for (int round = 0; round < 40; ++round) {
    BOOST_TEST_CONTEXT("round " << round) {
      auto path = dir / ("log-" + std::to_string(round));
      auto delay = std::chrono::microseconds{moment(rng)};
      {
        program writer{{TC_LOG_MAKER, path, "sync", "1", "5"}, "/dev/null"};
        std::this_thread::sleep_for(delay); // the moment to kill it at
        writer.kill();
        writer.wait();
      }
      auto reader = event_store::open(path, {.read_only = true});
      if (!reader) {
        BOOST_TEST(is(reader.error(), errc::not_found),
                   "killed after " << delay.count()
                                   << " us: " << render(reader.error()));
        ++none;
      } else {
        ++opened;
        auto back = read_back(**reader);
        BOOST_TEST(!back.err);
        BOOST_TEST(back.exact);
      }
      // A writer creates or opens it, and cleans up after the killed one.
      auto writer = open_or_fail(path);
      auto x = numbered_event(writer->last_seq() + 1);
      BOOST_TEST(static_cast<bool>(writer->append(x)));
      auto prefix =
          "." + std::string{"log-"} + std::to_string(round) + ".creating-";
      for (auto& entry : fs::directory_iterator{dir.path()})
        BOOST_TEST(!entry.path().filename().string().starts_with(prefix),
                   entry.path());
    }
  }
  BOOST_TEST_MESSAGE(none << " kills left no log, " << opened
                          << " left one that opens");
  // Both outcomes were sampled.
  BOOST_TEST(none > 0);
  BOOST_TEST(opened > 0);
}

BOOST_AUTO_TEST_CASE(an_empty_folder_becomes_a_log_and_keeps_its_permissions) {
  temp_dir dir;
  auto path = dir / "log";
  fs::create_directory(path);
  fs::permissions(path, fs::perms::owner_all | fs::perms::group_read |
                            fs::perms::group_exec);
  {
    auto store = open_or_fail(path);
    auto x = numbered_event(1);
    BOOST_TEST(static_cast<bool>(store->append(x)));
  }
  auto perms = fs::status(path).permissions();
  BOOST_TEST((perms == (fs::perms::owner_all | fs::perms::group_read |
                        fs::perms::group_exec)));
  auto store = open_or_fail(path, {.read_only = true});
  BOOST_TEST(store->last_seq() == 1u);
}

BOOST_AUTO_TEST_CASE(a_mount_point_cannot_become_a_log_atomically) {
  // A log is renamed into place; a mount point cannot be replaced so.
  temp_dir dir;
  auto path = dir / "mnt";
  fs::create_directory(path);
  if (::mount("tmpfs", path.c_str(), "tmpfs", 0, "size=1m") != 0) {
    BOOST_TEST_MESSAGE("skipped: cannot mount a tmpfs here ("
                       << std::strerror(errno) << ")");
    return;
  }
  auto err = open_error(path);
  ::umount2(path.c_str(), MNT_DETACH);
  BOOST_TEST(is(err, errc::not_writable), render(err));
  BOOST_TEST(mentions(err, "is a mount point"), render(err));
  BOOST_TEST(mentions(err, "create it in a folder inside it"), render(err));
  // Nothing left beside it.
  for (auto& entry : fs::directory_iterator{dir.path()})
    BOOST_TEST(entry.path().filename() == "mnt", entry.path());
}

BOOST_AUTO_TEST_CASE(two_processes_creating_the_same_log_share_one) {
  temp_dir dir;
  for (int round = 0; round < 10; ++round) {
    auto path = dir / ("log-" + std::to_string(round));
    program a{{TC_LOG_MAKER, path, "buffered", "1", "3"}, dir / "a.err"};
    program b{{TC_LOG_MAKER, path, "buffered", "1", "3"}, dir / "b.err"};
    auto out_a = a.rest();
    auto out_b = b.rest();
    auto status_a = a.wait();
    auto status_b = b.wait();
    // One may find the log locked by the other; none may break it.
    auto ok_a = WIFEXITED(status_a) && WEXITSTATUS(status_a) == 0;
    auto ok_b = WIFEXITED(status_b) && WEXITSTATUS(status_b) == 0;
    BOOST_TEST((ok_a || ok_b));
    if (!ok_a)
      BOOST_TEST(read_file(dir / "a.err").find("locked") != std::string::npos,
                 read_file(dir / "a.err"));
    if (!ok_b)
      BOOST_TEST(read_file(dir / "b.err").find("locked") != std::string::npos,
                 read_file(dir / "b.err"));
    auto store = open_or_fail(path, {.read_only = true});
    auto back = read_back(*store);
    BOOST_TEST(!back.err);
    BOOST_TEST(back.exact);
    BOOST_TEST(back.seqs.size() == (ok_a && ok_b ? 6u : 3u));
  }
}

BOOST_AUTO_TEST_SUITE_END()
