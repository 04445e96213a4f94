// token_bucket: a rate with bursts, mirroring golang.org/x/time/rate.
//
// The bucket holds at most `burst` tokens and starts full. Tokens refill
// continuously at `rate`; a call of weight n takes n tokens. The interface
// follows x/time/rate's Limiter with explicit time:
//
//   | x/time/rate              | tc::token_bucket                          |
//   |--------------------------|-------------------------------------------|
//   | AllowN(t, n)             | allow(t, n), admit(t, n)                  |
//   | ReserveN(t, n)           | reserve(t, n [, max_wait])                |
//   | Reservation.DelayFrom(t) | reservation::delay_from(t)                |
//   | Reservation.CancelAt(t)  | cancel(reservation, t) (returns tokens)   |
//   | TokensAt(t)              | tokens(t)                                 |
//   | SetLimitAt / SetBurstAt  | set_rate(t, r) / set_burst(t, b)          |
//   | Inf, Every(d)            | token_rate::infinite(), token_rate::every |
//
// Example:
//
//   // 5/s burst 10
//   tc::token_bucket tb{tc::token_rate::per_second(5), 10, now};
//   if (auto a = tb.admit(now); !a.admitted)
//     reply_throttled(a.retry_after);
//
// Arithmetic is exact, in integers: a rate is `count` tokens per `per` (an
// integer pair, `per` in nanoseconds), the bucket counts tokens in units of
// 1/per of a token, and one unit accrues every 1/count of a nanosecond (a
// "tick"). So tokens are integers (units) and so is every instant at which
// tokens are there (ticks): "3 per 7ns" never drifts, replay gives
// bit-identical answers, and reserving and cancelling never lose a fraction
// of a token. Integers rather than a rational time per token because both
// sides of every comparison (tokens against tokens, instants against
// instants) are then plain 128-bit integers. Rounding instants to whole
// nanoseconds (as this bucket did before) or floating point (x/time/rate's
// float64 tokens and truncated time.Duration) loses a little at each step,
// and one lost nanosecond is enough for "is r the latest booking?" to answer
// no: ten reserve(t, 10) at 3/s burst 10, cancelled newest first, gave back
// 40 tokens of 90 (x/time/rate's floats give back 20).
// A reservation's time_to_act is rounded up to a whole nanosecond (so the
// tokens are always there when the caller acts); its `early` field keeps the
// exact instant. All arithmetic saturates instead of overflowing.
//
// Cancelling (x/time/rate's Reservation.CancelAt, rate.go): as of `now`, a
// reservation r that is ok, booked tokens and has not reached its time to act
// gives back
//
//   restore = r.tokens - r.rate * (last_event - r.exact_time_to_act)
//
// tokens (the later bookings rely on the time between r and the latest
// booking, so those tokens are not given back; a negative product counts as
// 0), capped at the burst. If r is the latest booking, the latest booking
// moves back to the instant the booking before it was due:
// r.exact_time_to_act - r.tokens / r.rate. All of it exact, so cancelling
// every reservation newest first at one instant leaves the bucket exactly as
// it was (tokens(now), every later answer). When the rate changed between
// reserve and cancel, the amounts are converted to the new unit rounding
// toward fewer tokens (less than one unit, 1/per of a token). The test vectors
// of x/time/rate's rate_test.go (TestCancel*, TestReserve*) pass as written
// there, except where a deviation below says otherwise.
//
// Deviations from x/time/rate, on purpose:
// - Time never runs backwards inside the bucket: a `now` before the latest
//   time the bucket has seen (`last()`) is treated as `last()`. x/time/rate
//   moves `last` back, which credits the same interval twice when time then
//   moves forward again; here jumping backwards never mints tokens.
// - A waiting reservation's delay is rounded up to the next nanosecond, so a
//   call at `time_to_act` (or at an admission's `earliest`) always finds its
//   tokens.
// - A negative n is never admitted.
// - The zero rate spends the (full) bucket and never refills; x/time/rate
//   instead lowers the burst itself on each AllowN.
// - Cancelling the latest reservation when the booking before it would have
//   been due before `now` (the reservation took some tokens the bucket had)
//   makes `now` the latest booking. x/time/rate then leaves lastEvent at the
//   cancelled reservation's time, so cancelling an earlier reservation next
//   gives back too little: 1/s burst 2, reserve(t, 1), reserve(t, 2), both
//   cancelled newest first at t leave 1 token there and 2 here (the state
//   before both). Cancelling the only reservation of a zero rate does the
//   same (x/time/rate moves lastEvent to the end of time).
// - A reservation can be cancelled up to and including its time_to_act as
//   rounded here (x/time/rate compares its own, unrounded, time).
// - A latest booking after the reservation (possible only after time ran
//   backwards for x/time/rate, or a reservation cancelled twice) relies on
//   nothing: x/time/rate then gives back more than the reservation booked.
//   Cancelling the same reservation twice gives its tokens back twice here
//   as there (a reservation is a plain value): cancel each once.

#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "timecontrol/core/time.hpp"
#include "timecontrol/policies/admission.hpp"
#include "timecontrol/policies/detail/int128.hpp"

namespace tc {

/// A refill rate: `count` tokens per `per`. `per <= 0` with `count > 0` is
/// the infinite rate; `count <= 0` is the zero rate (no refill).
struct token_rate {
  int64_t count = 0;
  duration per{std::chrono::seconds{1}};

  // -- factories --------------------------------------------------------------

  static constexpr token_rate infinite() noexcept { return {1, duration{0}}; }

  static constexpr token_rate zero() noexcept {
    return {0, std::chrono::seconds{1}};
  }

  static constexpr token_rate per_second(int64_t n) noexcept {
    return {n, std::chrono::seconds{1}};
  }

  /// One token every `interval` (x/time/rate's Every); `interval <= 0` is
  /// the infinite rate.
  static constexpr token_rate every(duration interval) noexcept {
    return {1, interval};
  }

  // -- properties -------------------------------------------------------------

  constexpr bool is_infinite() const noexcept {
    return count > 0 && per <= duration{0};
  }

  constexpr bool is_zero() const noexcept { return count <= 0; }

  /// Tokens per second as a double, for display.
  double per_second_value() const noexcept;

  friend bool operator==(const token_rate&, const token_rate&) = default;
};

/// A booking made by token_bucket::reserve. A plain value: it holds no
/// pointer to its bucket; pass it back to token_bucket::cancel.
struct reservation {
  /// False if the reservation cannot be honoured (n > burst, zero rate, or
  /// the wait exceeds max_wait); then nothing was booked.
  bool ok = false;

  /// When the caller may act; `never` when !ok.
  time_point time_to_act = never;

  /// Tokens booked (0 when !ok or under the infinite rate).
  int64_t tokens = 0;

  /// The rate in force when the booking was made.
  token_rate rate;

  /// The exact instant the tokens are there, in ticks of 1/rate.count ns
  /// before `time_to_act` (which is rounded up to a whole nanosecond):
  /// 0 <= early < rate.count.
  int64_t early = 0;

  /// How long from `t` until the caller may act: 0 if already due,
  /// duration::max() when !ok (x/time/rate's InfDuration).
  duration delay_from(time_point t) const noexcept {
    if (!ok)
      return duration::max();
    return detail::wait_between(t, time_to_act);
  }

  friend bool operator==(const reservation&, const reservation&) = default;
};

class token_bucket {
public:
  /// Token amounts in the bucket's internal unit.
  using amount = detail::int128;

  // -- constructors -----------------------------------------------------------

  /// A full bucket at `t0`. A negative burst counts as 0; a negative count in
  /// `r` as the zero rate.
  token_bucket(token_rate r, int64_t burst, time_point t0 = time_point{});

  // -- decisions --------------------------------------------------------------

  /// Takes n tokens if they are there at `now`; otherwise takes nothing and
  /// answers the earliest time at which n tokens will be there (`never` if
  /// n > burst, n < 0, or the rate is zero and the tokens are gone).
  admission admit(time_point now, int64_t n = 1) noexcept {
    admission a;
    if (rate_.is_infinite()) {
      a.admitted = n >= 0;
      a.earliest = a.admitted ? now : never;
      a.retry_after = a.admitted ? duration{0} : duration::max();
      return a;
    }
    auto t = std::max(now, last_);
    auto have = advance(t);
    auto need = mul_sat(n, scale());
    if (n >= 0 && n <= burst_ && have >= need) {
      last_ = t;
      tokens_ = have - need;
      last_event_ = t; // as AllowN, which is ReserveN with no wait
      last_event_early_ = 0;
      last_event_den_ = 1;
      a.admitted = true;
      a.earliest = now;
      return a;
    }
    a.earliest =
        n >= 0 && n <= burst_ ? plus(t, wait_for(add_sat(need, -have))) : never;
    a.retry_after = detail::wait_between(now, a.earliest);
    return a;
  }

  /// Like admit() but takes nothing.
  admission check(time_point now, int64_t n = 1) const noexcept {
    auto copy = *this;
    return copy.admit(now, n);
  }

  /// x/time/rate's AllowN: admit(now, n).admitted.
  bool allow(time_point now, int64_t n = 1) noexcept {
    return admit(now, n).admitted;
  }

  /// x/time/rate's ReserveN: books n tokens, letting the bucket go into debt,
  /// and says when the caller may act. Not ok (and nothing booked) if
  /// n > burst, n < 0, or the wait would exceed `max_wait`.
  reservation reserve(time_point now, int64_t n = 1,
                      duration max_wait = duration::max()) noexcept;

  /// x/time/rate's CancelAt: gives back the tokens of `r` that later
  /// reservations have not already relied on, as of `now` (the rule and the
  /// deviations are at the top of this file). Does nothing for a reservation
  /// that is not ok, booked no tokens, or whose time to act is before `now`,
  /// nor under the infinite rate. Returns the number of tokens given back
  /// (possibly fractional; restored_units() has the exact amount), for tests
  /// and statistics.
  double cancel(const reservation& r, time_point now) noexcept;

  // -- queries ----------------------------------------------------------------

  /// Tokens available at `now` (negative while reservations are in debt).
  double tokens(time_point now) const noexcept;

  /// tokens(now) exactly, in units of 1/unit() of a token.
  amount units(time_point now) const noexcept {
    return advance(std::max(now, last_));
  }

  /// Units per token: `per` of the rate in nanoseconds (1 for the infinite
  /// rate).
  int64_t unit() const noexcept { return scale(); }

  /// The units the latest cancel() gave back (0 if it gave back nothing).
  amount restored_units() const noexcept { return restored_; }

  // -- configuration ----------------------------------------------------------

  /// Changes the rate from `now` on; tokens accrued so far at the old rate
  /// are kept (rounded down to the new internal unit).
  void set_rate(time_point now, token_rate r) noexcept;

  /// Changes the burst from `now` on; tokens above the new burst are dropped.
  void set_burst(time_point now, int64_t burst) noexcept;

  /// Sets the bucket to `units` (clamped to 0..burst * unit()) at `last`
  /// with no reservation outstanding (its latest booking at `last`): the
  /// state of a bucket that only admits, which units(last()) and last() read
  /// back. For states kept outside the bucket (keyed_limiter keeps those two
  /// numbers per key).
  void restore(amount units, time_point last) noexcept {
    tokens_ = std::clamp(units, amount{0}, capacity());
    last_ = last;
    last_event_ = last;
    last_event_early_ = 0;
    last_event_den_ = 1;
  }

  // -- properties -------------------------------------------------------------

  token_rate rate() const noexcept { return rate_; }

  int64_t burst() const noexcept { return burst_; }

  /// The latest time the bucket has taken into account.
  time_point last() const noexcept { return last_; }

  /// The time to act of the latest reservation (x/time/rate's lastEvent),
  /// rounded up to a whole nanosecond.
  time_point last_event() const noexcept { return last_event_; }

  // -- serialization ----------------------------------------------------------

  /// The state as bytes (grammar in detail/byte_io.hpp):
  ///
  ///   token_bucket := 0x03 0x02 count:i64 per:i64 burst:i64 tokens:i128
  ///                   last:i64 last_event:i64 early:i64 den:i64
  ///
  /// `tokens` is in units of 1/per-nanoseconds of a token (i128 is two i64,
  /// low half first). The exact latest booking is `last_event` less
  /// early/den ns (0 <= early < den). deserialize() also reads version 1
  /// (0x03 0x01, without early and den: a whole-nanosecond latest booking).
  std::string serialize() const;

  /// Restores a state written by serialize(); empty for any other input,
  /// including states that break the bucket's invariants.
  static std::optional<token_bucket> deserialize(std::string_view bytes);

  friend bool operator==(const token_bucket& x, const token_bucket& y) {
    return x.rate_ == y.rate_ && x.burst_ == y.burst_ &&
           x.tokens_ == y.tokens_ && x.last_ == y.last_ &&
           x.last_event_ == y.last_event_ &&
           x.last_event_early_ == y.last_event_early_ &&
           x.last_event_den_ == y.last_event_den_;
  }

private:
  // -- internal arithmetic (saturating) ---------------------------------------

  static constexpr amount amount_max =
      static_cast<amount>((static_cast<detail::uint128>(1) << 127) - 1);

  static amount mul_sat(amount a, amount b) noexcept {
    amount r;
    if (__builtin_mul_overflow(a, b, &r))
      return (a < 0) != (b < 0) ? -amount_max : amount_max;
    return r;
  }

  static amount add_sat(amount a, amount b) noexcept {
    amount r;
    if (__builtin_add_overflow(a, b, &r))
      return a < 0 ? -amount_max : amount_max;
    return r;
  }

  /// Internal units per token.
  int64_t scale() const noexcept {
    return rate_.is_infinite() ? 1 : std::max<int64_t>(rate_.per.count(), 1);
  }

  /// burst * scale, cached because every decision needs it.
  amount capacity() const noexcept { return capacity_; }

  void update_capacity() noexcept { capacity_ = mul_sat(burst_, scale()); }

  /// Tokens at t >= last_, without changing anything.
  amount advance(time_point t) const noexcept {
    if (rate_.is_infinite())
      return capacity();
    if (rate_.is_zero() || t <= last_ || tokens_ >= capacity())
      return tokens_;
    auto elapsed =
        static_cast<amount>(to_nanos(t)) - static_cast<amount>(to_nanos(last_));
    return std::min(capacity(),
                    add_sat(tokens_, mul_sat(elapsed, rate_.count)));
  }

  /// Time until `missing` units have accrued (rounded up), or "never" as
  /// duration::max().
  duration wait_for(amount missing) const noexcept {
    if (missing <= 0)
      return duration{0};
    if (rate_.is_zero())
      return duration::max();
    auto ns = (missing + rate_.count - 1) / rate_.count;
    if (ns >= static_cast<amount>(INT64_MAX))
      return duration::max();
    return duration{static_cast<int64_t>(ns)};
  }

  // Sums a time and a wait, treating duration::max() as never.
  static time_point plus(time_point t, duration d) noexcept {
    return d == duration::max() ? never : detail::add_sat(t, d);
  }

  token_rate rate_;
  int64_t burst_;
  amount tokens_;
  amount capacity_;
  time_point last_;
  time_point last_event_;
  // The exact latest booking is last_event_ - last_event_early_ /
  // last_event_den_ ns (0 <= early < den; den is the rate count whose ticks
  // count `early`).
  int64_t last_event_early_ = 0;
  int64_t last_event_den_ = 1;
  // Not state: what the latest cancel() gave back (excluded from ==).
  amount restored_ = 0;
};

} // namespace tc
