// histogram: streaming, mergeable statistics of durations (or any
// non-negative 64-bit values) in bounded memory, for learning plugins.
//
// An HDR-style log-linear histogram: values below 128 are counted exactly;
// above, every power-of-two range [2^k, 2^(k+1)) is split into 128 equal
// buckets. A quantile is reported as the middle of its bucket (clamped to the
// exact min and max), so
//
//   |reported - exact| <= exact / 256      (relative error at most 0.39%)
//
// where "exact" is the value of rank ceil(q * count) in sorted order. count,
// min, max and mean (from an exact 128-bit sum) are exact.
//
// Memory: at most 7296 counters (57 KiB), allocated only up to the largest
// bucket recorded; a histogram of values below 1 s needs ~3 000 counters.
//
// Example:
//
//   tc::histogram h;
//   h.record(latency);                 // tc::duration or int64_t
//   auto p99 = h.quantile(0.99);       // int64_t, nanoseconds
//   total.merge(h);

#pragma once

#include <bit>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "timecontrol/core/time.hpp"
#include "timecontrol/policies/detail/int128.hpp"

namespace tc {

class histogram {
public:
  /// Linear buckets per power of two, as a number of bits.
  static constexpr int sub_bucket_bits = 7;

  /// The number of buckets covering [0, INT64_MAX].
  static constexpr size_t bucket_count = ((63 - sub_bucket_bits) + 1)
                                         << sub_bucket_bits;

  /// Upper bound on |reported - exact| / exact for a quantile.
  static constexpr double relative_error = 1.0 / (2 << sub_bucket_bits);

  // -- recording --------------------------------------------------------------

  /// Records one value. Negative values are recorded as 0.
  void record(int64_t value) { record(value, 1); }

  void record(duration d) { record(d.count(), 1); }

  /// Records `n` occurrences of `value`.
  void record(int64_t value, uint64_t n) {
    if (n == 0)
      return;
    if (value < 0)
      value = 0;
    auto idx = index_of(value);
    if (idx >= counts_.size())
      counts_.resize(idx + 1);
    counts_[idx] += n;
    if (count_ == 0 || value < min_)
      min_ = value;
    if (count_ == 0 || value > max_)
      max_ = value;
    count_ += n;
    sum_ += static_cast<detail::int128>(value) * n;
  }

  /// Adds every value recorded in `other`.
  void merge(const histogram& other);

  /// Forgets everything.
  void clear() noexcept;

  // -- statistics -------------------------------------------------------------

  uint64_t count() const noexcept { return count_; }

  /// Smallest recorded value (0 when empty).
  int64_t min() const noexcept { return min_; }

  /// Largest recorded value (0 when empty).
  int64_t max() const noexcept { return max_; }

  /// Arithmetic mean (0 when empty).
  double mean() const noexcept;

  /// The value of rank ceil(q * count) (at least 1), within relative_error;
  /// q is clamped to [0, 1]; quantile(0) is min, quantile(1) is max. 0 when
  /// empty.
  int64_t quantile(double q) const noexcept;

  int64_t p50() const noexcept { return quantile(0.5); }
  int64_t p90() const noexcept { return quantile(0.9); }
  int64_t p99() const noexcept { return quantile(0.99); }
  int64_t p999() const noexcept { return quantile(0.999); }

  // -- buckets ----------------------------------------------------------------

  /// The bucket that holds `value` (value >= 0).
  static size_t index_of(int64_t value) noexcept {
    auto v = static_cast<uint64_t>(value);
    if (v < (uint64_t{1} << sub_bucket_bits))
      return static_cast<size_t>(v);
    auto msb = 63 - std::countl_zero(v);
    auto shift = msb - sub_bucket_bits;
    return (static_cast<size_t>(shift + 1) << sub_bucket_bits) +
           static_cast<size_t>((v >> shift) - (uint64_t{1} << sub_bucket_bits));
  }

  /// The smallest value in bucket `idx`.
  static int64_t lower_bound_of(size_t idx) noexcept;

  /// The number of values in bucket `idx`.
  static int64_t width_of(size_t idx) noexcept;

  // -- serialization ----------------------------------------------------------

  /// The state as bytes (grammar in detail/byte_io.hpp):
  ///
  ///   histogram := 0x06 0x01 sub_bucket_bits:u8 count:varint min:i64 max:i64
  ///                sum:i128 buckets:varint (index_delta:varint n:varint)*
  ///
  /// listing the non-empty buckets in increasing index order (the first
  /// delta is the index itself, later deltas are positive; i128 is two i64,
  /// low half first).
  std::string serialize() const;

  /// Restores a state written by serialize(); empty for any other input
  /// (including counts that do not add up).
  static std::optional<histogram> deserialize(std::string_view bytes);

  friend bool operator==(const histogram& x, const histogram& y) noexcept;

private:
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  int64_t min_ = 0;
  int64_t max_ = 0;
  detail::int128 sum_ = 0;
};

} // namespace tc
