#include "timecontrol/tools/timeline_svg.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>

#include "timecontrol/policies/detail/int128.hpp"
#include "timecontrol/policies/spec.hpp"
#include "timecontrol/text/format.hpp"
#include "timecontrol/tools/time_steps.hpp"

namespace tc::tool {

using namespace steps;

// -- drawing ------------------------------------------------------------------

namespace {

// Layout, in pixels.
constexpr int margin_left = 56;
constexpr int margin_right = 24;
constexpr int header_height = 18;
constexpr int calls_height = 44;
constexpr int throttles_height = 16;
constexpr int band_gap = 4;
constexpr int band_height = 10;
constexpr int misses_height = 11;
constexpr int intents_height = 22;
constexpr int lane_gap = 16;

// Colours (colour-blind-safe where they must be told apart: Tableau 10).
constexpr const char* ok_colour = "#4e79a7";
constexpr const char* failed_colour = "#e15759";
constexpr const char* timed_out_colour = "#f28e2b";
// By throttle_action: waited, rejected, dropped, expired.
constexpr size_t throttle_kinds = 4;
constexpr const char* throttle_colours[] = {"#c9b3e0", "#9467bd", "#5b3a87",
                                            "#bab0ac"};
constexpr const char* throttle_names[] = {"waited", "rejected", "dropped",
                                          "expired"};
constexpr const char* miss_colour = "#a61c1c";
constexpr const char* fired_colour = "#76b7b2";
constexpr const char* misfired_colour = "#d4761c";
constexpr const char* axis_colour = "#888888";
constexpr const char* grid_colour = "#ebebeb";
constexpr const char* muted_text = "#555555";

const char* status_colour(deadline_status s) {
  switch (s) {
    case deadline_status::up:
      return "#59a14f";
    case deadline_status::late:
      return "#edc948";
    case deadline_status::down:
      return "#a61c1c";
    case deadline_status::paused:
      return "#9d9d9d";
    default:
      return "#dcdcdc";
  }
}

// The status's own name, but "never called" for "new", which a reader of
// the picture would not understand.
std::string status_name(deadline_status s) {
  if (s == deadline_status::never_called)
    return "never called";
  return std::string{to_string(s)};
}

// A coordinate or size: at most one decimal, no trailing ".0".
std::string num(double x) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", x);
  std::string s = buf;
  if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0)
    s.resize(s.size() - 2);
  if (s == "-0")
    s = "0";
  return s;
}

std::string count_of(uint64_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string{n == 1 ? one : many};
}

using detail::int128;

// `x` clamped to the nanoseconds a time_point holds (a bucket can end past
// 2262 or start before 1677).
int64_t clamp_ns(int128 x) {
  return static_cast<int64_t>(
      std::clamp<int128>(x, std::numeric_limits<int64_t>::min(),
                         std::numeric_limits<int64_t>::max()));
}

// a / b rounded towards negative infinity (b > 0), in 128 bits.
int128 floor_div_wide(int128 a, int128 b) {
  auto q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

// "4.1 s", "250 ms", "3.5 h" (unsigned: a range can be longer than 2^63 ns).
std::string human_span(uint64_t ns) {
  // A unit is used from twice its size on ("90 s", not "1.5 min").
  struct unit {
    uint64_t ns;
    const char* name;
  };
  static constexpr unit units[] = {{day, "d"}, {hour, "h"}, {minute, "min"},
                                   {sec, "s"}, {ms, "ms"},  {us, "us"}};
  for (auto& u : units)
    if (ns >= 2 * u.ns || (u.ns == sec && ns >= sec)) {
      auto v = static_cast<double>(ns) / static_cast<double>(u.ns);
      char buf[48];
      std::snprintf(buf, sizeof(buf), v < 100 ? "%.3g %s" : "%.0f %s", v,
                    u.name);
      return buf;
    }
  return std::to_string(ns) + " ns";
}

// Parts of format_time's "2026-01-01T00:00:00.000000000Z".
std::string date_of(int64_t ns) {
  return format_time(from_nanos(ns)).substr(0, 10);
}

// The clock time to the precision `step` needs.
std::string clock_of(int64_t ns, int64_t step) {
  auto text = format_time(from_nanos(ns));
  size_t len = step >= minute ? 5 : step >= sec ? 8 : step >= ms ? 12 : 15;
  return text.substr(11, len);
}

std::string span_text(int64_t from, int64_t to, int64_t step) {
  return clock_of(from, step) + " to " + clock_of(to, step);
}

// -- XML ----------------------------------------------------------------------

// The length of the valid UTF-8 sequence at the start of `s` that encodes an
// XML character, or 0.
size_t utf8_char(std::string_view s) {
  auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  auto c0 = b(0);
  if (c0 < 0x80)
    return (c0 >= 0x20 || c0 == '\t' || c0 == '\n' || c0 == '\r') ? 1 : 0;
  size_t len = c0 >= 0xf0 ? 4 : c0 >= 0xe0 ? 3 : c0 >= 0xc2 ? 2 : 0;
  if (len == 0 || c0 > 0xf4 || s.size() < len)
    return 0;
  uint32_t cp = c0 & (0x7f >> len);
  for (size_t i = 1; i < len; ++i) {
    if ((b(i) & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (b(i) & 0x3f);
  }
  bool overlong = (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
  bool surrogate = cp >= 0xd800 && cp <= 0xdfff;
  if (overlong || surrogate || cp > 0x10ffff || cp == 0xfffe || cp == 0xffff)
    return 0;
  return len;
}

// At most `max` characters of `text`, with "..." when cut.
std::string shorten(std::string_view text, size_t max) {
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xc0) != 0x80 && ++chars > max)
      return std::string{text.substr(0, i)} + "...";
  }
  return std::string{text};
}

// -- the picture --------------------------------------------------------------

class painter {
public:
  painter(const timeline& t, const svg_options& o) : t_(t), o_(o) {
    width_ = std::max(o.width, 200);
    plot_w_ = plot_area_width(width_);
    // In 128 bits: the buckets of a range from 1677 to 2262 cover more than
    // 2^63 ns and can start or end past those years.
    begin_ = t.bucket_start(0);
    span_ = t.bucket_start(t.buckets) - begin_;
    if (span_ <= 0)
      span_ = 1;
    bar_w_ = static_cast<double>(plot_w_) / std::max<double>(1, t.buckets);
  }

  std::string run() {
    title();
    if (t_.events == 0) {
      nothing();
    } else {
      legend();
      axis_and_lanes();
    }
    std::string out;
    out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
           std::to_string(width_) + "\" height=\"" + std::to_string(y_) +
           "\" viewBox=\"0 0 " + std::to_string(width_) + " " +
           std::to_string(y_) +
           "\" font-family=\"DejaVu Sans, Verdana, Arial, sans-serif\" "
           "font-size=\"11\">\n";
    out +=
        "<title>" + xml_escape("timecontrol plot: " + o_.title) + "</title>\n";
    out += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
    out += body_;
    out += "</svg>\n";
    return out;
  }

private:
  // -- helpers --

  double x_of(int128 ns) const {
    return margin_left + static_cast<double>(ns - begin_) /
                             static_cast<double>(span_) * plot_w_;
  }

  double x_of_bucket(size_t i) const { return margin_left + bar_w_ * i; }

  // The start of bucket i, as a time (clamped to the ends of 64-bit time).
  int64_t bucket_start(size_t i) const { return clamp_ns(t_.bucket_start(i)); }

  // "00:00:01.500 to 00:00:01.520" for bucket i.
  std::string bucket_span(size_t i) const {
    auto step = std::min<int64_t>(t_.bucket.count(), sec);
    return span_text(bucket_start(i), bucket_start(i + 1), step);
  }

  void text(double x, double y, std::string_view content,
            std::string_view attrs = {}) {
    body_ += "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\"";
    if (!attrs.empty()) {
      body_ += ' ';
      body_ += attrs;
    }
    body_ += '>';
    body_ += xml_escape(content);
    body_ += "</text>\n";
  }

  void rect(double x, double y, double w, double h, std::string_view fill,
            std::string_view tip = {}) {
    body_ += "<rect x=\"" + num(x) + "\" y=\"" + num(y) + "\" width=\"" +
             num(w) + "\" height=\"" + num(h) + "\" fill=\"" +
             std::string{fill} + "\"";
    if (tip.empty()) {
      body_ += "/>\n";
    } else {
      body_ += "><title>" + xml_escape(tip) + "</title></rect>\n";
    }
  }

  void polygon(std::initializer_list<std::pair<double, double>> points,
               std::string_view fill, std::string_view tip = {}) {
    body_ += "<polygon points=\"";
    bool first = true;
    for (auto [x, y] : points) {
      if (!first)
        body_ += ' ';
      first = false;
      body_ += num(x) + "," + num(y);
    }
    body_ += "\" fill=\"" + std::string{fill} + "\"";
    if (tip.empty())
      body_ += "/>\n";
    else
      body_ += "><title>" + xml_escape(tip) + "</title></polygon>\n";
  }

  void triangle(double cx, double y, std::string_view fill,
                std::string_view tip = {}) {
    polygon({{cx - 4.5, y + 9}, {cx + 4.5, y + 9}, {cx, y + 1}}, fill, tip);
  }

  void diamond(double cx, double cy, std::string_view fill,
               std::string_view tip = {}) {
    polygon({{cx, cy - 4.5}, {cx + 4.5, cy}, {cx, cy + 4.5}, {cx - 4.5, cy}},
            fill, tip);
  }

  void line(double x1, double y1, double x2, double y2,
            std::string_view stroke) {
    body_ += "<line x1=\"" + num(x1) + "\" y1=\"" + num(y1) + "\" x2=\"" +
             num(x2) + "\" y2=\"" + num(y2) + "\" stroke=\"" +
             std::string{stroke} + "\" stroke-width=\"1\"/>\n";
  }

  // -- parts --

  void title() {
    text(margin_left, 24, "timecontrol plot: " + shorten(o_.title, 120),
         "font-size=\"15\" font-weight=\"bold\"");
    std::string sub;
    auto from = to_nanos(t_.first);
    auto to = to_nanos(t_.last);
    // Milliseconds unless the range is too short to tell them apart.
    auto step =
        static_cast<uint64_t>(to) - static_cast<uint64_t>(from) < 10 * ms ? us
                                                                          : ms;
    auto full = [&](int64_t ns) {
      return date_of(ns) + " " + clock_of(ns, step);
    };
    if (t_.events > 0 || from != 0 || to != 0) {
      sub += full(from) + " to ";
      sub += date_of(from) == date_of(to) ? clock_of(to, step) : full(to);
      sub +=
          " UTC (" +
          human_span(static_cast<uint64_t>(to) - static_cast<uint64_t>(from)) +
          ")  \xc2\xb7  ";
    }
    sub += count_of(t_.events, "event", "events");
    if (!o_.filters.empty())
      sub += " (" + o_.filters + ")";
    if (t_.events > 0) {
      sub += "  \xc2\xb7  bucket " + duration_to_string(t_.bucket);
      if (t_.asked_bucket.count() != 0)
        sub += " (" + duration_to_string(t_.asked_bucket) +
               " asked; widened to fit the width)";
    }
    text(margin_left, 42, sub, "fill=\"#444444\"");
    y_ = 52;
  }

  void nothing() {
    // An empty timeline has a range only when --since or --until gave one.
    bool filtered = !o_.filters.empty() || to_nanos(t_.first) != 0 ||
                    to_nanos(t_.last) != 0;
    y_ += 10;
    rect(margin_left, y_, plot_w_, 80, "#f6f6f6");
    text(margin_left + plot_w_ / 2.0, y_ + 46,
         filtered ? "no events match the filters" : "no events",
         "font-size=\"16\" fill=\"#777777\" text-anchor=\"middle\"");
    y_ += 80 + 16;
  }

  void legend() {
    // Only what the picture holds.
    bool calls = false, failed = false, timed_out = false, misses = false,
         fired = false, misfired = false;
    std::array<bool, throttle_kinds> throttles{};
    std::array<bool, 5> statuses{};
    for (auto& l : t_.lanes) {
      calls |= l.totals.ok > 0;
      failed |= l.totals.failed > 0;
      timed_out |= l.totals.timed_out > 0;
      for (size_t i = 0; i < throttle_kinds; ++i)
        throttles[i] |= l.totals.throttled[i] > 0;
      misses |= l.totals.missed > 0;
      fired |= l.totals.fired > 0;
      misfired |= l.totals.misfired > 0;
      for (size_t i = 0; i < statuses.size(); ++i)
        statuses[i] |= l.totals.status_ns[i] > 0;
    }
    double x = margin_left;
    double y = y_ + 10;
    auto item = [&](std::string_view label, auto&& swatch) {
      auto w = 16 + 6.2 * static_cast<double>(label.size()) + 14;
      if (x + w > width_ - margin_right && x > margin_left) {
        x = margin_left;
        y += 18;
      }
      swatch(x, y);
      text(x + 16, y + 9, label);
      x += w;
    };
    auto box = [&](const char* colour) {
      return [this, colour](double x, double y) { rect(x, y, 11, 11, colour); };
    };
    if (calls)
      item("call ok", box(ok_colour));
    if (failed)
      item("call failed", box(failed_colour));
    if (timed_out)
      item("call timed out", box(timed_out_colour));
    for (size_t i = 0; i < throttle_kinds; ++i)
      if (throttles[i])
        item(std::string{"throttled, "} + throttle_names[i] + " (below)",
             box(throttle_colours[i]));
    for (size_t i = 0; i < statuses.size(); ++i)
      if (statuses[i]) {
        auto s = static_cast<deadline_status>(i);
        item("status " + status_name(s), box(status_colour(s)));
      }
    if (misses)
      item("deadline missed", [this](double x, double y) {
        triangle(x + 5.5, y + 1, miss_colour);
      });
    if (fired)
      item("intent fired", box(fired_colour));
    if (misfired)
      item("intent misfired", [this](double x, double y) {
        diamond(x + 5.5, y + 5.5, misfired_colour);
      });
    y_ = static_cast<int>(y) + 11 + 14;
  }

  // The tick step: the smallest nice step that leaves room for its labels
  // and gives at most 10 ticks.
  int64_t tick_step() const {
    for (auto step : nice_steps) {
      auto chars = step >= day      ? 10
                   : step >= minute ? 5
                   : step >= sec    ? 8
                   : step >= ms     ? 12
                                    : 15;
      // Room for each label and a gap, the edge ones included.
      auto room = static_cast<int64_t>(plot_w_ / (chars * 7.0 + 28));
      auto most = std::max<int64_t>(2, std::min<int64_t>(10, room));
      auto ticks = floor_div_wide(begin_ + span_, step) -
                   floor_div_wide(begin_ + step - 1, step) + 1;
      if (ticks <= most)
        return step;
    }
    return clamp_ns(span_);
  }

  void axis_and_lanes() {
    auto lanes_top = y_;
    // Lanes first into their own buffer, so the grid can go behind them.
    auto saved = std::move(body_);
    body_.clear();
    for (auto& l : t_.lanes)
      lane(l);
    auto lanes = std::move(body_);
    body_ = std::move(saved);
    auto axis_y = y_ + 2;
    auto step = tick_step();
    auto first_tick = floor_div_wide(begin_ + step - 1, step);
    std::string labels;
    std::string last_date;
    // Ticks past the ends of 64-bit time (in the first or last bucket) are
    // not drawn: they have no date.
    for (auto k = first_tick; k * step <= begin_ + span_; ++k) {
      if (k * step != clamp_ns(k * step))
        continue;
      auto ns = clamp_ns(k * step);
      auto x = x_of(ns);
      line(x, lanes_top - 4, x, axis_y, grid_colour);
      line(x, axis_y, x, axis_y + 5, axis_colour);
      auto date = date_of(ns);
      auto label = step >= day ? date : clock_of(ns, step);
      // Labels at the edges stay inside the picture.
      auto half = 3.3 * static_cast<double>(label.size());
      std::string anchor = x - half < 4            ? "start"
                           : x + half > width_ - 4 ? "end"
                                                   : "middle";
      anchor = "text-anchor=\"" + anchor + "\"";
      text(x, axis_y + 17, label, anchor);
      if (step < day && date != last_date)
        text(x, axis_y + 30, date,
             anchor + " fill=\"#666666\" font-size=\"10\"");
      last_date = date;
    }
    line(margin_left, axis_y, margin_left + plot_w_, axis_y, axis_colour);
    text(margin_left + plot_w_, axis_y + 44, "time (UTC)",
         "text-anchor=\"end\" fill=\"#666666\"");
    body_ += lanes;
    y_ = axis_y + 54;
  }

  void lane(const timeline_lane& l) {
    std::vector<std::string> parts;
    if (l.kind == lane_kind::command) {
      if (l.has_calls) {
        if (l.requested > 0)
          parts.push_back(std::to_string(l.requested) + " requested");
        if (l.admitted > 0)
          parts.push_back(std::to_string(l.admitted) + " admitted");
        parts.push_back(std::to_string(l.totals.ok) + " ok");
        if (l.totals.failed > 0)
          parts.push_back(std::to_string(l.totals.failed) + " failed");
        if (l.totals.timed_out > 0)
          parts.push_back(std::to_string(l.totals.timed_out) + " timed out");
        if (auto n = l.totals.throttled_total(); n > 0) {
          std::string by;
          for (size_t i = 0; i < 3; ++i)
            if (l.totals.throttled[i] > 0)
              by += (by.empty() ? "" : ", ") +
                    std::to_string(l.totals.throttled[i]) + " " +
                    throttle_names[i];
          parts.push_back(std::to_string(n) + " throttled (" + by + ")");
        }
        if (auto n = l.totals.throttled[3]; n > 0)
          parts.push_back(std::to_string(n) + " expired");
      } else {
        parts.push_back("no calls recorded");
      }
      if (!l.watched_by.empty()) {
        std::string who;
        for (auto& w : l.watched_by)
          who += (who.empty() ? "" : ", ") + shorten(w, 40);
        parts.push_back(
            "watched by " + who + ": " +
            count_of(l.totals.missed, "deadline miss", "deadline misses"));
      }
    } else {
      parts.push_back(
          count_of(l.totals.fired, "intent fired", "intents fired"));
      if (l.totals.misfired > 0)
        parts.push_back(count_of(l.totals.misfired, "misfire", "misfires"));
      if (l.scheduled > 0)
        parts.push_back(std::to_string(l.scheduled) + " scheduled");
      if (l.cancelled > 0)
        parts.push_back(std::to_string(l.cancelled) + " cancelled");
    }
    std::string detail;
    for (auto& p : parts)
      detail += (detail.empty() ? "" : "  \xc2\xb7  ") + p;
    body_ += "<text x=\"" + num(margin_left) + "\" y=\"" + num(y_ + 13) +
             "\"><tspan font-weight=\"bold\" font-size=\"12\">" +
             xml_escape(shorten(l.name, 60)) +
             "</tspan><tspan dx=\"10\" fill=\"" + muted_text + "\">" +
             xml_escape(std::string{l.kind == lane_kind::scheduler
                                        ? "scheduler  \xc2\xb7  "
                                        : ""} +
                        detail) +
             "</tspan></text>\n";
    y_ += header_height;
    if (l.kind == lane_kind::command) {
      if (l.has_calls)
        calls(l);
      if (!l.watched_by.empty())
        band(l);
    } else {
      intents(l);
    }
    y_ += lane_gap;
  }

  void calls(const timeline_lane& l) {
    uint64_t up = 0, down = 0;
    for (auto& b : l.buckets) {
      up = std::max(up, b.ended());
      down = std::max(down, b.throttle_records());
    }
    // One scale above and below the baseline, so bars compare.
    double scale = calls_height;
    if (up > 0)
      scale = static_cast<double>(calls_height) / static_cast<double>(up);
    if (down > 0)
      scale = std::min(scale, static_cast<double>(throttles_height) /
                                  static_cast<double>(down));
    auto base = static_cast<double>(y_ + calls_height);
    auto gap = bar_w_ >= 4 ? 1.0 : 0.0;
    auto w = std::max(bar_w_ - gap, 0.5);
    for (size_t i = 0; i < l.buckets.size(); ++i) {
      auto& b = l.buckets[i];
      if (b.ended() + b.throttle_records() == 0)
        continue;
      std::string tip = bucket_span(i) + ": ";
      std::string counts;
      auto add = [&](uint64_t n, std::string_view what) {
        if (n > 0)
          counts += (counts.empty() ? "" : ", ") + std::to_string(n) + " " +
                    std::string{what};
      };
      add(b.ok, "ok");
      add(b.failed, "failed");
      add(b.timed_out, "timed out");
      for (size_t a = 0; a < throttle_kinds; ++a)
        add(b.throttled[a],
            std::string{"throttled ("} + throttle_names[a] + ")");
      tip += counts;
      body_ += "<g><title>" + xml_escape(tip) + "</title>\n";
      auto x = x_of_bucket(i);
      auto top = base;
      for (auto [n, colour] :
           {std::pair{b.ok, ok_colour}, std::pair{b.failed, failed_colour},
            std::pair{b.timed_out, timed_out_colour}}) {
        if (n == 0)
          continue;
        auto h = std::max(scale * static_cast<double>(n), 1.0);
        top -= h;
        rect(x, top, w, h, colour);
      }
      auto bottom = base + 1;
      for (size_t a = 0; a < throttle_kinds; ++a) {
        auto n = b.throttled[a];
        if (n == 0)
          continue;
        auto h = std::max(scale * static_cast<double>(n), 1.0);
        rect(x, bottom, w, h, throttle_colours[a]);
        bottom += h;
      }
      body_ += "</g>\n";
    }
    line(margin_left, base + 0.5, margin_left + plot_w_, base + 0.5,
         axis_colour);
    auto label = [&](double y, uint64_t n) {
      text(margin_left - 6, y, std::to_string(n),
           "text-anchor=\"end\" font-size=\"9\" fill=\"#777777\"");
    };
    if (up > 0)
      label(base - scale * static_cast<double>(up) + 7, up);
    if (down > 0)
      label(base + 1 + scale * static_cast<double>(down) + 3, down);
    y_ +=
        calls_height + (l.totals.throttle_records() > 0 ? throttles_height : 2);
  }

  void band(const timeline_lane& l) {
    y_ += band_gap;
    auto top = static_cast<double>(y_);
    text(margin_left - 6, top + 8, "status",
         "text-anchor=\"end\" font-size=\"9\" fill=\"#777777\"");
    rect(margin_left, top, plot_w_, band_height, "#f4f4f4");
    // A bucket spent wholly in one status joins its neighbours in the same
    // status in one rectangle; a mixed one is split top to bottom by the
    // share of its time in each status, the most severe on top.
    auto only = [&](size_t i) -> std::optional<size_t> {
      auto& ns = l.buckets[i].status_ns;
      std::optional<size_t> found;
      for (size_t k = 0; k < ns.size(); ++k)
        if (ns[k] > 0) {
          if (found)
            return std::nullopt;
          found = k;
        }
      return found;
    };
    auto step = std::min<int64_t>(t_.bucket.count(), sec);
    size_t i = 0;
    while (i < l.buckets.size()) {
      auto& ns = l.buckets[i].status_ns;
      int64_t total = 0;
      for (auto x : ns)
        total += x;
      if (total == 0) {
        ++i;
        continue;
      }
      if (auto k = only(i)) {
        size_t j = i + 1;
        while (j < l.buckets.size() && only(j) == k)
          ++j;
        auto s = static_cast<deadline_status>(*k);
        rect(x_of_bucket(i), top, bar_w_ * static_cast<double>(j - i),
             band_height, status_colour(s),
             status_name(s) + ", " +
                 span_text(bucket_start(i), bucket_start(j), step));
        i = j;
        continue;
      }
      static constexpr deadline_status order[] = {
          deadline_status::down, deadline_status::late, deadline_status::paused,
          deadline_status::never_called, deadline_status::up};
      // Heights by share, a pixel at least, the largest giving way.
      std::array<double, 5> h{};
      size_t largest = 0;
      double sum = 0;
      for (size_t k = 0; k < h.size(); ++k) {
        if (ns[k] == 0)
          continue;
        h[k] = std::max(1.0, band_height * static_cast<double>(ns[k]) /
                                 static_cast<double>(total));
        sum += h[k];
        if (h[k] > h[largest])
          largest = k;
      }
      h[largest] -= sum - band_height;
      std::string tip;
      for (auto s : order) {
        auto k = static_cast<size_t>(s);
        if (ns[k] == 0)
          continue;
        char share[16];
        std::snprintf(share, sizeof(share), " %.0f%%",
                      100.0 * static_cast<double>(ns[k]) /
                          static_cast<double>(total));
        tip += (tip.empty() ? "" : ", ") + status_name(s) + share;
      }
      tip += ", " + bucket_span(i);
      body_ += "<g><title>" + xml_escape(tip) + "</title>\n";
      auto y = top;
      for (auto s : order) {
        auto k = static_cast<size_t>(s);
        if (h[k] <= 0)
          continue;
        rect(x_of_bucket(i), y, bar_w_, h[k], status_colour(s));
        y += h[k];
      }
      body_ += "</g>\n";
      ++i;
    }
    y_ += band_height;
    if (l.totals.missed > 0) {
      for (size_t k = 0; k < l.buckets.size(); ++k)
        if (auto n = l.buckets[k].missed; n > 0)
          triangle(x_of_bucket(k) + bar_w_ / 2, y_, miss_colour,
                   count_of(n, "deadline miss", "deadline misses") + ", " +
                       bucket_span(k));
      y_ += misses_height;
    }
  }

  void intents(const timeline_lane& l) {
    uint64_t most = 0;
    for (auto& b : l.buckets)
      most = std::max(most, b.fired);
    auto base = static_cast<double>(y_ + intents_height);
    auto gap = bar_w_ >= 4 ? 1.0 : 0.0;
    auto w = std::max(bar_w_ - gap, 0.5);
    for (size_t i = 0; i < l.buckets.size(); ++i) {
      auto& b = l.buckets[i];
      if (b.fired > 0) {
        auto h = std::max(static_cast<double>(intents_height - 6) *
                              static_cast<double>(b.fired) /
                              static_cast<double>(most),
                          1.0);
        rect(x_of_bucket(i), base - h, w, h, fired_colour,
             count_of(b.fired, "intent fired", "intents fired") + ", " +
                 bucket_span(i));
      }
      if (b.misfired > 0)
        diamond(x_of_bucket(i) + bar_w_ / 2, base - 5, misfired_colour,
                count_of(b.misfired, "misfire", "misfires") + ", " +
                    bucket_span(i));
    }
    line(margin_left, base + 0.5, margin_left + plot_w_, base + 0.5,
         axis_colour);
    if (most > 0)
      text(margin_left - 6, base - (intents_height - 6) + 7,
           std::to_string(most),
           "text-anchor=\"end\" font-size=\"9\" fill=\"#777777\"");
    y_ += intents_height + 2;
  }

  const timeline& t_;
  const svg_options& o_;
  int width_;
  int plot_w_;
  int128 begin_;
  int128 span_;
  double bar_w_;
  int y_ = 0;
  std::string body_;
};

} // namespace

int plot_area_width(int width) {
  return std::max(width, 200) - margin_left - margin_right;
}

std::string render_svg(const timeline& t, const svg_options& options) {
  return painter{t, options}.run();
}

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    auto len = utf8_char(text);
    if (len == 0) {
      out += "\xef\xbf\xbd"; // U+FFFD REPLACEMENT CHARACTER
      text.remove_prefix(1);
      continue;
    }
    if (len == 1) {
      switch (text[0]) {
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        case '"':
          out += "&quot;";
          break;
        case '\'':
          out += "&apos;";
          break;
        case '\t':
        case '\n':
        case '\r':
          out += ' ';
          break;
        default:
          out += text[0];
      }
    } else {
      out.append(text.data(), len);
    }
    text.remove_prefix(len);
  }
  return out;
}

} // namespace tc::tool
