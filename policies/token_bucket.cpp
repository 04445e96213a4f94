#include "timecontrol/policies/token_bucket.hpp"

#include <limits>

#include "timecontrol/policies/detail/byte_io.hpp"

namespace tc {

namespace {

constexpr uint8_t tag = 3;
constexpr uint8_t version = 1;

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
  last_ = t;
  tokens_ = left;
  last_event_ = r.time_to_act;
  return r;
}

double token_bucket::cancel(const reservation& r, time_point now) noexcept {
  if (!r.ok || r.tokens == 0 || r.rate.is_infinite() || rate_.is_infinite() ||
      r.time_to_act < now)
    return 0.0;
  // Tokens that later reservations already count on: the time between this
  // reservation's time to act and the latest one, at the reservation's rate,
  // expressed in the current internal unit.
  amount booked = mul_sat(r.tokens, scale());
  amount relied_on = 0;
  if (last_event_ > r.time_to_act && !r.rate.is_zero()) {
    auto d = static_cast<amount>(to_nanos(last_event_)) -
             static_cast<amount>(to_nanos(r.time_to_act));
    auto per = std::max<int64_t>(r.rate.per.count(), 1);
    relied_on = mul_sat(mul_sat(d, r.rate.count), scale()) / per;
  }
  amount restore = booked - relied_on;
  if (restore <= 0)
    return 0.0;
  auto t = std::max(now, last_);
  auto before = advance(t);
  auto after = std::min(capacity(), add_sat(before, restore));
  last_ = t;
  tokens_ = after;
  if (r.time_to_act == last_event_ && !r.rate.is_zero()) {
    // The previous event: this reservation's time to act less the time its
    // own tokens took to accrue.
    auto per = std::max<int64_t>(r.rate.per.count(), 1);
    auto back = static_cast<amount>(r.tokens) * per / r.rate.count;
    auto prev = static_cast<amount>(to_nanos(r.time_to_act)) - back;
    if (prev >= to_nanos(t) && prev <= INT64_MAX)
      last_event_ = from_nanos(static_cast<int64_t>(prev));
  }
  return static_cast<double>(restore) / static_cast<double>(scale());
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
  if (!r.header(tag, version) || !r.i64(count) || !r.i64(per) ||
      !r.i64(burst) || !r.i128(tokens) || !r.i64(last) || !r.i64(last_event) ||
      !r.at_end())
    return std::nullopt;
  token_rate rate{count, duration{per}};
  if (burst < 0 || !(normalize(rate) == rate))
    return std::nullopt;
  token_bucket result{rate, burst, from_nanos(last)};
  // No reservation can leave a debt that takes longer than INT64_MAX ns to
  // repay, so a deeper debt is not a state the bucket can reach.
  auto deepest = -mul_sat(INT64_MAX, std::max<int64_t>(rate.count, 1));
  if (tokens > result.capacity() || tokens < deepest)
    return std::nullopt;
  result.tokens_ = tokens;
  result.last_event_ = from_nanos(last_event);
  return result;
}

} // namespace tc
