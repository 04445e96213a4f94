// adaptive_rate: learns a safe call rate for a command whose real limit is
// unknown -- a remote API that answers "too many requests" -- and says which
// limiter the command should have.
//
// The rule is additive increase, multiplicative decrease with a remembered
// ceiling (like TCP congestion control):
//
//   slow start   until the first throttle, each call that succeeds adds
//                `slow_start_gain` calls/s: the rate grows by that fraction
//                per second (the command makes `rate` calls a second).
//   increase     after it, each success adds `increase * ceiling / rate`:
//                the rate climbs by `increase` of the ceiling per second,
//                past the ceiling too, so it finds a limit that was raised.
//   decrease     a call that failed because the remote side throttled it
//                sets the ceiling to the rate it was made at and cuts the
//                rate to `decrease` times that. Calls the command admitted
//                before the cut took effect (before it recorded the cut
//                rate's policy_changed) ran at the old rate: neither their
//                throttles nor their successes count (one cut per round,
//                like TCP's recovery). Calls that waited in the command's
//                queue through the cut run at the new rate and count: the
//                rule is keyed on admissions, not requests, so a deep queue
//                does not hide the new rate's refusals.
//
// It only climbs while the command's own limiter holds calls back (a call
// waited or was throttled by it within the last `pressure_window`): with
// less demand than the rate, successes say nothing about the limit. Every
// call_throttled counts, whatever its action: an expired call (its caller's
// max wait passed while the limiter held it) and a rejected or dropped one
// were all held back by the limiter, which is the demand this rule looks for.
//
// A failure counts as throttled by the remote side when its error text (the
// `error` of call_finished) contains one of `markers`, case-insensitively.
// An operation that returns tc::make_error(tc::errc::throttled, ...) is
// recorded as "throttled: ...", which the default markers match.
//
// The command's limiter is whatever its last policy_changed says; the
// plugin proposes a token bucket "<rate>/s burst <burst>" (the rate with 3
// significant digits) when it differs from that by more than `hysteresis`,
// or at once after a cut. The actor that runs it applies the proposal with
// (policy_atom, spec), which the command records as policy_changed -- so
// the log shows every change, and a restarted plugin knows what is applied.

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "timecontrol/core/time.hpp"
#include "timecontrol/plugins/plugin.hpp"

namespace tc {

struct adaptive_rate_config {
  /// The command it tunes; its events are the only ones it reads.
  std::string command;
  /// Calls/s before the command's limiter is known.
  double initial = 1;
  double min_rate = 0.01;
  double max_rate = 1e6;
  /// Growth per second during slow start (0.5: +50 % a second).
  double slow_start_gain = 0.5;
  /// Growth per second after the first throttle, as a fraction of the
  /// ceiling.
  double increase = 0.015;
  /// The factor of a cut.
  double decrease = 0.925;
  /// A change smaller than this fraction of the applied rate waits.
  double hysteresis = 0.02;
  /// The burst of the proposed token bucket.
  int64_t burst = 1;
  /// How recently the command's own limiter must have held a call back for
  /// a success to raise the rate.
  duration pressure_window = std::chrono::seconds{1};
  /// Substrings of an error text that mean "throttled by the remote side".
  std::vector<std::string> markers = {"throttled", "too many requests", "429"};
};

/// What is wrong with `config`'s numbers, "" if nothing. All must be
/// finite, with 0 < min_rate <= max_rate, initial > 0, 0 < decrease < 1,
/// increase > 0, slow_start_gain > 0, hysteresis >= 0, burst >= 1 and
/// pressure_window >= 0.
std::string check(const adaptive_rate_config& config);

class adaptive_rate final : public plugin {
public:
  explicit adaptive_rate(adaptive_rate_config config);

  std::string name() const override;

  replay_query filter() const override;

  std::string save() const override;

  [[nodiscard]] caf::error load(std::string_view bytes) override;

  // -- results ----------------------------------------------------------------

  const adaptive_rate_config& config() const noexcept { return config_; }

  /// The rate it would apply now, in calls/s.
  double rate() const noexcept { return rate_; }

  /// The rate of the last throttle (0 before the first).
  double ceiling() const noexcept { return ceiling_; }

  /// The rate of the command's current limiter, if it is known.
  std::optional<double> applied() const noexcept { return applied_; }

  /// The limiter spec to apply now, if the command should change.
  std::optional<std::string> proposal() const;

  /// Remote throttles seen, and how many of them cut the rate.
  uint64_t remote_throttles() const noexcept { return remote_throttles_; }
  uint64_t cuts() const noexcept { return cuts_; }

  /// "<rate>/s burst <burst>" with the rate to 3 significant digits.
  std::string spec_for(double rate) const;

protected:
  void apply(const envelope& x) override;

private:
  bool is_remote_throttle(const std::string& error) const;

  adaptive_rate_config config_;
  double rate_;
  double ceiling_ = 0;
  std::optional<double> applied_;
  /// Throttles of calls with ids up to this were made before the last cut.
  uint64_t barrier_ = 0;
  uint64_t last_admitted_ = 0;
  time_point last_pressure_{};
  bool pressured_ = false;
  /// A cut that is not applied yet: propose at once, whatever hysteresis.
  bool cut_pending_ = false;
  double cut_rate_ = 0;
  /// Set by the first increase or cut: until then the rate follows the
  /// command's limiter.
  bool learning_ = false;
  uint64_t remote_throttles_ = 0;
  uint64_t cuts_ = 0;
};

} // namespace tc
