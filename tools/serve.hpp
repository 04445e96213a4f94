// The parts of `timecontrol serve` (serve.cpp) kept in files of their own.

#pragma once

#include <string_view>

namespace tc::tool {

/// The dashboard: one self-contained HTML page (its styles and script
/// inline, nothing fetched but the same server's /api/ paths), which
/// renders /api/state and follows /api/events.
std::string_view dashboard_page();

} // namespace tc::tool
