#include "timecontrol/tools/timeline.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>

#include "timecontrol/policies/spec.hpp"
#include "timecontrol/text/format.hpp"
#include "timecontrol/tools/time_steps.hpp"

namespace tc::tool {

namespace {

using namespace std::chrono_literals;
using namespace steps;

// The widths the builder's buckets take while reading without --bucket. Each
// divides the next, so merging buckets into the next width is exact, and
// each divides every nice step at least as wide (below), so the buckets
// regroup exactly into the bucket shown.
constexpr int64_t read_widths[] = {us,      10 * us,     100 * us,  ms,
                                   10 * ms, 100 * ms,    sec,       10 * sec,
                                   minute,  10 * minute, hour,      6 * hour,
                                   day,     10 * day,    100 * day, 1000 * day};

// The next of 1, 2, 5, 10, 20, 50, ... after m (one of them); with `wide`,
// the next of 1, 2, 10, 20, 100, ... (each of which divides the next).
int64_t next_round(int64_t m, bool wide) {
  int64_t p = 1;
  while (m / p >= 10)
    p *= 10;
  auto lead = m / p;
  auto next = lead == 1 ? 2 * p : lead == 2 && !wide ? 5 * p : 10 * p;
  return next;
}

// The next width while reading: the next of read_widths, or with --bucket B
// the next of B, 2B, 10B, 20B, 100B, ...: each divides the next, and every
// B * (1, 2, 5) * 10^k at least as wide (which the bucket shown is).
int64_t next_read_width(int64_t w, std::optional<int64_t> fixed) {
  constexpr auto most = std::numeric_limits<int64_t>::max();
  if (fixed) {
    auto m = w / *fixed;
    auto next = next_round(m, true);
    return *fixed <= most / next ? *fixed * next : most;
  }
  for (auto x : read_widths)
    if (x > w)
      return x;
  return w <= most / 10 ? w * 10 : most;
}

int64_t width_of(duration bucket) {
  return std::max<int64_t>(bucket.count(), 1);
}

using detail::int128;

// a / b rounded towards negative infinity (b > 0), in 128 bits.
int128 floor_div_wide(int128 a, int128 b) {
  auto q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

// `x` clamped to the nanoseconds a time_point holds.
int64_t clamp_ns(int128 x) {
  return static_cast<int64_t>(
      std::clamp<int128>(x, std::numeric_limits<int64_t>::min(),
                         std::numeric_limits<int64_t>::max()));
}

// hi - lo for hi >= lo: up to 2^64 - 1, which int64_t does not hold.
uint64_t distance(int64_t lo, int64_t hi) {
  return static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
}

} // namespace

// -- timeline_bucket ----------------------------------------------------------

void timeline_bucket::merge(const timeline_bucket& other) {
  ok += other.ok;
  failed += other.failed;
  timed_out += other.timed_out;
  for (size_t i = 0; i < throttled.size(); ++i)
    throttled[i] += other.throttled[i];
  missed += other.missed;
  fired += other.fired;
  misfired += other.misfired;
  // Saturating: a lane's totals over a range longer than 292 years.
  for (size_t i = 0; i < status_ns.size(); ++i)
    if (__builtin_add_overflow(status_ns[i], other.status_ns[i], &status_ns[i]))
      status_ns[i] = std::numeric_limits<int64_t>::max();
}

// -- timeline_builder ---------------------------------------------------------

timeline_builder::timeline_builder(timeline_options options)
    : options_(std::move(options)),
      sources_(options_.sources.begin(), options_.sources.end()) {
  options_.max_buckets = std::max<size_t>(options_.max_buckets, 2);
  width_ = options_.bucket ? width_of(*options_.bucket) : read_widths[0];
}

timeline_builder::lane_state& timeline_builder::lane(lane_kind kind,
                                                     const std::string& name) {
  auto [i, added] = lanes_.try_emplace({kind, name});
  auto& st = i->second;
  if (added) {
    st.summary.kind = kind;
    st.summary.name = name;
    st.buckets.resize(count_);
  }
  return st;
}

bool timeline_builder::selected(const envelope& x) const {
  if (sources_.empty() || sources_.count(x.source) > 0)
    return true;
  if (auto* c = std::get_if<deadline_status_changed>(&x.body))
    return sources_.count(c->command) > 0;
  if (auto* m = std::get_if<deadline_missed>(&x.body))
    return sources_.count(m->command) > 0;
  return false;
}

void timeline_builder::coarsen(int64_t width) {
  auto ratio = width / width_;
  auto first = floor_div(first_index_, ratio);
  auto last = floor_div(first_index_ + static_cast<int64_t>(count_) - 1, ratio);
  auto count = static_cast<size_t>(last - first + 1);
  for (auto& [key, st] : lanes_) {
    std::deque<timeline_bucket> merged(count);
    for (size_t i = 0; i < st.buckets.size(); ++i)
      merged[static_cast<size_t>(
                 floor_div(first_index_ + static_cast<int64_t>(i), ratio) -
                 first)]
          .merge(st.buckets[i]);
    st.buckets.swap(merged);
  }
  width_ = width;
  first_index_ = first;
  count_ = count;
}

timeline_bucket* timeline_builder::slot(lane_state& st, int64_t ns) {
  for (;;) {
    auto index = floor_div(ns, width_);
    if (count_ == 0) {
      first_index_ = index;
      count_ = 1;
      for (auto& [key, other] : lanes_)
        other.buckets.resize(1);
      return &st.buckets[0];
    }
    auto last = first_index_ + static_cast<int64_t>(count_) - 1;
    auto lo = std::min(first_index_, index);
    auto hi = std::max(last, index);
    if (distance(lo, hi) < options_.max_buckets) {
      if (lo < first_index_) {
        auto more = static_cast<size_t>(first_index_ - lo);
        for (auto& [key, other] : lanes_)
          other.buckets.insert(other.buckets.begin(), more, timeline_bucket{});
        first_index_ = lo;
        count_ += more;
      } else if (hi > last) {
        count_ += static_cast<size_t>(hi - last);
        for (auto& [key, other] : lanes_)
          other.buckets.resize(count_);
      }
      return &st.buckets[static_cast<size_t>(index - first_index_)];
    }
    std::optional<int64_t> fixed;
    if (options_.bucket)
      fixed = width_of(*options_.bucket);
    coarsen(next_read_width(width_, fixed));
  }
}

// Adds the time from `from` to `to` in status `s` to the buckets it covers.
void timeline_builder::spread(lane_state& st, int64_t from, int64_t to,
                              deadline_status s) {
  auto k = static_cast<size_t>(s);
  if (to <= from || k >= timeline_bucket{}.status_ns.size())
    return;
  slot(st, from);
  slot(st, to - 1);
  for (auto i = floor_div(from, width_); i <= floor_div(to - 1, width_); ++i) {
    // The bucket's bounds can be past the ends of 64-bit time.
    auto start = clamp_ns(std::max<int128>(from, int128{i} * width_));
    auto end = clamp_ns(std::min<int128>(to, (int128{i} + 1) * width_));
    st.buckets[static_cast<size_t>(i - first_index_)].status_ns[k] +=
        end - start;
  }
}

void timeline_builder::add(const envelope& x) {
  if (!selected(x))
    return;
  if (options_.until && x.time > *options_.until)
    return;
  auto ns = to_nanos(x.time);
  if (auto at = requests_.request(x);
      at && (!options_.since || *at >= *options_.since)) {
    auto& st = lane(lane_kind::command, x.source);
    st.summary.has_calls = true;
    ++st.summary.requested;
  }
  if (options_.since && x.time < *options_.since) {
    // Only the status a watched command was in when the range begins
    // matters from before it.
    if (auto* c = std::get_if<deadline_status_changed>(&x.body)) {
      auto& st = lane(lane_kind::command, c->command);
      st.watched_by.insert(x.source);
      if (!st.before_range || ns >= st.before_range->ns)
        st.before_range = status_change{ns, c->to};
    }
    return;
  }
  if (events_ == 0 || ns < first_ns_)
    first_ns_ = ns;
  if (events_ == 0 || ns > last_ns_)
    last_ns_ = ns;
  ++events_;
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, call_requested>) {
          lane(lane_kind::command, x.source).summary.has_calls = true;
        } else if constexpr (std::is_same_v<T, call_admitted>) {
          auto& st = lane(lane_kind::command, x.source);
          st.summary.has_calls = true;
          ++st.summary.admitted;
        } else if constexpr (std::is_same_v<T, call_started>) {
          lane(lane_kind::command, x.source).summary.has_calls = true;
        } else if constexpr (std::is_same_v<T, call_throttled>) {
          auto& st = lane(lane_kind::command, x.source);
          st.summary.has_calls = true;
          auto action = static_cast<size_t>(e.action);
          if (action < slot(st, ns)->throttled.size())
            ++slot(st, ns)->throttled[action];
        } else if constexpr (std::is_same_v<T, call_finished>) {
          auto& st = lane(lane_kind::command, x.source);
          st.summary.has_calls = true;
          // A call that timed out was counted then; its end is not a
          // second call.
          if (st.timed_out_calls.erase(e.call_id) > 0)
            return;
          auto* b = slot(st, ns);
          ++(e.ok ? b->ok : b->failed);
        } else if constexpr (std::is_same_v<T, call_timed_out>) {
          auto& st = lane(lane_kind::command, x.source);
          st.summary.has_calls = true;
          st.timed_out_calls.insert(e.call_id);
          ++slot(st, ns)->timed_out;
        } else if constexpr (std::is_same_v<T, deadline_status_changed>) {
          auto& st = lane(lane_kind::command, e.command);
          st.watched_by.insert(x.source);
          slot(st, ns);
          if (!st.first_change || ns < st.first_change->ns)
            st.first_change = status_change{ns, e.from};
          if (!st.current || ns >= st.current->ns) {
            if (st.current)
              spread(st, st.current->ns, ns, st.current->status);
            st.current = status_change{ns, e.to};
          }
        } else if constexpr (std::is_same_v<T, deadline_missed>) {
          auto& st = lane(lane_kind::command, e.command);
          st.watched_by.insert(x.source);
          ++slot(st, ns)->missed;
        } else if constexpr (std::is_same_v<T, intent_fired>) {
          ++slot(lane(lane_kind::scheduler, x.source), ns)->fired;
        } else if constexpr (std::is_same_v<T, intent_misfired>) {
          ++slot(lane(lane_kind::scheduler, x.source), ns)->misfired;
        } else if constexpr (std::is_same_v<T, intent_scheduled>) {
          ++lane(lane_kind::scheduler, x.source).summary.scheduled;
        } else if constexpr (std::is_same_v<T, intent_cancelled>) {
          ++lane(lane_kind::scheduler, x.source).summary.cancelled;
        }
      },
      x.body);
}

timeline timeline_builder::finish() const {
  timeline t;
  t.events = events_;
  if (events_ == 0) {
    t.first = options_.since.value_or(time_point{});
    t.last = options_.until.value_or(t.first);
    return t;
  }
  auto lo = options_.since ? to_nanos(*options_.since) : first_ns_;
  auto hi = std::max(lo, options_.until ? to_nanos(*options_.until) : last_ns_);
  t.first = from_nanos(lo);
  t.last = from_nanos(hi);
  // A range of (almost) no time still gets an axis worth reading. Ranges
  // are unsigned: from 1677 to 2262 is more than 2^63 ns.
  if (distance(lo, hi) < ms)
    hi = lo <= std::numeric_limits<int64_t>::max() - ms ? lo + ms : hi;
  auto buckets_of = [&](int64_t d) {
    return distance(floor_div(lo, d), floor_div(hi, d)) + 1;
  };
  int64_t d = 0;
  if (!options_.bucket) {
    auto target = static_cast<int64_t>(distance(lo, hi) / 200);
    for (auto step : nice_steps)
      if (step >= target && step >= width_ && step % width_ == 0) {
        d = step;
        break;
      }
    if (d == 0)
      d = width_ * std::max<int64_t>(1, (target + width_ - 1) / width_);
  } else {
    // B, 2B, 5B, 10B, 20B, ...: the first that the buckets read divide and
    // that fits.
    auto asked = width_of(*options_.bucket);
    d = asked;
    for (int64_t m = 1;
         d % width_ != 0 || buckets_of(d) > options_.max_buckets;) {
      m = next_round(m, false);
      if (asked > std::numeric_limits<int64_t>::max() / m) {
        d = width_;
        break;
      }
      d = asked * m;
    }
    if (d != asked)
      t.asked_bucket = *options_.bucket;
  }
  auto first = floor_div(lo, d);
  t.first_bucket = first;
  t.bucket = duration{d};
  t.buckets = static_cast<size_t>(buckets_of(d));
  t.begin = from_nanos(clamp_ns(t.bucket_start(0)));
  for (auto& [key, st] : lanes_) {
    auto& out = t.lanes.emplace_back(st.summary);
    out.watched_by.assign(st.watched_by.begin(), st.watched_by.end());
    out.buckets.resize(t.buckets);
    for (size_t i = 0; i < st.buckets.size(); ++i) {
      auto start = (int128{first_index_} + static_cast<int128>(i)) * width_;
      auto j = floor_div_wide(start, d) - first;
      if (j >= 0 && static_cast<size_t>(j) < t.buckets)
        out.buckets[static_cast<size_t>(j)].merge(st.buckets[i]);
    }
    // The time before the first change in range and after the last, which
    // no pair of changes covered.
    auto spread_shown = [&](int64_t from, int64_t to, deadline_status s) {
      auto k = static_cast<size_t>(s);
      if (to <= from || k >= timeline_bucket{}.status_ns.size())
        return;
      for (auto i = floor_div(from, d); i <= floor_div(to - 1, d); ++i) {
        auto j = i - first;
        if (j < 0 || static_cast<size_t>(j) >= t.buckets)
          continue;
        auto start = clamp_ns(std::max<int128>(from, int128{i} * d));
        auto end = clamp_ns(std::min<int128>(to, (int128{i} + 1) * d));
        out.buckets[static_cast<size_t>(j)].status_ns[k] += end - start;
      }
    };
    auto end = to_nanos(t.last);
    if (out.watched_by.empty()) {
      // Not watched: no band.
    } else if (st.first_change) {
      spread_shown(lo, st.first_change->ns,
                   st.before_range ? st.before_range->status
                                   : st.first_change->status);
      spread_shown(st.current->ns, end, st.current->status);
    } else if (st.before_range) {
      spread_shown(lo, end, st.before_range->status);
    }
    for (auto& b : out.buckets)
      out.totals.merge(b);
  }
  return t;
}

} // namespace tc::tool
