#include "timecontrol/policies/sliding_window.hpp"

#include "timecontrol/policies/detail/byte_io.hpp"

namespace tc {

namespace {

constexpr uint8_t tag = 4;
constexpr uint8_t version = 1;

} // namespace

uint64_t sliding_window::free_slots(time_point now) const noexcept {
  if (window_ <= duration{0})
    return limit_;
  auto t = std::max(now, latest());
  // Calls in (t - window, t]: those with call + window > t.
  auto first = std::find_if(calls_.begin(), calls_.end(), [&](time_point c) {
    auto end = detail::add_sat(c, window_);
    return end == never || end > t;
  });
  auto in_window = static_cast<uint64_t>(calls_.end() - first);
  return limit_ - std::min(limit_, in_window);
}

std::string sliding_window::serialize() const {
  detail::byte_writer w{tag, version};
  w.varint(limit_);
  w.i64(window_.count());
  w.varint(calls_.size());
  // Deltas wrap modulo 2^64; times are sorted, so decoding is unambiguous.
  uint64_t prev = 0;
  for (auto c : calls_) {
    auto n = static_cast<uint64_t>(to_nanos(c));
    w.i64(static_cast<int64_t>(n - prev));
    prev = n;
  }
  return std::move(w).take();
}

std::optional<sliding_window>
sliding_window::deserialize(std::string_view bytes) {
  detail::byte_reader r{bytes};
  uint64_t limit = 0;
  int64_t window = 0;
  uint64_t n = 0;
  if (!r.header(tag, version) || !r.varint(limit) || !r.i64(window) ||
      !r.varint(n))
    return std::nullopt;
  if (n > limit || n > r.remaining() / 8)
    return std::nullopt;
  sliding_window result{limit, duration{window}};
  uint64_t prev = 0;
  for (uint64_t i = 0; i < n; ++i) {
    int64_t delta = 0;
    if (!r.i64(delta))
      return std::nullopt;
    auto t = prev + static_cast<uint64_t>(delta);
    if (i > 0 && static_cast<int64_t>(t) < static_cast<int64_t>(prev))
      return std::nullopt; // not sorted
    result.calls_.push_back(from_nanos(static_cast<int64_t>(t)));
    prev = t;
  }
  if (!r.at_end())
    return std::nullopt;
  return result;
}

} // namespace tc
