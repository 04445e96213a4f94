#include "timecontrol/text/format.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "timecontrol/events/codec.hpp"
#include "timecontrol/policies/spec.hpp"

namespace tc {

namespace {

// -- field visitor ------------------------------------------------------------

// Calls the sink once per field of each event, in declaration order. The sink
// gets one overload per kind of value, so text and JSON differ only there.
// Hands one field to a sink by its kind: numbers, spans, instants, booleans,
// words (enums, by name) and text.
template <class Sink, class T>
void put_field(Sink& f, std::string_view name, const T& x) {
  if constexpr (std::is_same_v<T, bool>)
    f.boolean(name, x);
  else if constexpr (std::is_same_v<T, duration>)
    f.span(name, x);
  else if constexpr (std::is_same_v<T, time_point>)
    f.instant(name, x);
  else if constexpr (std::is_same_v<T, std::string>)
    f.text(name, x);
  else if constexpr (std::is_enum_v<T>)
    f.word(name, to_string(x));
  else if constexpr (std::is_signed_v<T>)
    f.number(name, static_cast<int64_t>(x));
  else
    f.number(name, static_cast<uint64_t>(x));
}

template <class Sink>
void visit_event(const event& x, Sink& f) {
  std::visit(
      [&](const auto& body) {
        using body_type = std::decay_t<decltype(body)>;
        for_each_field(body, [&](const auto& field, const auto& value) {
          // A field newer than the records this build writes by default
          // (call_admitted's cost) is shown only when it is not at its
          // default, as it is stored only then: the text of every event an
          // earlier build could write stays as it was.
          if (field.since > codec::base_format_version &&
              value == body_type{}.*field.member)
            return;
          put_field(f, field.name, value);
        });
      },
      x);
}

std::string span_text(duration d) {
  if (d < duration{0})
    // '-', a char: "-" + std::string makes GCC 12 at -O3 report a false
    // -Wrestrict (GCC bug 105329).
    return '-' + duration_to_string(-d);
  if (d == duration{0})
    return "0s";
  return duration_to_string(d);
}

// "k=v k=v".
struct text_sink {
  std::string& out;
  void key(std::string_view k) {
    if (!out.empty())
      out += ' ';
    out += k;
    out += '=';
  }
  template <class T>
  void number(std::string_view k, T v) {
    key(k);
    out += std::to_string(v);
  }
  void span(std::string_view k, duration d) {
    key(k);
    out += span_text(d);
  }
  void instant(std::string_view k, time_point t) {
    key(k);
    out += format_time(t);
  }
  void boolean(std::string_view k, bool v) {
    key(k);
    out += v ? "true" : "false";
  }
  void word(std::string_view k, std::string_view v) {
    key(k);
    out += v;
  }
  void text(std::string_view k, std::string_view v) {
    key(k);
    out += text_quote(v);
  }
};

// `"k":v,"k":v`.
struct json_sink {
  std::string& out;
  void key(std::string_view k, std::string_view suffix = {}) {
    if (!out.empty())
      out += ',';
    out += '"';
    out += k;
    out += suffix;
    out += "\":";
  }
  template <class T>
  void number(std::string_view k, T v) {
    key(k);
    out += std::to_string(v);
  }
  void span(std::string_view k, duration d) {
    key(k, "_ns");
    out += std::to_string(d.count());
  }
  void instant(std::string_view k, time_point t) {
    key(k);
    out += json_quote(format_time(t));
  }
  void boolean(std::string_view k, bool v) {
    key(k);
    out += v ? "true" : "false";
  }
  void word(std::string_view k, std::string_view v) {
    key(k);
    out += json_quote(v);
  }
  void text(std::string_view k, std::string_view v) {
    key(k);
    out += json_quote(v);
  }
};

const char hex_digits[] = "0123456789abcdef";

bool parse_digits(std::string_view& in, size_t n, int& out) {
  if (in.size() < n)
    return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    if (in[i] < '0' || in[i] > '9')
      return false;
    v = v * 10 + (in[i] - '0');
  }
  in.remove_prefix(n);
  out = v;
  return true;
}

bool eat(std::string_view& in, char c) {
  if (in.empty() || in.front() != c)
    return false;
  in.remove_prefix(1);
  return true;
}

} // namespace

// -- times --------------------------------------------------------------------

std::string format_time(time_point t) {
  using namespace std::chrono;
  // The day and the time in it from the count of nanoseconds: t - floor<days>
  // would overflow for the earliest day 64-bit nanoseconds reach (1677).
  constexpr int64_t day_ns = 86'400'000'000'000;
  auto ns = t.time_since_epoch().count();
  auto day_count = ns / day_ns;
  auto rem = ns % day_ns;
  if (rem < 0) {
    rem += day_ns;
    --day_count;
  }
  year_month_day ymd{sys_days{days{day_count}}};
  auto in_day = nanoseconds{rem}; // 0 <= in_day < 1 day
  auto secs = duration_cast<seconds>(in_day);
  auto nanos = (in_day - secs).count();
  auto s = secs.count();
  auto year = static_cast<int>(ymd.year());
  if (year < 0 || year > 9999) {
    char buf[64];
    std::snprintf(
        buf, sizeof(buf), "%04d-%02u-%02uT%02lld:%02lld:%02lld.%09lldZ", year,
        static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
        static_cast<long long>(s / 3600), static_cast<long long>(s / 60 % 60),
        static_cast<long long>(s % 60), static_cast<long long>(nanos));
    return buf;
  }
  // Digits written by hand: replay prints one time per event, and
  // snprintf was a tenth of its run time.
  std::string out = "0000-00-00T00:00:00.000000000Z";
  auto put = [&](size_t end, int64_t value, int width) {
    for (int i = 1; i <= width; ++i, value /= 10)
      out[end - i] = static_cast<char>('0' + value % 10);
  };
  put(4, year, 4);
  put(7, static_cast<unsigned>(ymd.month()), 2);
  put(10, static_cast<unsigned>(ymd.day()), 2);
  put(13, s / 3600, 2);
  put(16, s / 60 % 60, 2);
  put(19, s % 60, 2);
  put(29, nanos, 9);
  return out;
}

std::optional<time_point> parse_time(std::string_view text) {
  using namespace std::chrono;
  if (text.empty())
    return std::nullopt;
  // Nanoseconds since the epoch (a sign only in front: "2026-01-01" is a
  // date).
  if (text.find_first_not_of("-0123456789") == std::string_view::npos &&
      text.find('-', 1) == std::string_view::npos) {
    int64_t ns = 0;
    auto [end, ec] =
        std::from_chars(text.data(), text.data() + text.size(), ns);
    if (ec != std::errc{} || end != text.data() + text.size())
      return std::nullopt;
    return from_nanos(ns);
  }
  // YYYY-MM-DD[THH:MM:SS[.fraction]][Z]
  auto in = text;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (!parse_digits(in, 4, y) || !eat(in, '-') || !parse_digits(in, 2, mo) ||
      !eat(in, '-') || !parse_digits(in, 2, d))
    return std::nullopt;
  int64_t frac = 0;
  if (eat(in, 'T') || eat(in, 't') || eat(in, ' ')) {
    if (!parse_digits(in, 2, h) || !eat(in, ':') || !parse_digits(in, 2, mi) ||
        !eat(in, ':') || !parse_digits(in, 2, s))
      return std::nullopt;
    if (eat(in, '.')) {
      // To the nanosecond: zeros past the ninth digit change nothing.
      int digits = 0;
      while (!in.empty() && in.front() >= '0' && in.front() <= '9') {
        if (++digits > 9) {
          if (in.front() != '0')
            return std::nullopt;
          in.remove_prefix(1);
          continue;
        }
        frac = frac * 10 + (in.front() - '0');
        in.remove_prefix(1);
      }
      digits = std::min(digits, 9);
      if (digits == 0)
        return std::nullopt;
      for (; digits < 9; ++digits)
        frac *= 10;
    }
  }
  if (!eat(in, 'Z'))
    eat(in, 'z');
  if (!in.empty())
    return std::nullopt;
  year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                     day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 59)
    return std::nullopt;
  // Nanoseconds since the epoch in 64 bits reach from 1677 to 2262: a day
  // outside would wrap around.
  if (auto days = sys_days{ymd}.time_since_epoch().count();
      days < -106'750 || days > 106'750)
    return std::nullopt;
  auto t = time_point{sys_days{ymd}} + hours{h} + minutes{mi} + seconds{s} +
           nanoseconds{frac};
  return t;
}

// -- escaping -----------------------------------------------------------------

namespace {

// Quotes `text` with backslash escapes. JSON names \b and \f and writes other
// control bytes as \u00XX; the text form writes them as \xXX.
std::string quote(std::string_view text, bool json) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '"';
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (json && c == '\b') {
          out += "\\b";
        } else if (json && c == '\f') {
          out += "\\f";
        } else if (u < 0x20 || u == 0x7f) {
          out += json ? "\\u00" : "\\x";
          out += hex_digits[u >> 4];
          out += hex_digits[u & 0xf];
        } else {
          out += c; // UTF-8 passes through as it is
        }
    }
  }
  out += '"';
  return out;
}

} // namespace

std::string json_quote(std::string_view text) {
  return quote(text, true);
}

std::string text_quote(std::string_view text) {
  return quote(text, false);
}

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos)
    return std::string{text};
  std::string out;
  out.reserve(text.size() + 4);
  out += '"';
  for (char c : text) {
    if (c == '"')
      out += '"';
    out += c;
  }
  out += '"';
  return out;
}

// -- events -------------------------------------------------------------------

std::string text_fields(const event& x) {
  std::string out;
  text_sink sink{out};
  visit_event(x, sink);
  return out;
}

std::string json_fields(const event& x) {
  std::string out;
  json_sink sink{out};
  visit_event(x, sink);
  return out;
}

std::string format_text(const envelope& x) {
  std::string out = std::to_string(x.seq);
  out += ' ';
  out += format_time(x.time);
  out += ' ';
  out += x.source;
  out += ' ';
  out += name_of(x.type());
  auto fields = text_fields(x.body);
  if (!fields.empty()) {
    out += ' ';
    out += fields;
  }
  return out;
}

std::string format_json(const envelope& x) {
  std::string out = "{\"seq\":";
  out += std::to_string(x.seq);
  out += ",\"time\":";
  out += json_quote(format_time(x.time));
  out += ",\"time_ns\":";
  out += std::to_string(to_nanos(x.time));
  out += ",\"source\":";
  out += json_quote(x.source);
  out += ",\"type\":";
  out += json_quote(name_of(x.type()));
  auto fields = json_fields(x.body);
  if (!fields.empty()) {
    out += ',';
    out += fields;
  }
  out += '}';
  return out;
}

std::string_view csv_header() {
  return "seq,time_ns,source,type,fields";
}

std::string format_csv(const envelope& x) {
  std::string out = std::to_string(x.seq);
  out += ',';
  out += std::to_string(to_nanos(x.time));
  out += ',';
  out += csv_field(x.source);
  out += ',';
  out += csv_field(name_of(x.type()));
  out += ',';
  out += csv_field(text_fields(x.body));
  return out;
}

// -- triggers ---------------------------------------------------------------

std::string readable_trigger(std::string_view spec) {
  std::string result;
  bool time_next = false;
  size_t i = 0;
  while (i < spec.size()) {
    auto end = spec.find(' ', i);
    if (end == std::string_view::npos)
      end = spec.size();
    auto word = spec.substr(i, end - i);
    std::string out{word};
    if (time_next && !word.empty() &&
        word.find_first_not_of("0123456789") == std::string_view::npos)
      if (auto t = parse_time(word))
        out = format_time(*t);
    std::string lower{word};
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    time_next = lower == "once" || lower == "from" || lower == "until";
    result += out;
    if (end < spec.size())
      result += ' ';
    i = end + 1;
  }
  return result;
}

} // namespace tc
