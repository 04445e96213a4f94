#include "timecontrol/policies/token_bucket.hpp"

#include <limits>

#include "timecontrol/policies/detail/byte_io.hpp"

namespace tc {

namespace {

constexpr uint8_t tag = 3;
constexpr uint8_t version = 2;

token_rate normalize(token_rate r) {
  if (r.count <= 0)
    return token_rate{0, r.per > duration{0} ? r.per : duration{1}};
  if (r.per <= duration{0})
    return token_rate::infinite();
  return r;
}

} // namespace

// -- token_rate ---------------------------------------------------------------

double token_rate::per_second_value() const noexcept {
  if (is_infinite())
    return std::numeric_limits<double>::infinity();
  if (is_zero())
    return 0.0;
  return static_cast<double>(count) * 1e9 / static_cast<double>(per.count());
}

// -- token_bucket -------------------------------------------------------------

token_bucket::token_bucket(token_rate r, int64_t burst, time_point t0)
    : rate_(normalize(r)), burst_(std::max<int64_t>(burst, 0)), tokens_(0),
      capacity_(0), last_(t0), last_event_(t0) {
  update_capacity();
  tokens_ = capacity();
}

reservation token_bucket::reserve(time_point now, int64_t n,
                                  duration max_wait) noexcept {
  reservation r;
  r.rate = rate_;
  if (n < 0)
    return r;
  if (rate_.is_infinite()) {
    r.ok = true;
    r.time_to_act = now;
    return r;
  }
  auto t = std::max(now, last_);
  auto left = add_sat(advance(t), -mul_sat(n, scale()));
  auto wait = wait_for(-left);
  if (n > burst_ || wait == duration::max() || wait > max_wait)
    return r;
  r.ok = true;
  r.tokens = n;
  r.time_to_act = plus(t, wait);
  // The debt is paid -left ticks after t; time_to_act rounds that up.
  if (left < 0 && r.time_to_act != never)
    r.early = static_cast<int64_t>(
        static_cast<amount>(wait.count()) * rate_.count + left);
  last_ = t;
  tokens_ = left;
  last_event_ = r.time_to_act;
  last_event_early_ = r.early;
  last_event_den_ = r.early == 0 ? 1 : rate_.count;
  return r;
}

namespace {

using amount = token_bucket::amount;

// a / b rounded toward plus infinity, for b > 0.
amount div_ceil(amount a, amount b) noexcept {
  auto q = a / b;
  return a % b > 0 ? q + 1 : q;
}

// a / b rounded toward minus infinity, for b > 0.
amount div_floor(amount a, amount b) noexcept {
  auto q = a / b;
  return a % b < 0 ? q - 1 : q;
}

} // namespace

double token_bucket::cancel(const reservation& r, time_point now) noexcept {
  restored_ = 0;
  if (!r.ok || r.tokens == 0 || r.rate.is_infinite() || rate_.is_infinite() ||
      r.time_to_act < now)
    return 0.0;
  auto t = std::max(now, last_);
  auto c = r.rate.count; // ticks per nanosecond at the reservation's rate
  auto per = std::max<int64_t>(r.rate.per.count(), 1);
  // The exact latest booking less r's exact time to act, in r's ticks
  // (1/c ns): (L_ns - A_ns) * c - L_early * c / L_den + A_early, with the
  // conversion between ticks rounded so as to give back less, never more.
  amount relied = 0; // in the bucket's current units
  bool latest = false;
  if (!r.rate.is_zero()) {
    auto d_ns = static_cast<amount>(to_nanos(last_event_)) -
                static_cast<amount>(to_nanos(r.time_to_act));
    amount le = last_event_den_ == c
                    ? last_event_early_
                    : div_floor(static_cast<amount>(last_event_early_) * c,
                                last_event_den_);
    auto ticks = add_sat(add_sat(mul_sat(d_ns, c), -le), r.early);
    latest = d_ns == 0 && static_cast<amount>(last_event_early_) * c ==
                              static_cast<amount>(r.early) * last_event_den_;
    if (ticks > 0) {
      // One tick is one unit of the reservation's rate (1/per of a token);
      // in the current unit that is scale()/per units.
      relied = scale() == per ? ticks : div_ceil(mul_sat(ticks, scale()), per);
    }
  }
  amount booked = mul_sat(r.tokens, scale());
  amount restore = add_sat(booked, -relied);
  if (restore <= 0)
    return 0.0;
  auto before = advance(t);
  auto after = std::min(capacity(), add_sat(before, restore));
  restored_ = after - before;
  last_ = t;
  tokens_ = after;
  if (latest || (r.rate.is_zero() && r.time_to_act == last_event_)) {
    // The booking before r was due at r's exact time to act less the time
    // its own tokens took to accrue: prev = A - tokens * per / c ns, in
    // ticks A * c - early - tokens * per.
    bool moved = false;
    if (!r.rate.is_zero()) {
      auto prev =
          add_sat(add_sat(mul_sat(to_nanos(r.time_to_act), c), -r.early),
                  -mul_sat(r.tokens, per));
      auto from = mul_sat(to_nanos(t), c);
      if (prev >= from) {
        auto ns = div_ceil(prev, c);
        if (ns <= INT64_MAX) {
          last_event_ = from_nanos(static_cast<int64_t>(ns));
          last_event_early_ = static_cast<int64_t>(ns * c - prev);
          last_event_den_ = last_event_early_ == 0 ? 1 : c;
          moved = true;
        }
      }
    }
    if (!moved) {
      // It was due before t (r took tokens the bucket had), or the rate is
      // zero: nothing is booked after t any more.
      last_event_ = t;
      last_event_early_ = 0;
      last_event_den_ = 1;
    }
  }
  return static_cast<double>(restored_) / static_cast<double>(scale());
}

double token_bucket::tokens(time_point now) const noexcept {
  auto have = advance(std::max(now, last_));
  return static_cast<double>(have) / static_cast<double>(scale());
}

void token_bucket::set_rate(time_point now, token_rate r) noexcept {
  auto t = std::max(now, last_);
  auto have = advance(t);
  auto old_scale = scale();
  rate_ = normalize(r);
  update_capacity();
  auto new_scale = scale();
  // Round toward minus infinity: never more tokens, never less debt.
  amount scaled = mul_sat(have, new_scale);
  amount q = scaled / old_scale;
  if (scaled % old_scale != 0 && scaled < 0)
    --q;
  tokens_ = std::min(q, capacity());
  last_ = t;
}

void token_bucket::set_burst(time_point now, int64_t burst) noexcept {
  auto t = std::max(now, last_);
  auto have = advance(t);
  burst_ = std::max<int64_t>(burst, 0);
  update_capacity();
  tokens_ = std::min(have, capacity());
  last_ = t;
}

std::string token_bucket::serialize() const {
  detail::byte_writer w{tag, version};
  w.i64(rate_.count);
  w.i64(rate_.per.count());
  w.i64(burst_);
  w.i128(tokens_);
  w.i64(to_nanos(last_));
  w.i64(to_nanos(last_event_));
  w.i64(last_event_early_);
  w.i64(last_event_den_);
  return std::move(w).take();
}

std::optional<token_bucket> token_bucket::deserialize(std::string_view bytes) {
  detail::byte_reader r{bytes};
  int64_t count = 0;
  int64_t per = 0;
  int64_t burst = 0;
  amount tokens = 0;
  int64_t last = 0;
  int64_t last_event = 0;
  int64_t early = 0;
  int64_t den = 1;
  // Version 1 had no exact part of the latest booking.
  bool v1 = r.header(tag, 1);
  if (!v1) {
    r = detail::byte_reader{bytes};
    if (!r.header(tag, version))
      return std::nullopt;
  }
  if (!r.i64(count) || !r.i64(per) || !r.i64(burst) || !r.i128(tokens) ||
      !r.i64(last) || !r.i64(last_event))
    return std::nullopt;
  if (!v1 && (!r.i64(early) || !r.i64(den)))
    return std::nullopt;
  if (!r.at_end())
    return std::nullopt;
  token_rate rate{count, duration{per}};
  if (burst < 0 || !(normalize(rate) == rate))
    return std::nullopt;
  if (den < 1 || early < 0 || early >= den || (early == 0 && den != 1))
    return std::nullopt;
  token_bucket result{rate, burst, from_nanos(last)};
  // No reservation can leave a debt that takes longer than INT64_MAX ns to
  // repay, so a deeper debt is not a state the bucket can reach.
  auto deepest = -mul_sat(INT64_MAX, std::max<int64_t>(rate.count, 1));
  if (tokens > result.capacity() || tokens < deepest)
    return std::nullopt;
  result.tokens_ = tokens;
  result.last_event_ = from_nanos(last_event);
  result.last_event_early_ = early;
  result.last_event_den_ = den;
  return result;
}

} // namespace tc
