// log_maker: writes a log the way a real program does, for the storage
// tests that damage, kill or starve it.
//
//   log_maker PATH sync|buffered ROUNDS EVENTS [BATCH [small]]
//
// Each of ROUNDS rounds opens the log, appends EVENTS numbered events
// (tests/storage/numbered_events.hpp) in batches of 1 to BATCH (default 50;
// sizes from a fixed seed), saves the snapshot "view" covering them, and
// closes it; each reopening moves what the last round left in the
// write-ahead log into table files. After each acknowledged append it writes
// "<last seq>\n" to standard output (unbuffered). Exits 1 with the error on
// standard error when something fails. With "small", RocksDB gets small
// memtables and WAL limit (through the store's test hook), so that it
// flushes, switches and deletes WAL files and compacts every few thousand
// events.

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <unistd.h>

#include <rocksdb/options.h>

#include "tests/storage/numbered_events.hpp"
#include "timecontrol/storage/detail/testing.hpp"
#include "timecontrol/storage/event_store.hpp"

int main(int argc, char** argv) {
  if (argc < 5 || argc > 7) {
    std::fprintf(stderr, "usage: log_maker PATH sync|buffered ROUNDS EVENTS "
                         "[BATCH [small]]\n");
    return 2;
  }
  if (argc == 7 && std::string{argv[6]} == "small")
    tc::detail::set_rocksdb_options_for_testing(
        [](rocksdb::DBOptions& db, rocksdb::ColumnFamilyOptions& family) {
          db.max_total_wal_size = 1 << 20;
          family.write_buffer_size = 256 << 10;
          family.target_file_size_base = 512 << 10;
          family.max_bytes_for_level_base = 2 << 20;
        });
  tc::store_options options;
  options.mode = std::string{argv[2]} == "sync" ? tc::durability::sync
                                                : tc::durability::buffered;
  auto rounds = std::stoi(argv[3]);
  uint64_t events = std::stoull(argv[4]);
  uint64_t largest = argc >= 6 ? std::stoull(argv[5]) : 50;
  std::mt19937_64 rng{20261126};
  std::uniform_int_distribution<uint64_t> batch_size{1, largest};
  for (int round = 0; round < rounds; ++round) {
    auto store = tc::event_store::open(argv[1], options);
    if (!store) {
      std::fprintf(stderr, "log_maker: %s\n",
                   tc::render(store.error()).c_str());
      return 1;
    }
    uint64_t written = 0;
    std::vector<tc::envelope> batch;
    while (written < events) {
      batch.clear();
      auto next = (*store)->last_seq() + 1;
      auto n = std::min(batch_size(rng), events - written);
      for (uint64_t i = 0; i < n; ++i)
        batch.push_back(tc::test::numbered_event(next + i));
      auto range = (*store)->append(batch);
      if (!range) {
        std::fprintf(stderr, "log_maker: %s\n",
                     tc::render(range.error()).c_str());
        return 1;
      }
      written += n;
      auto line = std::to_string(range->last) + "\n";
      if (::write(STDOUT_FILENO, line.data(), line.size()) !=
          static_cast<ssize_t>(line.size()))
        return 1;
    }
    if (auto err = (*store)->save_snapshot("view", (*store)->last_seq(),
                                           "state of round " +
                                               std::to_string(round))) {
      std::fprintf(stderr, "log_maker: %s\n", tc::render(err).c_str());
      return 1;
    }
  }
  return 0;
}
