#include "timecontrol/plugins/stats.hpp"

#include <algorithm>
#include <set>
#include <variant>

#include "timecontrol/core/duration_sum.hpp"
#include "timecontrol/plugins/detail/bytes.hpp"
#include "timecontrol/policies/spec.hpp"

namespace tc {

namespace {

// Version 4: one outcome per call (a timed-out call's late end is not a
// second one) and the expired calls. A snapshot of an earlier version is
// passed over and the events rebuild the state.
constexpr std::string_view tag = "tc.stats/4";

// Time spent in `status` by `d`: closed stretches plus the open one. Sums
// saturate at duration::max() (about 292 years), which only a log whose
// times span more than that, or go back and forth, can reach.
duration spent(const deadline_stats& d, deadline_status status, duration closed,
               time_point until) noexcept {
  if (d.status == status && until > d.since)
    return saturating_add(closed, saturating_between(d.since, until));
  return closed;
}

} // namespace

stats::stats(duration bucket) : bucket_(bucket) {
  if (bucket_ <= duration{0})
    bucket_ = std::chrono::minutes{1};
}

std::string stats::name() const {
  if (bucket_ == std::chrono::minutes{1})
    return "stats";
  return "stats/" + duration_to_string(bucket_);
}

const command_stats* stats::command(const std::string& name) const {
  auto i = commands_.find(name);
  return i == commands_.end() ? nullptr : &i->second;
}

duration stats::late_time(const deadline_stats& d) const noexcept {
  return spent(d, deadline_status::late, d.late_time, until_);
}

duration stats::down_time(const deadline_stats& d) const noexcept {
  return spent(d, deadline_status::down, d.down_time, until_);
}

void stats::apply(const envelope& x) {
  ++events_;
  until_ = std::max(until_, x.time);
  auto cmd = [&]() -> command_stats& { return commands_[x.source]; };
  if (auto at = requests_.request(x)) {
    auto& c = cmd();
    c.first = c.requested == 0 ? *at : std::min(c.first, *at);
    c.last = std::max(c.last, *at);
    ++c.requested;
    ++c.rate[floor_div(to_nanos(*at), bucket_.count()) * bucket_.count()];
  }
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, call_admitted>) {
          auto& c = cmd();
          ++c.admitted;
          c.waits.record(e.waited);
          if (c.last_admitted != time_point{})
            c.intervals.record(saturating_between(c.last_admitted, x.time));
          c.last_admitted = x.time;
        } else if constexpr (std::is_same_v<T, call_throttled>) {
          auto i = static_cast<size_t>(e.action);
          if (e.action == throttle_action::expired)
            ++cmd().expired;
          else if (i < 3)
            ++cmd().throttled[i];
        } else if constexpr (std::is_same_v<T, call_finished>) {
          auto& c = cmd();
          if (c.timed_out_running.erase(e.call_id) == 0)
            ++(e.ok ? c.finished_ok : c.failed);
          c.durations.record(e.took);
        } else if constexpr (std::is_same_v<T, call_timed_out>) {
          auto& c = cmd();
          ++c.timed_out;
          c.timed_out_running.insert(e.call_id);
        } else if constexpr (std::is_same_v<T, deadline_status_changed>) {
          auto& d = deadlines_[{x.source, e.command}];
          if (d.changes > 0 && x.time > d.since) {
            auto stretch = saturating_between(d.since, x.time);
            if (d.status == deadline_status::late)
              d.late_time = saturating_add(d.late_time, stretch);
            else if (d.status == deadline_status::down)
              d.down_time = saturating_add(d.down_time, stretch);
          }
          ++d.changes;
          d.status = e.to;
          d.since = x.time;
        } else if constexpr (std::is_same_v<T, deadline_missed>) {
          auto& d = deadlines_[{x.source, e.command}];
          ++d.misses;
          d.late_by.record(e.late_by);
        }
      },
      x.body);
}

std::string stats::save() const {
  detail::snapshot_writer w{tag};
  w.span(bucket_);
  w.time(until_);
  w.u64(events_);
  w.u64(commands_.size());
  for (auto& [name, c] : commands_) {
    w.str(name);
    w.u64(c.requested);
    w.u64(c.admitted);
    for (auto n : c.throttled)
      w.u64(n);
    w.u64(c.expired);
    w.u64(c.finished_ok);
    w.u64(c.failed);
    w.u64(c.timed_out);
    w.u64(c.timed_out_running.size());
    for (auto id : c.timed_out_running)
      w.u64(id);
    w.hist(c.durations);
    w.hist(c.waits);
    w.hist(c.intervals);
    w.u64(c.rate.size());
    int64_t prev = 0;
    for (auto [start, n] : c.rate) {
      w.i64(start - prev);
      w.u64(n);
      prev = start;
    }
    w.time(c.first);
    w.time(c.last);
    w.time(c.last_admitted);
  }
  w.u64(deadlines_.size());
  for (auto& [key, d] : deadlines_) {
    w.str(key.first);
    w.str(key.second);
    w.u64(d.misses);
    w.hist(d.late_by);
    w.u64(d.changes);
    w.u64(static_cast<uint64_t>(d.status));
    w.time(d.since);
    w.span(d.late_time);
    w.span(d.down_time);
  }
  w.u64(requests_.open().size());
  for (auto& [source, ids] : requests_.open()) {
    w.str(source);
    w.u64(ids.size());
    for (auto id : ids)
      w.u64(id);
  }
  return std::move(w).take();
}

caf::error stats::load(std::string_view bytes) {
  detail::snapshot_reader r{bytes, tag};
  auto bucket = r.span();
  if (r.ok() && bucket != bucket_)
    r.fail("its buckets are " + duration_to_string(bucket) + " wide, not " +
           duration_to_string(bucket_));
  auto until = r.time();
  auto events = r.u64();
  std::map<std::string, command_stats> commands;
  for (auto n = r.count(); r.ok() && n > 0; --n) {
    auto name = r.str();
    if (r.ok() && commands.count(name) != 0)
      r.fail("a command appears twice");
    auto& c = commands[name];
    c.requested = r.u64();
    c.admitted = r.u64();
    for (auto& k : c.throttled)
      k = r.u64();
    c.expired = r.u64();
    c.finished_ok = r.u64();
    c.failed = r.u64();
    c.timed_out = r.u64();
    for (auto m = r.count(); r.ok() && m > 0; --m)
      c.timed_out_running.insert(r.u64());
    c.durations = r.hist();
    c.waits = r.hist();
    c.intervals = r.hist();
    int64_t prev = 0;
    for (auto m = r.count(), i = decltype(m){0}; r.ok() && i < m; ++i) {
      auto delta = r.i64();
      // Bucket starts are strictly increasing: a later delta is positive.
      if (r.ok() &&
          ((i > 0 && delta <= 0) || __builtin_add_overflow(prev, delta, &prev)))
        r.fail("the call-rate buckets are out of order");
      c.rate[prev] = r.u64();
    }
    c.first = r.time();
    c.last = r.time();
    c.last_admitted = r.time();
  }
  std::map<std::pair<std::string, std::string>, deadline_stats> deadlines;
  for (auto n = r.count(); r.ok() && n > 0; --n) {
    auto controller = r.str();
    auto command = r.str();
    std::pair key{std::move(controller), std::move(command)};
    if (r.ok() && deadlines.count(key) != 0)
      r.fail("a watched command appears twice");
    auto& d = deadlines[std::move(key)];
    d.misses = r.u64();
    d.late_by = r.hist();
    d.changes = r.u64();
    auto status = r.u64();
    if (r.ok() && status > static_cast<uint64_t>(deadline_status::paused))
      r.fail("a deadline status is out of range");
    d.status = static_cast<deadline_status>(status);
    d.since = r.time();
    d.late_time = r.span();
    d.down_time = r.span();
  }
  std::map<std::string, std::set<uint64_t>, std::less<>> open;
  for (auto n = r.count(); r.ok() && n > 0; --n) {
    auto source = r.str();
    auto& ids = open[source];
    for (auto m = r.count(); r.ok() && m > 0; --m)
      if (!ids.insert(r.u64()).second && r.ok())
        r.fail("a call id appears twice");
  }
  if (auto err = r.finish())
    return err;
  requests_.restore(std::move(open));
  until_ = until;
  events_ = events;
  commands_ = std::move(commands);
  deadlines_ = std::move(deadlines);
  return caf::none;
}

} // namespace tc
