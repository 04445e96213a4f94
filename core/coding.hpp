// Byte-level encodings shared by the event codec and the store: LEB128
// varints, zigzag for signed values, little-endian and big-endian fixed
// width integers. Readers advance a string_view and return false (leaving
// the view in an unspecified position) when the input is short or malformed;
// they never read past the view.

#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace tc::coding {

// -- writing ------------------------------------------------------------------

inline void put_varint(std::string& out, uint64_t x) {
  char buf[10];
  size_t n = 0;
  while (x >= 0x80) {
    buf[n++] = static_cast<char>(x | 0x80);
    x >>= 7;
  }
  buf[n++] = static_cast<char>(x);
  out.append(buf, n);
}

constexpr uint64_t zigzag(int64_t x) noexcept {
  return (static_cast<uint64_t>(x) << 1) ^ static_cast<uint64_t>(x >> 63);
}

constexpr int64_t unzigzag(uint64_t x) noexcept {
  return static_cast<int64_t>(x >> 1) ^ -static_cast<int64_t>(x & 1);
}

inline void put_fixed32_le(std::string& out, uint32_t x) {
  char buf[4];
  for (int i = 0; i < 4; ++i)
    buf[i] = static_cast<char>(x >> (8 * i));
  out.append(buf, 4);
}

inline void put_fixed64_le(std::string& out, uint64_t x) {
  char buf[8];
  for (int i = 0; i < 8; ++i)
    buf[i] = static_cast<char>(x >> (8 * i));
  out.append(buf, 8);
}

/// Big-endian, so that byte order equals numeric order (used in keys).
inline void put_fixed64_be(std::string& out, uint64_t x) {
  char buf[8];
  for (int i = 0; i < 8; ++i)
    buf[i] = static_cast<char>(x >> (56 - 8 * i));
  out.append(buf, 8);
}

inline void put_fixed16_be(std::string& out, uint16_t x) {
  out.push_back(static_cast<char>(x >> 8));
  out.push_back(static_cast<char>(x));
}

inline void put_string(std::string& out, std::string_view s) {
  put_varint(out, s.size());
  out.append(s);
}

// -- reading ------------------------------------------------------------------

inline bool get_varint(std::string_view& in, uint64_t& x) {
  uint64_t result = 0;
  for (unsigned shift = 0; shift < 64 && !in.empty(); shift += 7) {
    auto byte = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    if (shift == 63 && byte > 1)
      return false; // more than 64 bits
    result |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) {
      x = result;
      return true;
    }
  }
  return false;
}

inline bool get_fixed32_le(std::string_view& in, uint32_t& x) {
  if (in.size() < 4)
    return false;
  x = 0;
  for (int i = 0; i < 4; ++i)
    x |= static_cast<uint32_t>(static_cast<uint8_t>(in[i])) << (8 * i);
  in.remove_prefix(4);
  return true;
}

inline bool get_fixed64_le(std::string_view& in, uint64_t& x) {
  if (in.size() < 8)
    return false;
  x = 0;
  for (int i = 0; i < 8; ++i)
    x |= static_cast<uint64_t>(static_cast<uint8_t>(in[i])) << (8 * i);
  in.remove_prefix(8);
  return true;
}

inline bool get_fixed64_be(std::string_view& in, uint64_t& x) {
  if (in.size() < 8)
    return false;
  x = 0;
  for (int i = 0; i < 8; ++i)
    x = (x << 8) | static_cast<uint8_t>(in[i]);
  in.remove_prefix(8);
  return true;
}

inline bool get_fixed16_be(std::string_view& in, uint16_t& x) {
  if (in.size() < 2)
    return false;
  x = static_cast<uint16_t>((static_cast<uint8_t>(in[0]) << 8) |
                            static_cast<uint8_t>(in[1]));
  in.remove_prefix(2);
  return true;
}

/// Reads a length-prefixed string as a view into `in`.
inline bool get_string(std::string_view& in, std::string_view& s) {
  uint64_t n = 0;
  if (!get_varint(in, n) || n > in.size())
    return false;
  s = in.substr(0, n);
  in.remove_prefix(n);
  return true;
}

} // namespace tc::coding
