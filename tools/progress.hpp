// A progress line on standard error for long runs of the subcommands that
// read a whole log (replay, verify, export, ...):
//
//   replay: 1234567/2000000 events (61%), 1.25M events/s, ETA 1s
//
// It shows only when standard error is a terminal, and only once a run has
// taken half a second; it is redrawn in place ("\r") at most ten times a
// second and cleared when the run ends, so the terminal is left as it was.
// Piped or redirected standard error (scripts, CI, tests) gets nothing.
//
// The hot loop calls update() once per event: that costs a counter and a
// branch; the clock is read only every 1024th call.
//
// Example:
//
//   progress bar{"export", "events", store->last_seq(), !opt.no_progress};
//   store->replay({}, [&](const envelope& x) {
//     bar.update(x.seq);
//     ...
//   });
//   bar.finish();

#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace tc::tool {

class progress {
public:
  // -- constructors -----------------------------------------------------------

  /// A progress line for the run `what` over `total` units (named `unit`,
  /// e.g. "events"), drawn on `out` (standard error). Shows nothing unless
  /// `enabled` and `out` is a terminal.
  progress(std::string_view what, std::string_view unit, uint64_t total,
           bool enabled, std::FILE* out = stderr);

  /// Clears the line (finish()).
  ~progress();

  progress(const progress&) = delete;
  progress& operator=(const progress&) = delete;

  // -- reporting --------------------------------------------------------------

  /// Reports that `done` of the total units are done. Cheap enough for every
  /// event: looks at the clock only every 1024th call.
  void update(uint64_t done) {
    if (active_ && (++calls_ & (check_every - 1)) == 0)
      tick(done);
  }

  /// Reports `done`, looking at the clock now (for callers that report
  /// seldom, every few thousand units).
  void update_now(uint64_t done) {
    if (active_)
      tick(done);
  }

  /// Clears the line if it is drawn, e.g. before writing to a terminal that
  /// standard error shares; it is drawn again at the next update.
  void clear();

  /// Clears the line; later updates draw nothing.
  void finish();

  /// Whether the line may be drawn at all (enabled, `out` a terminal).
  bool active() const noexcept { return active_; }

private:
  using clock = std::chrono::steady_clock;

  static constexpr uint64_t check_every = 1024; // a power of two

  void tick(uint64_t done);

  void write(std::string_view text);

  std::string what_;
  std::string unit_;
  uint64_t total_;
  std::FILE* out_;
  bool active_;
  bool drawn_ = false;
  uint64_t calls_ = 0;
  clock::time_point start_;
  clock::time_point last_draw_{};
};

/// The text of a progress line (without "\r"): "what: done/total unit
/// (pct%), rate unit/s, ETA t" after `elapsed`. Exposed for tests.
std::string progress_text(std::string_view what, std::string_view unit,
                          uint64_t done, uint64_t total,
                          std::chrono::nanoseconds elapsed);

} // namespace tc::tool
