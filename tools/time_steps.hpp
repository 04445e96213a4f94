// Nanosecond units and the round steps that timeline buckets and plot axis
// ticks take (tools/timeline.cpp and tools/timeline_svg.cpp). Not installed.

#pragma once

#include <cstdint>

namespace tc::tool::steps {

constexpr int64_t us = 1'000;
constexpr int64_t ms = 1'000'000;
constexpr int64_t sec = 1'000'000'000;
constexpr int64_t minute = 60 * sec;
constexpr int64_t hour = 60 * minute;
constexpr int64_t day = 24 * hour;

// Round steps for buckets and axis ticks.
constexpr int64_t nice_steps[] = {
    us,          2 * us,     5 * us,     10 * us,     20 * us,     50 * us,
    100 * us,    200 * us,   500 * us,   ms,          2 * ms,      5 * ms,
    10 * ms,     20 * ms,    50 * ms,    100 * ms,    200 * ms,    500 * ms,
    sec,         2 * sec,    5 * sec,    10 * sec,    15 * sec,    30 * sec,
    minute,      2 * minute, 5 * minute, 10 * minute, 15 * minute, 30 * minute,
    hour,        2 * hour,   3 * hour,   6 * hour,    12 * hour,   day,
    2 * day,     7 * day,    14 * day,   30 * day,    60 * day,    90 * day,
    180 * day,   360 * day,  1000 * day, 3000 * day,  10000 * day, 30000 * day,
    100000 * day};

} // namespace tc::tool::steps
