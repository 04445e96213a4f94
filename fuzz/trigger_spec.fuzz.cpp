// Fuzzes the trigger and misfire spec parsers ("every 5s jitter 1s times 3",
// "once 2026-11-26T08:00:00Z", "cron */5 * * * *", "skip grace 1s") and the
// time parser behind them. Properties: an error points inside the input and
// says something; a parsed trigger or misfire policy prints as a text that
// parses back to the same value; the next fire time after any time is
// strictly later.

#include <cstdint>
#include <string_view>

#include "fuzz/fuzz_check.hpp"
#include "timecontrol/policies/trigger_spec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text{reinterpret_cast<const char*>(data), size};
  auto now = tc::from_nanos(1'795'680'000'000'000'000); // 2026-11-26
  auto later = tc::from_nanos(1'895'680'000'000'000'000);
  auto trig = tc::parse_trigger_spec(text, now, 42);
  if (!trig) {
    TC_FUZZ_CHECK(trig.error().position <= size);
    TC_FUZZ_CHECK(!trig.error().message.empty());
  } else {
    // The canonical text means the same at any other time.
    auto again = tc::parse_trigger_spec(tc::to_spec(*trig), later, 42);
    TC_FUZZ_CHECK(again && *again == *trig);
    if (auto next = tc::next_fire_after(*trig, now))
      TC_FUZZ_CHECK(*next > now);
  }
  auto policy = tc::parse_misfire_spec(text);
  if (!policy) {
    TC_FUZZ_CHECK(policy.error().position <= size);
    TC_FUZZ_CHECK(!policy.error().message.empty());
  } else {
    auto again = tc::parse_misfire_spec(tc::to_spec(*policy));
    TC_FUZZ_CHECK(again && again->rule == policy->rule &&
                  again->grace == policy->grace);
  }
  auto t = tc::parse_time_spec(text);
  if (!t) {
    TC_FUZZ_CHECK(t.error().position <= size);
    TC_FUZZ_CHECK(!t.error().message.empty());
  } else {
    TC_FUZZ_CHECK(tc::to_nanos(*t) >= 0);
  }
  return 0;
}
