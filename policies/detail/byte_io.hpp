// Internal: the little byte writer and reader behind every policy's
// serialize()/deserialize() pair. Not part of the public API.
//
// Tags: 1 min_interval, 3 token_bucket, 4 sliding_window, 5 deadline,
// 6 histogram (2 was max_interval's and 7 the triggers', whose states no
// snapshot needs: never reuse them). A version byte follows the tag; a
// reader rejects versions it does not know.
//
// Every serialised policy state has the form
//
//   state   := tag:u8 version:u8 field*
//   u8      := one byte
//   i64     := eight bytes, little-endian two's complement
//   i128    := low:i64 high:i64 (two's complement over 128 bits)
//   varint  := LEB128 of an unsigned 64-bit value (at most 10 bytes)
//   str     := size:varint byte{size}
//
// The reader never reads past the end: every get returns false instead, and
// the caller turns that into an empty optional.

#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "timecontrol/policies/detail/int128.hpp"

namespace tc::detail {

class byte_writer {
public:
  // -- constructors -----------------------------------------------------------

  byte_writer(uint8_t tag, uint8_t version) {
    buf_.push_back(static_cast<char>(tag));
    buf_.push_back(static_cast<char>(version));
  }

  // -- writing ----------------------------------------------------------------

  void u8(uint8_t x) { buf_.push_back(static_cast<char>(x)); }

  void i64(int64_t x) {
    auto u = static_cast<uint64_t>(x);
    for (int i = 0; i < 8; ++i)
      buf_.push_back(static_cast<char>((u >> (8 * i)) & 0xFF));
  }

  void i128(detail::int128 x) {
    auto u = static_cast<detail::uint128>(x);
    i64(static_cast<int64_t>(static_cast<uint64_t>(u)));
    i64(static_cast<int64_t>(static_cast<uint64_t>(u >> 64)));
  }

  void varint(uint64_t x) {
    while (x >= 0x80) {
      buf_.push_back(static_cast<char>((x & 0x7F) | 0x80));
      x >>= 7;
    }
    buf_.push_back(static_cast<char>(x));
  }

  void str(std::string_view x) {
    varint(x.size());
    buf_.append(x);
  }

  std::string take() && { return std::move(buf_); }

private:
  std::string buf_;
};

class byte_reader {
public:
  // -- constructors -----------------------------------------------------------

  explicit byte_reader(std::string_view in) : in_(in) {}

  // -- reading ----------------------------------------------------------------

  /// Reads the tag and version and checks both.
  bool header(uint8_t tag, uint8_t version) {
    uint8_t t = 0;
    uint8_t v = 0;
    return u8(t) && u8(v) && t == tag && v == version;
  }

  bool u8(uint8_t& x) {
    if (in_.empty())
      return false;
    x = static_cast<uint8_t>(in_.front());
    in_.remove_prefix(1);
    return true;
  }

  bool i64(int64_t& x) {
    if (in_.size() < 8)
      return false;
    uint64_t u = 0;
    for (int i = 0; i < 8; ++i)
      u |= static_cast<uint64_t>(static_cast<uint8_t>(in_[i])) << (8 * i);
    x = static_cast<int64_t>(u);
    in_.remove_prefix(8);
    return true;
  }

  bool i128(detail::int128& x) {
    int64_t lo = 0;
    int64_t hi = 0;
    if (!i64(lo) || !i64(hi))
      return false;
    auto u = (static_cast<detail::uint128>(static_cast<uint64_t>(hi)) << 64) |
             static_cast<uint64_t>(lo);
    x = static_cast<detail::int128>(u);
    return true;
  }

  bool varint(uint64_t& x) {
    x = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      uint8_t b = 0;
      if (!u8(b))
        return false;
      if (shift == 63 && b > 1)
        return false; // more than 64 bits
      x |= static_cast<uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0)
        return true;
    }
    return false;
  }

  bool str(std::string_view& x) {
    uint64_t n = 0;
    if (!varint(n) || n > in_.size())
      return false;
    x = in_.substr(0, static_cast<size_t>(n));
    in_.remove_prefix(static_cast<size_t>(n));
    return true;
  }

  /// True when every byte has been consumed (trailing garbage is an error).
  bool at_end() const noexcept { return in_.empty(); }

  size_t remaining() const noexcept { return in_.size(); }

private:
  std::string_view in_;
};

} // namespace tc::detail
