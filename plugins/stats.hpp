// stats: what the log says about each command and each watched deadline.
//
// Per command (the source of call events): calls requested, admitted,
// throttled by action, finished well, failed, timed out; the distribution of
// call durations (call_finished.took), of the time admitted calls waited,
// and of the intervals between consecutive admissions; and the number of
// calls requested per time bucket, by the time of the request (the call
// rate over time, `bucket` wide, aligned to the epoch). Requests are found
// by tc::call_requests, so logs with and without call_requested events
// count alike.
//
// Per controller and watched command (deadline events): the misses, how
// late they were, and the time spent late and down. Time counts from event
// to event: a stretch that is still open counts up to the latest event the
// plugin has seen (it has no clock), see `until()`.
//
// Distributions are tc::histogram (quantiles within 0.39 %).

#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "timecontrol/core/deadline_status.hpp"
#include "timecontrol/core/time.hpp"
#include "timecontrol/events/call_requests.hpp"
#include "timecontrol/plugins/plugin.hpp"
#include "timecontrol/policies/histogram.hpp"

namespace tc {

struct command_stats {
  uint64_t requested = 0;
  uint64_t admitted = 0;
  /// By throttle_action: waited, rejected, dropped.
  std::array<uint64_t, 3> throttled{};
  /// call_throttled (expired): calls whose caller's max wait passed before
  /// they were admitted (at the request, or after waiting: those are among
  /// `throttled[0]` too). Not in throttled_total().
  uint64_t expired = 0;
  /// Each call has one outcome: finished ok, failed, or timed out. A call
  /// that timed out and finished later counts as timed out only (as in
  /// `timecontrol plot`); its late end still adds its duration.
  uint64_t finished_ok = 0;
  uint64_t failed = 0;
  uint64_t timed_out = 0;
  /// Calls that timed out and have not finished yet (their ids).
  std::set<uint64_t> timed_out_running;
  /// call_finished.took of every finished call, in nanoseconds.
  histogram durations;
  /// call_admitted.waited, in nanoseconds.
  histogram waits;
  /// Between consecutive call_admitted events, in nanoseconds.
  histogram intervals;
  /// Calls requested per bucket: bucket start (ns since the epoch) -> count.
  std::map<int64_t, uint64_t> rate;
  /// The earliest and the latest request.
  time_point first{};
  time_point last{};
  time_point last_admitted{};

  uint64_t throttled_total() const noexcept {
    return throttled[0] + throttled[1] + throttled[2];
  }

  friend bool operator==(const command_stats&, const command_stats&) = default;
};

struct deadline_stats {
  uint64_t misses = 0;
  /// deadline_missed.late_by, in nanoseconds.
  histogram late_by;
  /// Status changes recorded.
  uint64_t changes = 0;
  deadline_status status = deadline_status::never_called;
  /// When the current status began.
  time_point since{};
  /// Closed stretches of late and down, added up saturating at
  /// duration::max() (about 292 years: only a log whose times span more, or
  /// go back and forth, reaches it).
  duration late_time{0};
  duration down_time{0};

  friend bool operator==(const deadline_stats&,
                         const deadline_stats&) = default;
};

class stats final : public plugin {
public:
  /// `bucket`: the width of the call-rate buckets (positive).
  explicit stats(duration bucket = std::chrono::minutes{1});

  /// "stats" with the default bucket of a minute, else "stats/<bucket>"
  /// ("stats/10s"): a snapshot counts calls in its own buckets.
  std::string name() const override;

  std::string save() const override;

  [[nodiscard]] caf::error load(std::string_view bytes) override;

  // -- results ----------------------------------------------------------------

  duration bucket() const noexcept { return bucket_; }

  /// Per command, by name.
  const std::map<std::string, command_stats>& commands() const noexcept {
    return commands_;
  }

  /// nullptr if `name` made no call.
  const command_stats* command(const std::string& name) const;

  /// Per (controller, watched command).
  const std::map<std::pair<std::string, std::string>, deadline_stats>&
  deadlines() const noexcept {
    return deadlines_;
  }

  /// Time spent late (or down) by `d`, the open stretch counted up to
  /// until(); saturating as late_time.
  duration late_time(const deadline_stats& d) const noexcept;
  duration down_time(const deadline_stats& d) const noexcept;

  /// The time of the latest event seen.
  time_point until() const noexcept { return until_; }

  /// Events folded in.
  uint64_t events() const noexcept { return events_; }

protected:
  void apply(const envelope& x) override;

private:
  duration bucket_;
  std::map<std::string, command_stats> commands_;
  std::map<std::pair<std::string, std::string>, deadline_stats> deadlines_;
  call_requests requests_;
  time_point until_{};
  uint64_t events_ = 0;
};

} // namespace tc
