// Writing and reading plugin snapshots: a tag naming the plugin and its
// format version, then varints, zigzag varints and length-prefixed strings
// (core/coding.hpp). The reader remembers the first failure, so a load reads
// straight through and checks once at the end.

#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "timecontrol/core/coding.hpp"
#include "timecontrol/core/error.hpp"
#include "timecontrol/core/time.hpp"
#include "timecontrol/policies/histogram.hpp"

namespace tc::detail {

class snapshot_writer {
public:
  explicit snapshot_writer(std::string_view tag) {
    coding::put_string(out_, tag);
  }

  void u64(uint64_t x) { coding::put_varint(out_, x); }
  void i64(int64_t x) { coding::put_varint(out_, coding::zigzag(x)); }
  void f64(double x) {
    uint64_t bits;
    static_assert(sizeof bits == sizeof x);
    std::memcpy(&bits, &x, sizeof bits);
    coding::put_fixed64_le(out_, bits);
  }
  void time(time_point t) { i64(to_nanos(t)); }
  void span(duration d) { i64(d.count()); }
  void str(std::string_view s) { coding::put_string(out_, s); }
  void hist(const histogram& h) { str(h.serialize()); }

  std::string take() && { return std::move(out_); }

private:
  std::string out_;
};

class snapshot_reader {
public:
  /// Fails unless `bytes` begins with `tag`.
  snapshot_reader(std::string_view bytes, std::string_view tag)
      : in_(bytes), tag_(tag) {
    std::string_view t;
    if (!coding::get_string(in_, t) || t != tag)
      fail("not a snapshot of this plugin");
  }

  uint64_t u64() {
    uint64_t x = 0;
    if (ok_ && !coding::get_varint(in_, x))
      fail("truncated");
    return x;
  }
  int64_t i64() { return coding::unzigzag(u64()); }
  double f64() {
    uint64_t bits = 0;
    if (ok_ && !coding::get_fixed64_le(in_, bits))
      fail("truncated");
    double x;
    std::memcpy(&x, &bits, sizeof x);
    return x;
  }
  time_point time() { return from_nanos(i64()); }
  duration span() { return duration{i64()}; }
  std::string str() {
    std::string_view s;
    if (ok_ && !coding::get_string(in_, s))
      fail("truncated");
    return std::string{s};
  }
  histogram hist() {
    auto bytes = str();
    if (!ok_)
      return {};
    auto h = histogram::deserialize(bytes);
    if (!h)
      fail("a histogram does not decode");
    return h ? std::move(*h) : histogram{};
  }
  /// A count of items that each take at least one byte: more than the bytes
  /// left is damage, caught before anything is allocated for them.
  uint64_t count() {
    auto n = u64();
    if (ok_ && n > in_.size())
      fail("a count exceeds the data");
    return n;
  }

  void fail(std::string_view what) {
    if (ok_)
      what_ = what;
    ok_ = false;
  }

  bool ok() const noexcept { return ok_; }

  /// The outcome: none if everything read and nothing is left over.
  [[nodiscard]] caf::error finish() {
    if (ok_ && !in_.empty())
      fail("trailing bytes");
    if (ok_)
      return caf::none;
    return make_error(errc::corrupt_record,
                      "snapshot of plugin '" + tag_ + "': " + what_);
  }

private:
  std::string_view in_;
  std::string tag_;
  bool ok_ = true;
  std::string what_;
};

} // namespace tc::detail
