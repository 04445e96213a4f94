#include "timecontrol/plugins/adaptive_rate.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <variant>

#include "timecontrol/core/duration_sum.hpp"
#include "timecontrol/plugins/detail/bytes.hpp"
#include "timecontrol/policies/spec.hpp"

namespace tc {

namespace {

constexpr std::string_view tag = "tc.adaptive_rate/2";

// Calls per second of a limiter spec; nullopt if it does not parse.
std::optional<double> rate_of(std::string_view text) {
  auto spec = parse_limiter_spec(text);
  if (!spec)
    return std::nullopt;
  return std::visit(
      [](const auto& x) -> std::optional<double> {
        using T = std::decay_t<decltype(x)>;
        auto seconds = [](duration d) {
          return std::chrono::duration<double>(d).count();
        };
        if constexpr (std::is_same_v<T, token_bucket_config>)
          return x.rate.per_second_value();
        else if constexpr (std::is_same_v<T, min_interval_config>)
          return 1 / seconds(x.period);
        else
          return static_cast<double>(x.limit) / seconds(x.window);
      },
      spec.value());
}

std::string lowercase(std::string_view s) {
  std::string out{s};
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

} // namespace

std::string check(const adaptive_rate_config& c) {
  auto finite = [](double x) { return std::isfinite(x); };
  if (!finite(c.min_rate) || !finite(c.max_rate) || !(c.min_rate > 0) ||
      !(c.max_rate >= c.min_rate))
    return "needs 0 < min_rate <= max_rate, both finite";
  if (!finite(c.initial) || !(c.initial > 0))
    return "needs a finite initial rate > 0";
  if (!(c.decrease > 0 && c.decrease < 1))
    return "needs 0 < decrease < 1";
  if (!finite(c.increase) || !(c.increase > 0) || !finite(c.slow_start_gain) ||
      !(c.slow_start_gain > 0))
    return "needs finite increase > 0 and slow_start_gain > 0";
  if (!finite(c.hysteresis) || !(c.hysteresis >= 0))
    return "needs a finite hysteresis >= 0";
  if (c.burst < 1)
    return "needs burst >= 1";
  if (c.pressure_window < duration{0})
    return "needs pressure_window >= 0";
  return {};
}

adaptive_rate::adaptive_rate(adaptive_rate_config config)
    : config_(std::move(config)),
      rate_(std::clamp(config_.initial, config_.min_rate, config_.max_rate)) {
  for (auto& m : config_.markers)
    m = lowercase(m);
}

std::string adaptive_rate::name() const {
  return "adaptive_rate/" + config_.command;
}

replay_query adaptive_rate::filter() const {
  return {.source = config_.command};
}

std::string adaptive_rate::spec_for(double rate) const {
  rate = std::clamp(rate, config_.min_rate, config_.max_rate);
  // Three significant digits, written out without an exponent.
  auto magnitude = static_cast<int>(std::floor(std::log10(rate)));
  auto decimals = std::max(0, 2 - magnitude);
  auto step = std::pow(10.0, magnitude - 2);
  auto rounded = std::round(rate / step) * step;
  // to_chars, not printf: a host program's locale must not turn the point
  // into a comma that the spec parser refuses.
  char buf[64];
  auto end = std::to_chars(buf, buf + sizeof buf, rounded,
                           std::chars_format::fixed, decimals)
                 .ptr;
  std::string text{buf, end};
  if (text.find('.') != std::string::npos) {
    while (text.back() == '0')
      text.pop_back();
    if (text.back() == '.')
      text.pop_back();
  }
  return text + "/s burst " + std::to_string(config_.burst);
}

std::optional<std::string> adaptive_rate::proposal() const {
  auto spec = spec_for(rate_);
  if (!applied_)
    return spec;
  auto target = rate_of(spec).value_or(rate_);
  if (cut_pending_ && target < *applied_)
    return spec;
  if (std::abs(target - *applied_) > config_.hysteresis * *applied_)
    return spec;
  return std::nullopt;
}

bool adaptive_rate::is_remote_throttle(const std::string& error) const {
  auto text = lowercase(error);
  return std::any_of(config_.markers.begin(), config_.markers.end(),
                     [&](const std::string& m) {
                       return !m.empty() && text.find(m) != std::string::npos;
                     });
}

void adaptive_rate::apply(const envelope& x) {
  auto clamp = [&](double r) {
    return std::clamp(r, config_.min_rate, config_.max_rate);
  };
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, call_throttled>) {
          last_pressure_ = x.time;
          pressured_ = true;
        } else if constexpr (std::is_same_v<T, call_admitted>) {
          last_admitted_ = std::max(last_admitted_, e.call_id);
          // Until the command applies the cut, what it admits runs at the
          // old rate.
          if (cut_pending_)
            barrier_ = std::max(barrier_, e.call_id);
          if (e.waited > duration{0}) {
            last_pressure_ = x.time;
            pressured_ = true;
          }
        } else if constexpr (std::is_same_v<T, call_finished>) {
          // A call admitted before the last cut took effect ran at the old
          // rate: it says nothing about the new one (one cut per round,
          // like TCP's recovery).
          if (e.call_id <= barrier_) {
            if (!e.ok && is_remote_throttle(e.error))
              ++remote_throttles_;
            return;
          }
          if (e.ok) {
            if (!pressured_ || saturating_between(last_pressure_, x.time) >
                                   config_.pressure_window)
              return;
            learning_ = true;
            if (ceiling_ == 0)
              rate_ = clamp(rate_ + config_.slow_start_gain);
            else
              rate_ = clamp(rate_ + config_.increase * ceiling_ / rate_);
          } else if (is_remote_throttle(e.error)) {
            ++remote_throttles_;
            learning_ = true;
            ceiling_ = applied_.value_or(rate_);
            rate_ = clamp(ceiling_ * config_.decrease);
            cut_rate_ = rate_;
            cut_pending_ = true;
            barrier_ = last_admitted_;
            ++cuts_;
          }
        } else if constexpr (std::is_same_v<T, policy_changed>) {
          auto r = rate_of(e.policy);
          if (!r)
            return;
          applied_ = *r;
          if (!learning_)
            rate_ = clamp(*r);
          if (cut_pending_ && *r <= cut_rate_ * (1 + config_.hysteresis))
            cut_pending_ = false;
        }
      },
      x.body);
}

std::string adaptive_rate::save() const {
  detail::snapshot_writer w{tag};
  w.str(config_.command);
  w.f64(rate_);
  w.f64(ceiling_);
  w.u64(applied_ ? 1 : 0);
  w.f64(applied_.value_or(0));
  w.u64(barrier_);
  w.u64(last_admitted_);
  w.time(last_pressure_);
  w.u64((pressured_ ? 1 : 0) | (cut_pending_ ? 2 : 0) | (learning_ ? 4 : 0));
  w.f64(cut_rate_);
  w.u64(remote_throttles_);
  w.u64(cuts_);
  return std::move(w).take();
}

caf::error adaptive_rate::load(std::string_view bytes) {
  detail::snapshot_reader r{bytes, tag};
  auto command = r.str();
  if (r.ok() && command != config_.command)
    r.fail("it is of command '" + command + "', not '" + config_.command + "'");
  auto rate = r.f64();
  auto ceiling = r.f64();
  auto has_applied = r.u64();
  auto applied = r.f64();
  auto barrier = r.u64();
  auto last_admitted = r.u64();
  auto last_pressure = r.time();
  auto flags = r.u64();
  auto cut_rate = r.f64();
  auto remote_throttles = r.u64();
  auto cuts = r.u64();
  auto rate_ok = [&](double x) {
    return std::isfinite(x) && x >= config_.min_rate && x <= config_.max_rate;
  };
  auto nonnegative = [](double x) { return std::isfinite(x) && x >= 0; };
  if (r.ok() && (has_applied > 1 || flags > 7 || !rate_ok(rate) ||
                 !nonnegative(ceiling) || !nonnegative(cut_rate) ||
                 (has_applied == 1 && !nonnegative(applied))))
    r.fail("a value is out of range");
  if (auto err = r.finish())
    return err;
  rate_ = rate;
  ceiling_ = ceiling;
  applied_ = has_applied ? std::optional<double>{applied} : std::nullopt;
  barrier_ = barrier;
  last_admitted_ = last_admitted;
  last_pressure_ = last_pressure;
  pressured_ = flags & 1;
  cut_pending_ = flags & 2;
  learning_ = flags & 4;
  cut_rate_ = cut_rate;
  remote_throttles_ = remote_throttles;
  cuts_ = cuts;
  return caf::none;
}

} // namespace tc
