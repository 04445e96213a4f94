// crash_writer: appends to a log until it is killed, for recovery.test.
//
//   crash_writer PATH sync|buffered SEED
//
// Appends batches of 1 to 20 events (sizes drawn from SEED) whose call_id is
// the sequence number it expects them to get, and after each acknowledged
// append writes "<last seq>\n" to standard output (unbuffered). Exits 1 with
// a message on any error.

#include <cstdio>
#include <random>
#include <string>
#include <unistd.h>

#include "timecontrol/storage/event_store.hpp"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: crash_writer PATH sync|buffered SEED\n");
    return 2;
  }
  tc::store_options options;
  options.mode = std::string{argv[2]} == "sync" ? tc::durability::sync
                                                : tc::durability::buffered;
  auto store = tc::event_store::open(argv[1], options);
  if (!store) {
    std::fprintf(stderr, "crash_writer: %s\n",
                 tc::render(store.error()).c_str());
    return 1;
  }
  std::mt19937_64 rng{std::stoull(argv[3])};
  std::uniform_int_distribution<size_t> batch_size{1, 20};
  std::vector<tc::envelope> batch;
  for (;;) {
    batch.clear();
    auto next = (*store)->last_seq() + 1;
    auto n = batch_size(rng);
    for (size_t i = 0; i < n; ++i)
      batch.push_back(tc::envelope{
          0, tc::from_nanos(static_cast<int64_t>(next + i)), "writer",
          tc::call_finished{next + i, tc::duration{7}, true,
                            std::string(64, 'x')}});
    auto range = (*store)->append(batch);
    if (!range) {
      std::fprintf(stderr, "crash_writer: %s\n",
                   tc::render(range.error()).c_str());
      return 1;
    }
    auto line = std::to_string(range->last) + "\n";
    if (::write(STDOUT_FILENO, line.data(), line.size()) !=
        static_cast<ssize_t>(line.size()))
      return 1;
  }
}
