// Fuzzes the state decoders of the policies that actors restore from
// snapshots (a Command's limiter, a Controller's deadlines, the plugins'
// histograms, a Command's keys). Property: whatever decodes, serialises to
// bytes that decode to an equal state. The first byte picks the decoder.

#include <cstdint>
#include <string_view>

#include "fuzz/fuzz_check.hpp"
#include "timecontrol/policies/deadline.hpp"
#include "timecontrol/policies/histogram.hpp"
#include "timecontrol/policies/keyed_limiter.hpp"
#include "timecontrol/policies/min_interval.hpp"
#include "timecontrol/policies/sliding_window.hpp"
#include "timecontrol/policies/token_bucket.hpp"
#include "timecontrol/policies/under_limiter.hpp"

namespace {

template <class T>
void round_trip(std::string_view bytes) {
  if (auto x = T::deserialize(bytes)) {
    auto again = T::deserialize(x->serialize());
    TC_FUZZ_CHECK(again && *again == *x);
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0)
    return 0;
  std::string_view bytes{reinterpret_cast<const char*>(data) + 1, size - 1};
  switch (data[0] % 7) {
    case 0:
      round_trip<tc::min_interval>(bytes);
      break;
    case 1:
      // What a Command's snapshot holds: any of the three under-limiters.
      if (auto lim = tc::deserialize_under_limiter(bytes)) {
        auto again =
            tc::deserialize_under_limiter(tc::serialize_under_limiter(*lim));
        TC_FUZZ_CHECK(again && *again == *lim);
      }
      break;
    case 2:
      round_trip<tc::token_bucket>(bytes);
      break;
    case 3:
      round_trip<tc::sliding_window>(bytes);
      break;
    case 4:
      round_trip<tc::deadline>(bytes);
      break;
    case 6: {
      // A Command's keys (a keyed_limiter, in its snapshot), under one of
      // three specs picked by the next byte. Whatever decodes also decides
      // and evicts.
      if (bytes.empty())
        break;
      static const char* const specs[] = {"min 1s", "5/s burst 10",
                                          "10 per 1min"};
      auto spec =
          tc::parse_limiter_spec(specs[static_cast<uint8_t>(bytes.front()) % 3])
              .value();
      bytes.remove_prefix(1);
      if (auto x = tc::keyed_limiter::deserialize(spec, bytes)) {
        auto again = tc::keyed_limiter::deserialize(spec, x->serialize());
        TC_FUZZ_CHECK(again && *again == *x &&
                      again->serialize() == x->serialize());
        auto t = tc::from_nanos(1'795'680'000'000'000'000);
        (void)x->admit("k", t);
        (void)x->evict_some(t, 4);
        (void)x->evict(t);
      }
      break;
    }
    default:
      round_trip<tc::histogram>(bytes);
  }
  return 0;
}
