// full_disk_writer: appends to a log on a disk that fills up, for
// full_disk.test.
//
//   full_disk_writer PATH BUDGET [small]
//
// Opens the log at PATH (which must exist) with every RocksDB file write
// going through a file system that has room for BUDGET more bytes
// (full_disk_fs.hpp), and appends numbered events in batches of 1 to 50 (a
// fixed seed), writing "ok <last seq>" after each acknowledged append.
// When an append fails it writes "failed <error>", then tries five more
// appends and a snapshot, writing "refused <error>" for each that fails as
// it must (storage_failure) and "accepted" for any that does not; then it
// closes the store and exits 0. With "small", RocksDB flushes and compacts
// every few kilobytes, so that the disk also fills up in its background
// work. Exits 1 on any other error.

#include <cstdio>
#include <random>
#include <string>
#include <unistd.h>

#include <rocksdb/options.h>

#include "tests/storage/full_disk_fs.hpp"
#include "tests/storage/numbered_events.hpp"
#include "timecontrol/storage/detail/testing.hpp"
#include "timecontrol/storage/event_store.hpp"

namespace {

void say(const std::string& line) {
  auto text = line + "\n";
  if (::write(STDOUT_FILENO, text.data(), text.size()) !=
      static_cast<ssize_t>(text.size()))
    ::_exit(1);
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    std::fprintf(stderr, "usage: full_disk_writer PATH BUDGET [small]\n");
    return 2;
  }
  tc::detail::set_file_system_for_testing(
      std::make_shared<tc::test::full_disk_fs>(std::stoll(argv[2])));
  if (argc == 4 && std::string{argv[3]} == "small")
    tc::detail::set_rocksdb_options_for_testing(
        [](rocksdb::DBOptions& db, rocksdb::ColumnFamilyOptions& family) {
          db.max_total_wal_size = 64 << 10;
          family.write_buffer_size = 32 << 10;
          family.target_file_size_base = 64 << 10;
          family.max_bytes_for_level_base = 256 << 10;
        });
  auto opened = tc::event_store::open(
      argv[1], {.mode = tc::durability::sync, .create_if_missing = false});
  if (!opened) {
    say("failed " + tc::render(opened.error()));
    return 0;
  }
  auto& store = **opened;
  std::mt19937_64 rng{20261129};
  std::uniform_int_distribution<uint64_t> batch_size{1, 50};
  std::vector<tc::envelope> batch;
  for (;;) {
    batch.clear();
    auto next = store.last_seq() + 1;
    auto n = batch_size(rng);
    for (uint64_t i = 0; i < n; ++i)
      batch.push_back(tc::test::numbered_event(next + i));
    auto range = store.append(batch);
    if (range) {
      say("ok " + std::to_string(range->last));
      continue;
    }
    if (!tc::is(range.error(), tc::errc::storage_failure)) {
      std::fprintf(stderr, "full_disk_writer: %s\n",
                   tc::render(range.error()).c_str());
      return 1;
    }
    say("failed " + tc::render(range.error()));
    break;
  }
  for (int i = 0; i < 5; ++i) {
    auto x = tc::test::numbered_event(store.last_seq() + 1);
    auto seq = store.append(x);
    if (seq)
      say("accepted");
    else if (tc::is(seq.error(), tc::errc::storage_failure))
      say("refused " + tc::render(seq.error()));
    else
      say("wrong " + tc::render(seq.error()));
  }
  auto err = store.save_snapshot("view", store.last_seq(), "state");
  if (!err)
    say("accepted");
  else if (tc::is(err, tc::errc::storage_failure))
    say("refused " + tc::render(err));
  else
    say("wrong " + tc::render(err));
  opened->reset(); // closes the log, after the failure
  say("closed");
  return 0;
}
