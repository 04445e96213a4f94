// Bytes as lowercase hex and back, for golden-bytes tests.

#pragma once

#include <string>
#include <string_view>

namespace tc::test {

inline std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string result;
  for (unsigned char c : bytes) {
    result.push_back(digits[c >> 4]);
    result.push_back(digits[c & 15]);
  }
  return result;
}

inline std::string from_hex(std::string_view hex) {
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  std::string result;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    result.push_back(
        static_cast<char>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
  return result;
}

} // namespace tc::test
