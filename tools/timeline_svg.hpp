// The picture of a timeline (timeline.hpp): one self-contained SVG
// document, as `timecontrol plot` writes it.

#pragma once

#include <string>
#include <string_view>

#include "timecontrol/tools/timeline.hpp"

namespace tc::tool {

struct svg_options {
  /// Named in the title, e.g. the log's path.
  std::string title{};
  /// The picture's width in pixels.
  int width = 1200;
  /// The --source filters in words ("source api, poller"), shown with the
  /// event count; an empty plot with filters or a time range says "no
  /// events match the filters".
  std::string filters{};
};

/// The plot's width in pixels that holds bars: the most buckets worth
/// drawing at `width`.
int plot_area_width(int width);

/// `t` as one self-contained SVG document (no scripts, no external fonts or
/// styles). Deterministic: the same timeline gives the same bytes.
std::string render_svg(const timeline& t, const svg_options& options);

/// `text` made safe for XML character data and attribute values: &, <, >, "
/// and ' escaped, invalid UTF-8 and control characters replaced.
std::string xml_escape(std::string_view text);

} // namespace tc::tool
