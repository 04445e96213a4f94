// Internal: 128-bit integers (a GCC and Clang extension) under names that do
// not trip -Wpedantic in users' builds.

#pragma once

namespace tc::detail {

__extension__ typedef __int128 int128;
__extension__ typedef unsigned __int128 uint128;

} // namespace tc::detail
