#include "timecontrol/plugins/lead_time.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <variant>

#include "timecontrol/core/duration_sum.hpp"
#include "timecontrol/plugins/detail/bytes.hpp"

namespace tc {

namespace {

constexpr std::string_view tag = "tc.lead_time/2";

// The value of rank ceil(q * n) (at least 1) of `values`; 0 when empty.
int64_t quantile_of(const std::deque<int64_t>& values, double q) {
  if (values.empty())
    return 0;
  std::vector<int64_t> sorted(values.begin(), values.end());
  auto n = sorted.size();
  auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(n)));
  rank = std::clamp<size_t>(rank, 1, n);
  std::nth_element(sorted.begin(), sorted.begin() + (rank - 1), sorted.end());
  return sorted[rank - 1];
}

// x rounded up to a multiple of step; the largest multiple when that does
// not fit (a lead so long is never applied: it is not shorter than any
// period).
int64_t round_up(int64_t x, int64_t step) {
  if (x <= 0)
    return 0;
  auto most = std::numeric_limits<int64_t>::max() / step * step;
  if (x >= most)
    return most;
  return (x + step - 1) / step * step;
}

lead_time_config clamped(lead_time_config c) {
  c.window = std::max<size_t>(c.window, 1);
  c.min_samples = std::max<size_t>(c.min_samples, 1);
  if (!(c.quantile > 0.0)) // also NaN
    c.quantile = 0.99;
  c.quantile = std::min(c.quantile, 1.0);
  c.resolution = std::max(c.resolution, duration{1});
  c.margin = std::max(c.margin, duration{0});
  c.hysteresis = std::max(c.hysteresis, duration{0});
  return c;
}

} // namespace

lead_time::lead_time(lead_time_config config)
    : config_(clamped(std::move(config))) {
  // nop
}

std::string lead_time::name() const {
  return "lead_time/" + config_.controller;
}

bool lead_time::in_scope(const std::string& command) const {
  if (!watches_.contains(command))
    return false;
  return config_.commands.empty() ||
         std::find(config_.commands.begin(), config_.commands.end(), command) !=
             config_.commands.end();
}

void lead_time::push(std::deque<int64_t>& window, int64_t value) const {
  window.push_back(value);
  while (window.size() > config_.window)
    window.pop_front();
}

void lead_time::apply(const envelope& x) {
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, policy_changed>) {
          if (x.source != config_.controller)
            return;
          watch w;
          if (parse_watch_spec(e.policy, w)) {
            auto command = w.command;
            // A cron watch takes no lead (actors/controller.hpp): not
            // learned for.
            if (!w.cron.empty())
              watches_.erase(command);
            else
              watches_[command] = std::move(w);
          } else if (auto name = parse_unwatch_spec(e.policy); !name.empty()) {
            watches_.erase(std::string{name});
          }
        } else if constexpr (std::is_same_v<T, intent_scheduled>) {
          if (x.source == config_.scheduler && in_scope(e.target))
            intents_[e.intent_id] = {e.target, e.trigger.starts_with("once") ||
                                                   e.trigger == "now"};
        } else if constexpr (std::is_same_v<T, intent_cancelled>) {
          if (x.source == config_.scheduler)
            intents_.erase(e.intent_id);
        } else if constexpr (std::is_same_v<T, intent_misfired>) {
          // A one-shot intent whose time was skipped never fires (e.g. a
          // "now" for a command that stayed unknown): forget it.
          if (x.source != config_.scheduler ||
              e.action != misfire_action::skipped)
            return;
          if (auto i = intents_.find(e.intent_id);
              i != intents_.end() && i->second.once)
            intents_.erase(i);
        } else if constexpr (std::is_same_v<T, intent_fired>) {
          if (x.source != config_.scheduler)
            return;
          auto i = intents_.find(e.intent_id);
          if (i == intents_.end())
            return;
          auto& s = samples_[i->second.target];
          if (!s.fired)
            s.fired = x.time;
          if (i->second.once)
            intents_.erase(i);
        } else if constexpr (std::is_same_v<T, call_admitted> ||
                             std::is_same_v<T, call_started>) {
          // The call the intent fired: its admission (and, in logs of
          // earlier builds, its call_started right after, which then finds
          // the wait taken).
          if (!in_scope(x.source))
            return;
          auto& s = samples_[x.source];
          if (s.fired) {
            push(s.waits,
                 std::max(saturating_between(*s.fired, x.time), duration{0})
                     .count());
            s.fired.reset();
          }
        } else if constexpr (std::is_same_v<T, call_finished>) {
          if (in_scope(x.source))
            push(samples_[x.source].took, e.took.count());
        }
      },
      x.body);
}

// -- results ------------------------------------------------------------------

const watch* lead_time::applied(const std::string& command) const {
  if (!in_scope(command))
    return nullptr;
  return &watches_.at(command);
}

const lead_samples* lead_time::samples(const std::string& command) const {
  auto i = samples_.find(command);
  return i == samples_.end() ? nullptr : &i->second;
}

std::optional<duration>
lead_time::recommended(const std::string& command) const {
  if (!in_scope(command))
    return std::nullopt;
  auto* s = samples(command);
  if (!s || s->took.size() < config_.min_samples)
    return std::nullopt;
  // Saturating: a lead that does not fit a duration is longer than any
  // period, and so not applied, as the exact one would not be.
  auto lead = duration{quantile_of(s->took, config_.quantile)};
  if (config_.count_waits)
    lead =
        saturating_add(lead, duration{quantile_of(s->waits, config_.quantile)});
  lead = saturating_add(lead, config_.margin);
  return duration{round_up(lead.count(), config_.resolution.count())};
}

std::optional<watch>
lead_time::pending_change(const std::string& command) const {
  auto* w = applied(command);
  auto lead = recommended(command);
  if (!w || !lead || *lead >= w->period)
    return std::nullopt;
  auto diff = *lead > w->lead ? *lead - w->lead : w->lead - *lead;
  if (diff <= config_.hysteresis)
    return std::nullopt;
  auto result = *w;
  result.lead = *lead;
  return result;
}

std::vector<watch> lead_time::pending_changes() const {
  std::vector<watch> result;
  for (auto& [command, w] : watches_)
    if (auto change = pending_change(command))
      result.push_back(std::move(*change));
  return result;
}

// -- snapshots ----------------------------------------------------------------

std::string lead_time::save() const {
  detail::snapshot_writer w{tag};
  w.u64(watches_.size());
  for (auto& [command, x] : watches_) {
    w.str(command);
    w.span(x.period);
    w.span(x.grace);
    w.span(x.lead);
    w.u64(x.count_failures ? 1 : 0);
  }
  auto values = [&](const std::deque<int64_t>& xs) {
    w.u64(xs.size());
    for (auto x : xs)
      w.i64(x);
  };
  w.u64(samples_.size());
  for (auto& [command, s] : samples_) {
    w.str(command);
    values(s.took);
    values(s.waits);
    w.u64(s.fired ? 1 : 0);
    if (s.fired)
      w.time(*s.fired);
  }
  w.u64(intents_.size());
  for (auto& [id, x] : intents_) {
    w.u64(id);
    w.str(x.target);
    w.u64(x.once ? 1 : 0);
  }
  return std::move(w).take();
}

caf::error lead_time::load(std::string_view bytes) {
  detail::snapshot_reader r{bytes, tag};
  auto flag = [&] {
    auto x = r.u64();
    if (r.ok() && x > 1)
      r.fail("a flag is neither 0 nor 1");
    return x == 1;
  };
  std::map<std::string, watch> watches;
  for (auto n = r.count(); r.ok() && n > 0; --n) {
    watch w;
    w.command = r.str();
    w.period = r.span();
    w.grace = r.span();
    w.lead = r.span();
    w.count_failures = flag();
    if (r.ok() && w.period <= duration{0})
      r.fail("a watch's period is not positive");
    auto command = w.command;
    watches[command] = std::move(w);
  }
  auto values = [&](std::deque<int64_t>& xs) {
    for (auto n = r.count(); r.ok() && n > 0; --n)
      push(xs, r.i64());
  };
  std::map<std::string, lead_samples> samples;
  for (auto n = r.count(); r.ok() && n > 0; --n) {
    auto& s = samples[r.str()];
    values(s.took);
    values(s.waits);
    if (flag())
      s.fired = r.time();
  }
  std::map<uint64_t, pending_intent> intents;
  for (auto n = r.count(); r.ok() && n > 0; --n) {
    auto id = r.u64();
    auto& x = intents[id];
    x.target = r.str();
    x.once = flag();
  }
  if (auto err = r.finish())
    return err;
  watches_ = std::move(watches);
  samples_ = std::move(samples);
  intents_ = std::move(intents);
  return caf::none;
}

} // namespace tc
