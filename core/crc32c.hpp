// CRC-32C (Castagnoli), the checksum of stored records and snapshots.
//
// Uses the SSE4.2 instruction where the processor has it (checked once at
// run time) and a table otherwise; both give the same value.

#pragma once

#include <cstdint>
#include <string_view>

namespace tc {

/// Extends `crc` (the checksum of the bytes before `data`) over `data`.
/// `crc32c("123456789") == 0xE3069283`.
uint32_t crc32c(std::string_view data, uint32_t crc = 0) noexcept;

} // namespace tc
