#include "timecontrol/tools/progress.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <unistd.h>

#include "timecontrol/policies/spec.hpp"

namespace tc::tool {

namespace {

using namespace std::chrono_literals;

/// Quiet for this long: short runs never show a line.
constexpr auto first_draw_after = 500ms;

/// At most this often.
constexpr auto redraw_every = 100ms;

// "950", "12.5k", "1.25M".
std::string rate_text(double per_second) {
  char buf[32];
  if (per_second >= 1e6)
    std::snprintf(buf, sizeof buf, "%.2fM", per_second / 1e6);
  else if (per_second >= 1e4)
    std::snprintf(buf, sizeof buf, "%.1fk", per_second / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.0f", per_second);
  return buf;
}

} // namespace

std::string progress_text(std::string_view what, std::string_view unit,
                          uint64_t done, uint64_t total,
                          std::chrono::nanoseconds elapsed) {
  done = std::min(done, total);
  std::string text{what};
  text += ": ";
  text += std::to_string(done);
  text += '/';
  text += std::to_string(total);
  text += ' ';
  text += unit;
  if (total > 0) {
    text += " (";
    text += std::to_string(done * 100 / total);
    text += "%)";
  }
  auto seconds = std::chrono::duration<double>(elapsed).count();
  if (seconds > 0 && done > 0) {
    auto rate = static_cast<double>(done) / seconds;
    text += ", ";
    text += rate_text(rate);
    text += ' ';
    text += unit;
    text += "/s, ETA ";
    text += duration_to_text(
        std::chrono::round<std::chrono::seconds>(std::chrono::duration<double>(
            static_cast<double>(total - done) / rate)));
  }
  return text;
}

progress::progress(std::string_view what, std::string_view unit, uint64_t total,
                   bool enabled, std::FILE* out)
    : what_(what), unit_(unit), total_(total), out_(out),
      active_(enabled && ::isatty(::fileno(out)) == 1), start_(clock::now()) {}

void progress::write(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), out_);
  std::fflush(out_);
}

progress::~progress() {
  finish();
}

void progress::tick(uint64_t done) {
  auto now = clock::now();
  if (now - start_ < first_draw_after || now - last_draw_ < redraw_every)
    return;
  last_draw_ = now;
  // "\x1b[K" erases what a longer line before left on the right.
  // (A char first, not "\r": GCC 12 at -O3 reports a false -Wrestrict for a
  // one-character literal + std::string, GCC bug 105329.)
  write('\r' + progress_text(what_, unit_, done, total_, now - start_) +
        "\x1b[K");
  drawn_ = true;
}

void progress::clear() {
  if (!drawn_)
    return;
  write("\r\x1b[K");
  drawn_ = false;
}

void progress::finish() {
  clear();
  active_ = false;
}

} // namespace tc::tool
