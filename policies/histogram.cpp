#include "timecontrol/policies/histogram.hpp"

#include <algorithm>
#include <cmath>

#include "timecontrol/policies/detail/byte_io.hpp"

namespace tc {

namespace {

constexpr uint8_t tag = 6;
constexpr uint8_t version = 1;

constexpr size_t sub_buckets = size_t{1} << histogram::sub_bucket_bits;

} // namespace

void histogram::merge(const histogram& other) {
  if (other.count_ == 0)
    return;
  if (other.counts_.size() > counts_.size())
    counts_.resize(other.counts_.size());
  for (size_t i = 0; i < other.counts_.size(); ++i)
    counts_[i] += other.counts_[i];
  if (count_ == 0 || other.min_ < min_)
    min_ = other.min_;
  if (count_ == 0 || other.max_ > max_)
    max_ = other.max_;
  count_ += other.count_;
  sum_ += other.sum_;
}

void histogram::clear() noexcept {
  counts_.clear();
  count_ = 0;
  min_ = 0;
  max_ = 0;
  sum_ = 0;
}

double histogram::mean() const noexcept {
  if (count_ == 0)
    return 0.0;
  return static_cast<double>(sum_) / static_cast<double>(count_);
}

int64_t histogram::lower_bound_of(size_t idx) noexcept {
  if (idx < sub_buckets)
    return static_cast<int64_t>(idx);
  auto shift = (idx >> sub_bucket_bits) - 1;
  auto mantissa = (idx & (sub_buckets - 1)) + sub_buckets;
  return static_cast<int64_t>(static_cast<uint64_t>(mantissa) << shift);
}

int64_t histogram::width_of(size_t idx) noexcept {
  if (idx < sub_buckets)
    return 1;
  return int64_t{1} << ((idx >> sub_bucket_bits) - 1);
}

int64_t histogram::quantile(double q) const noexcept {
  if (count_ == 0)
    return 0;
  if (!(q > 0.0)) // also catches NaN
    return min_;
  if (q >= 1.0)
    return max_;
  auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      auto lo = lower_bound_of(i);
      auto mid = lo + (width_of(i) - 1) / 2;
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;
}

bool operator==(const histogram& x, const histogram& y) noexcept {
  if (x.count_ != y.count_ || x.min_ != y.min_ || x.max_ != y.max_ ||
      x.sum_ != y.sum_)
    return false;
  auto n = std::max(x.counts_.size(), y.counts_.size());
  for (size_t i = 0; i < n; ++i) {
    auto a = i < x.counts_.size() ? x.counts_[i] : 0;
    auto b = i < y.counts_.size() ? y.counts_[i] : 0;
    if (a != b)
      return false;
  }
  return true;
}

std::string histogram::serialize() const {
  detail::byte_writer w{tag, version};
  w.u8(sub_bucket_bits);
  w.varint(count_);
  w.i64(min_);
  w.i64(max_);
  w.i128(sum_);
  uint64_t buckets = 0;
  for (auto c : counts_)
    buckets += c != 0 ? 1 : 0;
  w.varint(buckets);
  size_t prev = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] == 0)
      continue;
    w.varint(i - prev);
    w.varint(counts_[i]);
    prev = i;
  }
  return std::move(w).take();
}

std::optional<histogram> histogram::deserialize(std::string_view bytes) {
  detail::byte_reader r{bytes};
  uint8_t bits = 0;
  histogram h;
  uint64_t buckets = 0;
  if (!r.header(tag, version) || !r.u8(bits) || bits != sub_bucket_bits ||
      !r.varint(h.count_) || !r.i64(h.min_) || !r.i64(h.max_) ||
      !r.i128(h.sum_) || !r.varint(buckets))
    return std::nullopt;
  if (buckets > bucket_count || buckets > r.remaining() / 2)
    return std::nullopt;
  uint64_t total = 0;
  size_t idx = 0;
  for (uint64_t b = 0; b < buckets; ++b) {
    uint64_t delta = 0;
    uint64_t n = 0;
    if (!r.varint(delta) || !r.varint(n) || n == 0)
      return std::nullopt;
    if ((b > 0 && delta == 0) || delta >= bucket_count ||
        idx + delta >= bucket_count)
      return std::nullopt;
    idx += delta;
    if (__builtin_add_overflow(total, n, &total))
      return std::nullopt;
    if (idx >= h.counts_.size())
      h.counts_.resize(idx + 1);
    h.counts_[idx] = n;
  }
  if (!r.at_end() || total != h.count_)
    return std::nullopt;
  if (h.count_ == 0) {
    if (h.min_ != 0 || h.max_ != 0 || h.sum_ != 0)
      return std::nullopt;
  } else {
    // min and max lie in the first and last non-empty buckets, and the sum
    // lies between count * min and count * max.
    auto first =
        static_cast<size_t>(std::find_if(h.counts_.begin(), h.counts_.end(),
                                         [](uint64_t c) { return c != 0; }) -
                            h.counts_.begin());
    if (h.min_ < 0 || h.min_ > h.max_ || index_of(h.min_) != first ||
        index_of(h.max_) != h.counts_.size() - 1)
      return std::nullopt;
    auto n = static_cast<detail::int128>(h.count_);
    if (h.sum_ < n * h.min_ || h.sum_ > n * h.max_)
      return std::nullopt;
  }
  return h;
}

} // namespace tc
