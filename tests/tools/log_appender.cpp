// append_test_log DIR EVENTS [ROUNDS]: appends ROUNDS rounds (default 1) of
// EVENTS events each to the log at DIR, creating it if missing, written up
// to 10000 events at a time. The event of seq N comes
// from source "feed" if N is even, "api" if odd, and is a call_started if N
// is a multiple of 3, a call_requested otherwise, at 2026-01-01T00:00:00Z
// plus N ms.
//
// It is the second process that `timecontrol replay --follow` follows in the
// tests, and it makes large logs for measurements.

#include <charconv>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "timecontrol/storage/event_store.hpp"

namespace {

using namespace tc;

bool parse(std::string_view text, uint64_t& x) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
  return ec == std::errc{} && end == text.data() + text.size();
}

envelope make(seq_t seq) {
  auto t =
      from_nanos(1767225600000000000 + static_cast<int64_t>(seq) * 1'000'000);
  std::string source = seq % 2 == 0 ? "feed" : "api";
  if (seq % 3 == 0)
    return envelope{0, t, std::move(source), call_started{seq}};
  return envelope{0, t, std::move(source), call_requested{seq}};
}

} // namespace

int main(int argc, char** argv) {
  uint64_t events = 0;
  uint64_t rounds = 1;
  if (argc < 3 || argc > 4 || !parse(argv[2], events) ||
      (argc > 3 && !parse(argv[3], rounds))) {
    std::fputs("usage: append_test_log DIR EVENTS [ROUNDS]\n", stderr);
    return 2;
  }
  auto store = event_store::open(argv[1], {.mode = durability::buffered});
  if (!store) {
    std::fprintf(stderr, "append_test_log: %s\n",
                 render(store.error()).c_str());
    return 1;
  }
  std::vector<envelope> batch;
  for (uint64_t round = 0; round < rounds; ++round) {
    for (uint64_t left = events; left > 0;) {
      auto n = std::min<uint64_t>(left, 10'000);
      auto next = (*store)->last_seq() + 1;
      batch.clear();
      for (uint64_t i = 0; i < n; ++i)
        batch.push_back(make(next + i));
      auto range = (*store)->append(batch);
      if (!range) {
        std::fprintf(stderr, "append_test_log: %s\n",
                     render(range.error()).c_str());
        return 1;
      }
      left -= n;
    }
  }
  return 0;
}
