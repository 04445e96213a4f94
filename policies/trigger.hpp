// Triggers: when a Scheduler intent fires. Each answers one question, the
// next fire time strictly after a given time, as a pure function of its
// configuration; triggers keep no state, so replay is exact by construction.
//
//   once_trigger     fires once, at `at`
//   every_trigger    fires at start + k * period (+ seeded jitter), k = 0, 1,
//                    ..., optionally until `end` and at most `max_count` times
//   cron_trigger     a cron expression (cron.hpp: UTC or a time zone), with
//                    optional seeded jitter
//
// Example:
//
//   auto t = tc::every_trigger::make(std::chrono::minutes{5}, start);
//   auto next = tc::next_fire_after(tc::trigger{*t}, now);

#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "timecontrol/core/time.hpp"
#include "timecontrol/policies/cron.hpp"
#include "timecontrol/policies/parse_result.hpp"

namespace tc {

/// Fires once, at `at`.
class once_trigger {
public:
  explicit once_trigger(time_point at) noexcept : at_(at) {
    // nop
  }

  /// `at` if it is strictly after `t`.
  std::optional<time_point> next_after(time_point t) const noexcept {
    if (at_ > t)
      return at_;
    return std::nullopt;
  }

  time_point at() const noexcept { return at_; }

  friend bool operator==(const once_trigger&, const once_trigger&) = default;

private:
  time_point at_;
};

/// Fires every `period` from `start`. Fire k (k = 0, 1, ...) is at
///
///   nominal(k) + jitter(k),   nominal(k) = start + k * period,
///
/// where jitter(k) is drawn uniformly from [0, jitter] by hashing (seed, k)
/// (splitmix64), so the same configuration gives the same fire times on
/// every replay and on every machine, and the answer for k does not depend on
/// which fires were asked for before. Fire times are strictly increasing
/// because jitter < period. A fire is dropped if it falls after `end` or if
/// k >= max_count.
class every_trigger {
public:
  // -- factories --------------------------------------------------------------

  /// Checks the configuration: period > 0, 0 <= jitter < period,
  /// end >= start, max_count > 0. Without a start, fires align to whole
  /// multiples of `period` since the epoch (1970-01-01 UTC).
  static parse_result<every_trigger>
  make(duration period, time_point start = time_point{},
       std::optional<time_point> end = std::nullopt,
       std::optional<uint64_t> max_count = std::nullopt,
       duration jitter = duration{0}, uint64_t seed = 0);

  // -- queries ----------------------------------------------------------------

  std::optional<time_point> next_after(time_point t) const noexcept;

  /// Fire time number k, or empty if there is no such fire (past end,
  /// k >= max_count, or beyond the representable range).
  std::optional<time_point> fire_time(uint64_t k) const noexcept;

  /// The jitter added to fire k, in [0, jitter].
  duration jitter_of(uint64_t k) const noexcept;

  /// How many fires are at or before `t` (so fire_time(fires_up_to(t)) is
  /// the first one after it). Fire times strictly increase (jitter is below
  /// the period), so this is exact, in constant time.
  uint64_t fires_up_to(time_point t) const noexcept;

  // -- properties -------------------------------------------------------------

  duration period() const noexcept { return period_; }
  time_point start() const noexcept { return start_; }
  std::optional<time_point> end() const noexcept {
    if (end_ == time_point::max())
      return std::nullopt;
    return end_;
  }
  std::optional<uint64_t> max_count() const noexcept {
    if (max_count_ == no_count)
      return std::nullopt;
    return max_count_;
  }
  duration jitter() const noexcept { return jitter_; }
  uint64_t seed() const noexcept { return seed_; }

  friend bool operator==(const every_trigger&, const every_trigger&) = default;

private:
  every_trigger() = default;

  // No end and no count are kept as the largest values (which mean the
  // same), not as optionals: every pending intent holds one of these.
  static constexpr uint64_t no_count = UINT64_MAX;

  duration period_{1};
  time_point start_;
  time_point end_ = time_point::max();
  uint64_t max_count_ = no_count;
  duration jitter_{0};
  uint64_t seed_ = 0;
};

/// Fires at the times of a cron expression, each moved later by a jitter
/// drawn from (seed, the nominal fire time) by splitmix64, as every_trigger
/// draws from (seed, k): fire f of the expression is at
///
///   f + jitter(f),   jitter(f) uniform in [0, min(jitter, g - 1ns)],
///
/// where g is the time from f to the expression's next fire. So each fire
/// stays before the next nominal one, fire times strictly increase, the
/// answer for f depends on nothing asked before, and replay gives the same
/// times on every machine. A jitter longer than the gap between two fires is
/// cut to that gap (a jitter of 10m on "*/5 * * * *" is at most 5m - 1ns).
/// Without jitter it is the expression's own times.
class cron_trigger {
public:
  // -- constructors -----------------------------------------------------------

  /// Without jitter (so that a cron_schedule is a trigger as it was).
  cron_trigger(cron_schedule schedule)
      : schedule_(std::make_shared<const cron_schedule>(std::move(schedule))) {
    // nop
  }

  /// Checks jitter >= 0.
  static parse_result<cron_trigger> make(cron_schedule schedule,
                                         duration jitter, uint64_t seed = 0);

  // -- queries ----------------------------------------------------------------

  std::optional<time_point> next_after(time_point t) const noexcept;

  /// The jitter added to the nominal fire `f`, whose next nominal fire is
  /// `next` (none: the last one).
  duration jitter_of(time_point f,
                     std::optional<time_point> next) const noexcept;

  // -- properties -------------------------------------------------------------

  const cron_schedule& schedule() const noexcept { return *schedule_; }
  duration jitter() const noexcept { return jitter_; }
  uint64_t seed() const noexcept { return seed_; }

  friend bool operator==(const cron_trigger& x,
                         const cron_trigger& y) noexcept {
    return *x.schedule_ == *y.schedule_ && x.jitter_ == y.jitter_ &&
           x.seed_ == y.seed_;
  }

private:
  // Shared and never changed (copies of a trigger share it): a schedule is
  // large and every pending intent holds a trigger.
  std::shared_ptr<const cron_schedule> schedule_;
  duration jitter_{0};
  uint64_t seed_ = 0;
};

/// Any trigger.
using trigger = std::variant<once_trigger, every_trigger, cron_trigger>;

/// The next fire time of `trig` strictly after `t`; empty if it never fires
/// again.
std::optional<time_point> next_fire_after(const trigger& trig,
                                          time_point t) noexcept;

} // namespace tc
