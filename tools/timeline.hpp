// The timeline behind `timecontrol plot`: a log folded into time buckets, one
// lane per command and per scheduler (drawn as SVG by timeline_svg.hpp).
//
// Two steps, so each can be tested alone:
//
//   timeline_builder b{{.since = ..., .sources = {"api"}}};
//   store.replay({}, [&](const envelope& x) { b.add(x); return true; });
//   auto svg = render_svg(b.finish(), {.title = path});
//
// Memory is bounded by buckets times lanes, not by events: the builder keeps
// at most `max_buckets` buckets per lane and, when the events it has seen
// span more, merges neighbouring buckets into wider ones (widths stay nice
// round steps that divide each other, so merging is exact). The only
// per-call state is the ids of calls that timed out and have not finished
// yet, which the command itself keeps too.
//
// What a lane shows:
//   command    calls per bucket by how they ended (call_finished ok, failed;
//              call_timed_out, whose later call_finished is not counted
//              again) above the baseline, throttled calls (call_throttled)
//              by action below it; for a command a controller watches
//              (deadline_status_changed, deadline_missed name it in
//              `command`), a band coloured by the share of each bucket's
//              time it spent in each status, and the misses. The status
//              before a lane's first change is the one that change left
//              (or, with --since, the one the last change before entered);
//              changes are taken in time order, one that goes back in time
//              is left out of the band.
//   scheduler  intents fired per bucket (intent_fired) and misfires
//              (intent_misfired) of the scheduler that is the events' source.

#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "timecontrol/events/call_requests.hpp"
#include "timecontrol/events/event.hpp"
#include "timecontrol/policies/detail/int128.hpp"

namespace tc::tool {

// -- the timeline -------------------------------------------------------------

/// What happened in one lane during one bucket.
struct timeline_bucket {
  uint64_t ok = 0;
  uint64_t failed = 0;
  uint64_t timed_out = 0;
  /// Indexed by throttle_action: waited, rejected, dropped, expired. A call
  /// that waited and then expired has both; throttled_total() counts the
  /// first three, as the stats do.
  std::array<uint64_t, 4> throttled{};
  uint64_t missed = 0;
  uint64_t fired = 0;
  uint64_t misfired = 0;
  /// How long the lane's command was in each status during this bucket
  /// (indexed by deadline_status), as its controller recorded the changes.
  /// At most the bucket's width; merge() adds saturating, so a lane's
  /// totals of a range longer than 2^63 ns (292 years) stop there.
  std::array<int64_t, 5> status_ns{};

  uint64_t ended() const { return ok + failed + timed_out; }

  uint64_t throttled_total() const {
    return throttled[0] + throttled[1] + throttled[2];
  }

  /// Every call_throttled record, expired ones included (what the plot
  /// draws below a lane's baseline).
  uint64_t throttle_records() const { return throttled_total() + throttled[3]; }

  void merge(const timeline_bucket& other);
};

enum class lane_kind : uint8_t { command, scheduler };

struct timeline_lane {
  lane_kind kind = lane_kind::command;
  std::string name;
  /// One per bucket of the timeline.
  std::vector<timeline_bucket> buckets;
  /// Sums over the buckets.
  timeline_bucket totals;
  uint64_t requested = 0;
  uint64_t admitted = 0;
  uint64_t scheduled = 0;
  uint64_t cancelled = 0;
  /// True if the lane has call_* (command) events of its own.
  bool has_calls = false;
  /// The controllers that recorded deadline events about this command.
  std::vector<std::string> watched_by;
};

struct timeline {
  /// The start of the first bucket; bucket i covers
  /// [begin + i * bucket, begin + (i + 1) * bucket). Buckets are aligned to
  /// the epoch, so in a range that reaches an end of 64-bit time (1677 or
  /// 2262) the first may start, or the last end, past it: `begin` is then
  /// the earliest time, and bucket_start() has the exact bounds.
  time_point begin{};
  duration bucket{0};
  size_t buckets = 0;
  /// begin / bucket before it was clamped.
  int64_t first_bucket = 0;
  /// The range the plot is about: --since/--until where given, else the
  /// first and last event.
  time_point first{};
  time_point last{};
  /// The events that passed the filters.
  uint64_t events = 0;
  /// The bucket width asked for with --bucket when it had to be widened to
  /// fit; 0 otherwise.
  duration asked_bucket{0};
  /// Commands by name, then schedulers by name.
  std::vector<timeline_lane> lanes;

  /// The start of bucket i (i <= buckets: the end of the last), in
  /// nanoseconds since the epoch; in 128 bits, as it can be past the ends
  /// of 64-bit time.
  detail::int128 bucket_start(size_t i) const {
    return (static_cast<detail::int128>(first_bucket) +
            static_cast<detail::int128>(i)) *
           bucket.count();
  }
};

// -- building one from events -------------------------------------------------

struct timeline_options {
  /// Only events at or after / at or before these times.
  std::optional<time_point> since{};
  std::optional<time_point> until{};
  /// The bucket width; nullopt picks about a 200th of the range, rounded to
  /// a nice step.
  std::optional<duration> bucket{};
  /// Only events of these sources, and deadline events about these commands;
  /// empty for all.
  std::vector<std::string> sources{};
  /// The most buckets a lane holds while the log is read. With a fixed
  /// `bucket` this is also the most the timeline shows: a wider range widens
  /// the bucket (doubling it) rather than drawing bars thinner than a pixel.
  size_t max_buckets = 2048;
};

/// Folds events, in any order, into a timeline. Not thread-safe.
class timeline_builder {
public:
  explicit timeline_builder(timeline_options options);

  /// Counts one event (the envelope need not outlive the call).
  void add(const envelope& x);

  /// The timeline of every event added so far.
  timeline finish() const;

private:
  struct status_change {
    int64_t ns;
    deadline_status status;
  };

  struct lane_state {
    std::deque<timeline_bucket> buckets;
    timeline_lane summary; // totals, counters, kind, name
    std::set<std::string> watched_by;
    std::unordered_set<uint64_t> timed_out_calls;
    /// The earliest change in range, with the status it left.
    std::optional<status_change> first_change;
    /// The latest change in range, with the status it entered: the status
    /// from then on.
    std::optional<status_change> current;
    /// The latest change before --since, with the status it entered.
    std::optional<status_change> before_range;
  };

  lane_state& lane(lane_kind kind, const std::string& name);
  bool selected(const envelope& x) const;
  timeline_bucket* slot(lane_state& st, int64_t ns);
  void spread(lane_state& st, int64_t from, int64_t to, deadline_status s);
  void coarsen(int64_t width);

  timeline_options options_;
  std::set<std::string> sources_;
  std::map<std::pair<lane_kind, std::string>, lane_state> lanes_;
  /// Finds each call's request (also those made before --since, so that a
  /// call admitted in range after a wait is not counted again).
  call_requests requests_;
  /// The buckets all lanes share: `count_` of width `width_` ns, the first
  /// starting at `first_index_ * width_` ns since the epoch.
  int64_t width_;
  int64_t first_index_ = 0;
  size_t count_ = 0;
  uint64_t events_ = 0;
  int64_t first_ns_ = 0;
  int64_t last_ns_ = 0;
};

} // namespace tc::tool
