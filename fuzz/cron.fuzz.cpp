// Fuzzes the cron expression parser. Properties: an error points inside the
// input; a parsed schedule's next fire time is strictly later than the time
// asked about, and is itself a fire time (asking again from one second
// before it gives it back).

#include <cstdint>
#include <string_view>

#include "fuzz/fuzz_check.hpp"
#include "timecontrol/policies/cron.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text{reinterpret_cast<const char*>(data), size};
  auto schedule = tc::cron_schedule::parse(text);
  if (!schedule) {
    TC_FUZZ_CHECK(schedule.error().position <= size);
    TC_FUZZ_CHECK(!schedule.error().message.empty());
    return 0;
  }
  auto t = tc::from_nanos(1'795'680'000'000'000'000); // 2026-11-26
  if (auto next = schedule->next_after(t)) {
    TC_FUZZ_CHECK(*next > t);
    auto again = schedule->next_after(*next - std::chrono::seconds{1});
    TC_FUZZ_CHECK(again && *again == *next);
  }
  return 0;
}
