#include "timecontrol/policies/min_interval.hpp"

#include "timecontrol/policies/detail/byte_io.hpp"

namespace tc {

namespace {

constexpr uint8_t tag = 1;
constexpr uint8_t version = 1;

} // namespace

std::string min_interval::serialize() const {
  detail::byte_writer w{tag, version};
  w.i64(period_.count());
  w.i64(to_nanos(last_));
  return std::move(w).take();
}

std::optional<min_interval> min_interval::deserialize(std::string_view bytes) {
  detail::byte_reader r{bytes};
  int64_t period = 0;
  int64_t last = 0;
  if (!r.header(tag, version) || !r.i64(period) || !r.i64(last) || !r.at_end())
    return std::nullopt;
  return min_interval{duration{period}, from_nanos(last)};
}

} // namespace tc
