// Fuzzes the store's own records: snapshots, index postings, gap records,
// and its lease and marker files. Property: whatever decodes, re-encodes to
// bytes that decode to the same value.

#include <cstdint>
#include <string_view>

#include "fuzz/fuzz_check.hpp"
#include "timecontrol/storage/detail/format.hpp"
#include "timecontrol/storage/detail/log_files.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes{reinterpret_cast<const char*>(data), size};
  if (auto snap = tc::format::decode_snapshot("fuzz", bytes)) {
    auto again =
        tc::format::decode_snapshot("fuzz", tc::format::encode_snapshot(*snap));
    TC_FUZZ_CHECK(again && *again == *snap);
  }
  // Postings: the first 8 bytes stand for the key's `first`.
  if (size >= 8) {
    std::string key = "s";
    key.append(bytes.substr(0, 8));
    std::vector<tc::seq_t> seqs;
    if (tc::format::decode_postings(key, bytes.substr(8), seqs)) {
      TC_FUZZ_CHECK(!seqs.empty());
      for (size_t i = 1; i < seqs.size(); ++i)
        TC_FUZZ_CHECK(seqs[i] > seqs[i - 1]);
      std::string value;
      tc::format::encode_postings(seqs, value);
      std::vector<tc::seq_t> again;
      TC_FUZZ_CHECK(tc::format::decode_postings(
          tc::format::posting_key("s", seqs.front()), value, again));
      TC_FUZZ_CHECK(again == seqs);
    }
  }
  // Gap records: the first 8 bytes stand for the key's `first`.
  if (size >= 8) {
    std::string key(1, tc::format::gap_tag);
    key.append(bytes.substr(0, 8));
    if (auto gap = tc::format::decode_gap(key, bytes.substr(8))) {
      TC_FUZZ_CHECK(gap->first >= 1 && gap->last >= gap->first);
      auto again = tc::format::decode_gap(tc::format::gap_key(gap->first),
                                          tc::format::encode_gap(*gap));
      TC_FUZZ_CHECK(again && *again == *gap);
    }
  }
  if (auto high = tc::detail::decode_lease(bytes)) {
    auto again = tc::detail::decode_lease(
        tc::detail::encode_lease(high->high, high->clean));
    TC_FUZZ_CHECK(again && again->high == high->high &&
                  again->clean == high->clean);
  }
  (void)tc::detail::check_marker(bytes);
  return 0;
}
