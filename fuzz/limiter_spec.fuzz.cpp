// Fuzzes the limiter spec parser ("5/s burst 10", "20 per 10s", "min 1s").
// Properties: an error points inside the input; a parsed spec prints as a
// text that parses to the same spec.

#include <cstdint>
#include <string_view>

#include "fuzz/fuzz_check.hpp"
#include "timecontrol/policies/spec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text{reinterpret_cast<const char*>(data), size};
  auto spec = tc::parse_limiter_spec(text);
  if (!spec) {
    TC_FUZZ_CHECK(spec.error().position <= size);
    TC_FUZZ_CHECK(!spec.error().message.empty());
    return 0;
  }
  auto printed = tc::to_string(*spec);
  auto again = tc::parse_limiter_spec(printed);
  TC_FUZZ_CHECK(again && *again == *spec);
  return 0;
}
