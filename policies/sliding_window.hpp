// sliding_window: at most `limit` calls in any window of length `window`
// (the rule many public APIs publish: "20 calls per 10 s").
//
// Exact, not approximated: the limiter remembers the times of the last
// `limit` admitted calls (memory grows with admitted calls up to `limit`
// time points). A call at `now` is admitted if fewer than `limit` admitted
// calls lie in the half-open window (now - window, now]; equivalently, if the
// `limit`-th most recent admitted call happened at or before `now - window`.
// So any half-open interval [s, s + window) holds at most `limit` admitted
// calls.
//
// Example:
//
//   tc::sliding_window sw{20, std::chrono::seconds{10}};
//   if (auto a = sw.admit(now); !a.admitted)
//     reply_throttled(a.retry_after); // when the oldest call leaves the window
//
// Time going backwards: a `now` before the latest admitted call is treated as
// that call's time (the recorded times stay sorted, nothing is admitted that
// the forward timeline would refuse, and waits are measured from the real
// `now`, so never negative).

#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "timecontrol/core/time.hpp"
#include "timecontrol/policies/admission.hpp"

namespace tc {

class sliding_window {
public:
  // -- constructors -----------------------------------------------------------

  /// A limiter with no calls recorded. A `limit` of 0 admits nothing; a
  /// window of zero or less admits everything.
  sliding_window(uint64_t limit, duration window) noexcept
      : limit_(limit), window_(window) {
    // nop
  }

  /// A limiter that remembers `calls` (admitted call times, oldest first;
  /// the latest `limit` are kept): a state kept outside the window
  /// (keyed_limiter), read back with calls().
  sliding_window(uint64_t limit, duration window, std::deque<time_point> calls)
      : limit_(limit), window_(window), calls_(std::move(calls)) {
    while (calls_.size() > limit_)
      calls_.pop_front();
  }

  // -- decisions --------------------------------------------------------------

  /// Admits and records a call of weight `n` (n slots, as n calls at `now`)
  /// if n slots are free at `now`; otherwise records nothing and answers
  /// when enough slots free (`never` if n > limit). n = 0 is admitted and
  /// records nothing.
  admission admit(time_point now, uint64_t n = 1) {
    auto a = check(now, n);
    if (a.admitted && window_ > duration{0}) {
      auto t = std::max(now, latest());
      for (uint64_t i = 0; i < n; ++i) {
        if (calls_.size() == limit_)
          calls_.pop_front();
        calls_.push_back(t);
      }
    }
    return a;
  }

  /// Like admit() but records nothing.
  admission check(time_point now, uint64_t n = 1) const noexcept {
    return decide(calls_, limit_, window_, now, n);
  }

  /// check()'s rule for a state kept elsewhere (keyed_limiter): `calls` is
  /// any random-access range of the remembered admitted call times, oldest
  /// first, at most `limit` of them.
  template <class Calls>
  static admission decide(const Calls& calls, uint64_t limit, duration window,
                          time_point now, uint64_t n) noexcept {
    admission a;
    if (window <= duration{0} || n == 0) {
      a.admitted = true;
      a.earliest = now;
      return a;
    }
    if (n > limit) {
      a.earliest = never;
      a.retry_after = duration::max();
      return a;
    }
    auto size = static_cast<uint64_t>(calls.size());
    auto t = size == 0 ? now : std::max(now, calls[size - 1]);
    // The n slots are free once the calls beyond limit - n, oldest first,
    // have left the window: the k-th oldest remembered call leaves it at
    // its time + window.
    if (size + n <= limit) {
      a.admitted = true;
      a.earliest = now;
      return a;
    }
    auto k = size + n - limit; // >= 1, <= size as n <= limit
    auto free_at = detail::add_sat(calls[k - 1], window);
    if (free_at != never && free_at <= t) {
      a.admitted = true;
      a.earliest = now;
      return a;
    }
    a.earliest = free_at;
    a.retry_after = detail::wait_between(now, free_at);
    return a;
  }

  /// Free slots at `now`: `limit` minus the admitted calls in
  /// (now - window, now].
  uint64_t free_slots(time_point now) const noexcept;

  // -- properties -------------------------------------------------------------

  uint64_t limit() const noexcept { return limit_; }

  duration window() const noexcept { return window_; }

  /// The times of the remembered admitted calls, oldest first.
  const std::deque<time_point>& calls() const noexcept { return calls_; }

  // -- serialization ----------------------------------------------------------

  /// The state as bytes (grammar in detail/byte_io.hpp):
  ///
  ///   sliding_window := 0x04 0x01 limit:varint window:i64 n:varint
  ///                     delta:i64{n}
  ///
  /// where the remembered call times, oldest first, are the running sums of
  /// the deltas modulo 2^64 (the first delta is the first time itself).
  std::string serialize() const;

  /// Restores a state written by serialize(); empty for any other input
  /// (including unsorted times or more times than the limit).
  static std::optional<sliding_window> deserialize(std::string_view bytes);

  friend bool operator==(const sliding_window&,
                         const sliding_window&) = default;

private:
  time_point latest() const noexcept {
    return calls_.empty() ? time_point::min() : calls_.back();
  }

  uint64_t limit_;
  duration window_;
  std::deque<time_point> calls_;
};

} // namespace tc
