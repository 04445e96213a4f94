// Fuzzes the event record decoder. Property: whatever decodes, re-encodes to
// a record that decodes to the same envelope.

#include <cstdint>
#include <string_view>

#include "fuzz/fuzz_check.hpp"
#include "timecontrol/events/codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes{reinterpret_cast<const char*>(data), size};
  auto decoded = tc::codec::decode(bytes);
  if (!decoded) {
    TC_FUZZ_CHECK(!tc::render(decoded.error()).empty());
    return 0;
  }
  auto again = tc::codec::decode(tc::codec::encode(*decoded), decoded->seq);
  TC_FUZZ_CHECK(again && *again == *decoded);
  return 0;
}
