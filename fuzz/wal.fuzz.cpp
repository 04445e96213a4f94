// Fuzzes the store's reader of RocksDB write-ahead log files
// (storage/detail/wal_scan.hpp), which reads every WAL file before RocksDB
// opens a log. Properties: every damaged stretch lies inside the file, in
// order; every write it delivers as intact parses and lies before the end;
// a torn tail lies inside the file.

#include <cstdint>
#include <string_view>

#include "fuzz/fuzz_check.hpp"
#include "timecontrol/storage/detail/wal_scan.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes{reinterpret_cast<const char*>(data), size};
  uint64_t last_offset = 0;
  bool first = true;
  auto scan = tc::detail::scan_wal_bytes(
      bytes, [&](const tc::detail::wal_batch& batch, std::string_view rep) {
        TC_FUZZ_CHECK(batch.offset < size);
        TC_FUZZ_CHECK(first || batch.offset > last_offset);
        first = false;
        last_offset = batch.offset;
        tc::seq_t lo = 0;
        tc::seq_t hi = 0;
        TC_FUZZ_CHECK(tc::detail::events_in_batch(rep, lo, hi));
        TC_FUZZ_CHECK(lo == batch.first_event && hi == batch.last_event);
        TC_FUZZ_CHECK(lo <= hi);
      });
  TC_FUZZ_CHECK(scan.size == size);
  uint64_t end = 0;
  for (auto& d : scan.damage) {
    TC_FUZZ_CHECK(d.offset >= end && d.offset < size);
    TC_FUZZ_CHECK(d.end > d.offset && d.end <= size);
    end = d.end;
  }
  if (scan.torn_tail)
    TC_FUZZ_CHECK(scan.torn_at < size);
  return 0;
}
