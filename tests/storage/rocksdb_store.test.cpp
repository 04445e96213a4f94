// What only a durable store does: survive reopening, refuse what is not its
// own, and say why it cannot open.

#include "timecontrol/storage/event_store.hpp"

#include <boost/test/unit_test.hpp>

#include <rocksdb/db.h>

#include <filesystem>
#include <fstream>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/storage/raw_log.hpp"
#include "tests/storage/store_kinds.hpp"
#include "tests/support/sample_events.hpp"
#include "timecontrol/storage/detail/format.hpp"

using namespace tc;
using test::durable_kinds;

namespace {

envelope make(uint64_t call_id) {
  return envelope{0, test::sample_time(), "a", call_requested{call_id}};
}

[[nodiscard]] caf::error open_error(const std::string& path,
                                    store_options options = {}) {
  auto store = event_store::open(path, options);
  BOOST_REQUIRE(!store);
  return store.error();
}

bool mentions(const caf::error& err, const std::string& text) {
  return render(err).find(text) != std::string::npos;
}

} // namespace

BOOST_AUTO_TEST_SUITE(storage_rocksdb_store)

BOOST_AUTO_TEST_CASE_TEMPLATE(sequence_numbers_continue_after_a_reopen, Kind,
                              durable_kinds) {
  Kind f;
  for (uint64_t i = 1; i <= 3; ++i) {
    auto x = make(i);
    BOOST_REQUIRE(f.store->append(x));
  }
  f.reopen();
  BOOST_TEST(f.store->last_seq() == 3u);
  auto x = make(4);
  auto seq = f.store->append(x);
  BOOST_REQUIRE(seq);
  BOOST_TEST(*seq == 4u);
  size_t n = 0;
  BOOST_TEST(!f.store->replay({.source = "a"}, [&](const envelope& e) {
    BOOST_TEST(e.seq == ++n);
    return true;
  }));
  BOOST_TEST(n == 4u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(snapshots_survive_a_reopen, Kind, durable_kinds) {
  Kind f;
  auto x = make(1);
  BOOST_REQUIRE(f.store->append(x));
  BOOST_REQUIRE(!f.store->save_snapshot("view", 1, "state"));
  f.reopen();
  auto loaded = f.store->load_snapshot("view");
  BOOST_REQUIRE(loaded && loaded->has_value());
  BOOST_TEST((**loaded == snapshot{1, "state"}));
}

BOOST_AUTO_TEST_CASE(a_missing_folder_is_created_with_its_parents) {
  test::temp_dir dir;
  auto store = event_store::open(dir / "a/b/log", {});
  BOOST_REQUIRE(store);
  BOOST_TEST((*store)->path() == dir / "a/b/log");
}

BOOST_AUTO_TEST_CASE(a_missing_log_is_not_created_when_asked_not_to) {
  test::temp_dir dir;
  auto err = open_error(dir / "log", {.create_if_missing = false});
  BOOST_TEST(is(err, errc::not_found));
  BOOST_TEST(mentions(err, dir / "log"));
}

BOOST_AUTO_TEST_CASE(a_folder_that_cannot_be_created_is_not_writable) {
  test::temp_dir dir;
  std::ofstream{dir / "file"} << "x";
  auto err = open_error(dir / "file/log");
  BOOST_TEST(is(err, errc::not_writable));
  BOOST_TEST(mentions(err, dir / "file/log"));
  // /proc refuses new folders even to root.
  err = open_error("/proc/timecontrol-test/log");
  BOOST_TEST(is(err, errc::not_writable));
}

BOOST_AUTO_TEST_CASE(a_file_is_not_a_log) {
  test::temp_dir dir;
  std::ofstream{dir / "file"} << "x";
  auto err = open_error(dir / "file");
  BOOST_TEST(is(err, errc::not_a_log));
  BOOST_TEST(mentions(err, dir / "file"));
}

BOOST_AUTO_TEST_CASE(a_folder_of_other_files_is_not_a_log) {
  test::temp_dir dir;
  std::ofstream{dir / "notes.txt"} << "x";
  auto err = open_error(dir.path().string());
  BOOST_TEST(is(err, errc::not_a_log));
  BOOST_TEST(mentions(err, "holds files but no timecontrol log"));
}

BOOST_AUTO_TEST_CASE(another_rocksdb_database_is_not_a_log) {
  test::temp_dir dir;
  {
    rocksdb::DB* db = nullptr;
    rocksdb::Options options;
    options.create_if_missing = true;
    BOOST_REQUIRE(rocksdb::DB::Open(options, dir / "db", &db).ok());
    BOOST_REQUIRE(db->Put({}, "user-key", "value").ok());
    delete db;
  }
  auto err = open_error(dir / "db");
  BOOST_TEST(is(err, errc::not_a_log));
  BOOST_TEST(mentions(err, "without a timecontrol header"));
}

BOOST_AUTO_TEST_CASE(a_log_of_a_newer_format_is_refused) {
  test::temp_dir dir;
  BOOST_REQUIRE(event_store::open(dir / "log", {}));
  {
    test::raw_log raw{dir / "log"};
    auto value = format::meta_value();
    value.back() = static_cast<char>(format::store_version + 1);
    raw.put(std::string{format::meta_key}, value);
  }
  auto err = open_error(dir / "log");
  BOOST_TEST(is(err, errc::newer_format));
  BOOST_TEST(mentions(err, "log format version " +
                               std::to_string(format::store_version + 1) +
                               " is newer"));
}

BOOST_AUTO_TEST_CASE(a_writer_raises_an_older_log_to_this_format_a_reader_not) {
  test::temp_dir dir;
  BOOST_REQUIRE(event_store::open(dir / "log", {}));
  auto header = [&] {
    test::raw_log raw{dir / "log"};
    return format::parse_meta_value(raw.get(std::string{format::meta_key}));
  };
  BOOST_TEST((header() == format::store_version));
  for (uint8_t older : {1, 2}) {
    {
      test::raw_log raw{dir / "log"};
      raw.put(std::string{format::meta_key}, format::meta_value(older));
    }
    BOOST_REQUIRE(event_store::open(dir / "log", {.read_only = true}));
    BOOST_TEST((header() == older));
    BOOST_REQUIRE(event_store::open(dir / "log", {}));
    BOOST_TEST((header() == format::store_version));
  }
}

BOOST_AUTO_TEST_CASE(a_log_open_in_this_process_is_locked) {
  test::temp_dir dir;
  auto first = event_store::open(dir / "log", {});
  BOOST_REQUIRE(first);
  auto err = open_error(dir / "log");
  BOOST_TEST(is(err, errc::locked));
  BOOST_TEST(mentions(err, dir / "log"));
}

BOOST_AUTO_TEST_CASE(a_log_open_in_another_process_is_locked) {
  test::temp_dir dir;
  auto path = dir / "log";
  int ready[2];
  int release[2];
  BOOST_REQUIRE(::pipe(ready) == 0);
  BOOST_REQUIRE(::pipe(release) == 0);
  auto child = ::fork();
  BOOST_REQUIRE(child >= 0);
  if (child == 0) {
    auto store = event_store::open(path, {});
    char byte = store ? 'y' : 'n';
    [[maybe_unused]] auto n = ::write(ready[1], &byte, 1);
    n = ::read(release[0], &byte, 1); // hold the log until told to go
    ::_exit(0);
  }
  char byte = 0;
  BOOST_REQUIRE(::read(ready[0], &byte, 1) == 1);
  BOOST_REQUIRE(byte == 'y');
  auto err = open_error(path);
  BOOST_TEST(is(err, errc::locked));
  BOOST_TEST(mentions(err, path));
  BOOST_REQUIRE(::write(release[1], "x", 1) == 1);
  int status = 0;
  ::waitpid(child, &status, 0);
  // Once the other process is gone, the log opens.
  BOOST_TEST(static_cast<bool>(event_store::open(path, {})));
  for (int fd : {ready[0], ready[1], release[0], release[1]})
    ::close(fd);
}

BOOST_AUTO_TEST_CASE(a_log_can_be_read_while_a_writer_has_it_open) {
  test::temp_dir dir;
  auto writer = event_store::open(dir / "log", {});
  BOOST_REQUIRE(writer);
  for (uint64_t i = 1; i <= 3; ++i) {
    auto x = make(i);
    BOOST_REQUIRE((*writer)->append(x));
  }
  auto reader = event_store::open(dir / "log", {.read_only = true});
  BOOST_REQUIRE(reader);
  BOOST_TEST((*reader)->last_seq() == 3u);
  size_t n = 0;
  BOOST_TEST(!(*reader)->replay({.source = "a"}, [&](const envelope&) {
    ++n;
    return true;
  }));
  BOOST_TEST(n == 3u);
  auto x = make(4);
  auto refused = (*reader)->append(x);
  BOOST_REQUIRE(!refused);
  BOOST_TEST(is(refused.error(), errc::closed));
  BOOST_TEST(is((*reader)->save_snapshot("v", 1, "s"), errc::closed));
}

BOOST_AUTO_TEST_CASE(a_missing_log_is_not_created_for_reading) {
  test::temp_dir dir;
  auto err = open_error(dir / "log", {.read_only = true});
  BOOST_TEST(is(err, errc::not_found));
  BOOST_TEST(!std::filesystem::exists(dir / "log"));
}

BOOST_AUTO_TEST_CASE(a_writer_opened_again_and_again_keeps_two_old_info_logs) {
  // Each open starts a new info log (LOG) and keeps the last as
  // LOG.old.*: a writer started again and again must not fill the disk.
  test::temp_dir dir;
  auto path = dir / "log";
  auto old_logs = [&] {
    size_t n = 0;
    for (auto& entry : std::filesystem::directory_iterator{path})
      if (entry.path().filename().string().starts_with("LOG.old."))
        ++n;
    return n;
  };
  for (int i = 0; i < 8; ++i) {
    auto store = event_store::open(path, {});
    BOOST_REQUIRE(store);
    BOOST_TEST(old_logs() <= 2u);
  }
  BOOST_TEST(old_logs() >= 1u);
}

BOOST_AUTO_TEST_SUITE_END()
