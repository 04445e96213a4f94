#include "timecontrol/core/crc32c.hpp"

#include <array>
#include <cstring>

namespace tc {

namespace {

constexpr uint32_t polynomial = 0x82F63B78; // reflected Castagnoli

constexpr auto table = [] {
  std::array<uint32_t, 256> result{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit)
      crc = (crc >> 1) ^ ((crc & 1) ? polynomial : 0);
    result[i] = crc;
  }
  return result;
}();

uint32_t crc32c_table(const unsigned char* p, size_t n, uint32_t crc) {
  for (size_t i = 0; i < n; ++i)
    crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t
crc32c_sse42(const unsigned char* p, size_t n, uint32_t crc) {
  uint64_t crc64 = crc;
  for (; n >= 8; n -= 8, p += 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    crc64 = __builtin_ia32_crc32di(crc64, word);
  }
  auto crc32 = static_cast<uint32_t>(crc64);
  for (; n > 0; --n, ++p)
    crc32 = __builtin_ia32_crc32qi(crc32, *p);
  return crc32;
}

const bool have_sse42 = __builtin_cpu_supports("sse4.2");
#endif

} // namespace

uint32_t crc32c(std::string_view data, uint32_t crc) noexcept {
  auto p = reinterpret_cast<const unsigned char*>(data.data());
  crc = ~crc;
#if defined(__x86_64__)
  if (have_sse42)
    return ~crc32c_sse42(p, data.size(), crc);
#endif
  return ~crc32c_table(p, data.size(), crc);
}

} // namespace tc
