// Text forms of stored events: one line of text, one JSON object, one CSV
// row per event, and the time formats the `timecontrol` program accepts on
// its command line. The program's `replay` and `export` print them; the
// dashboard (http/dashboard.hpp) lists the latest events as JSON objects.
// Free functions of plain values: thread-safe.
//
// Text:  seq time source type field=value ...
//        1 2026-01-01T00:00:00.000000000Z api call_requested call_id=1
// JSON:  {"seq":1,"time":"2026-01-01T00:00:00.000000000Z",
//         "time_ns":1767225600000000000,"source":"api",
//         "type":"call_requested","call_id":1}
// CSV:   seq,time_ns,source,type,fields  (fields as the text form's k=v list)
//
// In text, strings are double-quoted with C-style escapes and durations are
// exact ("200ms"); in JSON, durations are integers of nanoseconds under the
// field's name with "_ns" appended, and times are ISO 8601 strings.

#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "timecontrol/events/event.hpp"

namespace tc {

// -- times --------------------------------------------------------------------

/// ISO 8601 in UTC with nanoseconds: "2026-01-01T00:00:00.000000000Z".
std::string format_time(time_point t);

/// Parses a time given on the command line: nanoseconds since the epoch
/// ("1767225600000000000") or ISO 8601 in UTC ("2026-01-01T00:00:00Z",
/// "2026-01-01T00:00:00.25Z", "2026-01-01"). nullopt if it is neither.
std::optional<time_point> parse_time(std::string_view text);

// -- escaping -----------------------------------------------------------------

/// `text` as a JSON string literal, quotes included.
std::string json_quote(std::string_view text);

/// `text` as a double-quoted string with C-style escapes.
std::string text_quote(std::string_view text);

/// `text` as a CSV field (RFC 4180): quoted only when it holds a comma, a
/// quote, CR or LF; quotes inside are doubled.
std::string csv_field(std::string_view text);

// -- events -------------------------------------------------------------------

/// The event's fields as "k=v k=v" (empty for an event without fields).
std::string text_fields(const event& x);

/// The event's fields as JSON members: `"k":v,"k":v` (no braces).
std::string json_fields(const event& x);

/// One line of text, without the newline.
std::string format_text(const envelope& x);

/// One JSON object, without the newline.
std::string format_json(const envelope& x);

/// The CSV header line, without the newline.
std::string_view csv_header();

/// One CSV row, without the line break.
std::string format_csv(const envelope& x);

// -- triggers -----------------------------------------------------------------

/// A trigger spec with its times in nanoseconds ("once <ns>", "from <ns>",
/// "until <ns>") shown in ISO 8601, which parses back to the same trigger.
std::string readable_trigger(std::string_view spec);

} // namespace tc
