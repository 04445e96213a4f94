// JSON documents of the `timecontrol` program (`--format json`) and of the
// dashboard's /api/ paths: built with nlohmann/json (Debian's
// nlohmann-json3-dev), members in the order they are set. Internal: not
// installed, since it needs nlohmann's headers.
//
// Conventions, shared with replay's JSON lines (format.hpp): times are ISO
// 8601 strings in UTC with nanoseconds ("2026-01-01T00:00:00.000000000Z"),
// durations are integers of nanoseconds under a name ending in "_ns", and an
// absent value is null. A string that is not valid UTF-8 (a source or key
// written with stray bytes) has each bad byte replaced by U+FFFD, so every
// document parses.

#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

#include "timecontrol/core/time.hpp"

namespace tc {

using json = nlohmann::ordered_json;

/// The document as one line of text, without the newline.
inline std::string dump_json(const json& doc) {
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

/// `text` with each byte that is not part of valid UTF-8 replaced by
/// U+FFFD (as dump_json() writes it), for text that goes out as UTF-8
/// elsewhere too (Prometheus label values).
std::string valid_utf8(std::string_view text);

/// A time as the documents write it: an ISO 8601 string, or null for
/// time_point::max() (never).
json json_time(time_point t);

/// A duration as the documents write it: its nanoseconds, or null for
/// duration::max() (never).
json json_nanos(duration d);

} // namespace tc
