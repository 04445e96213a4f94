#include "timecontrol/plugins/schedule_view.hpp"

#include <algorithm>
#include <variant>

#include "timecontrol/plugins/detail/bytes.hpp"
#include "timecontrol/policies/trigger_spec.hpp"

namespace tc {

namespace {

// snapshot := tag scheduler:str until:time last_id:varint count:varint
//             intent{count} count:varint unreadable{count}
// intent   := id:varint target:str trigger:str misfire:str priority:zigzag
//             args:str key:str scheduled:time fired:varint
//             has_last:varint [last_fired:time] has_handled:varint
//             [handled:time]
// unreadable := id:varint reason:str
// then count:varint key_history{count}
// key_history := key:str last_id:varint has_handled:varint [handled:time]
// (time: zigzag varint of nanoseconds since the epoch.) The trigger is
// parsed again on load, and the next due time computed again.
constexpr std::string_view tag = "tc.schedule_view/3";

// "a comes before b" in the Scheduler's order: earlier, then higher
// priority, then lower id.
bool before(const scheduled_run& a, const scheduled_run& b) noexcept {
  if (a.due != b.due)
    return a.due < b.due;
  if (a.priority != b.priority)
    return a.priority > b.priority;
  return a.id < b.id;
}

// Parses an intent's specs as the Scheduler does when it rebuilds its
// schedule; the reason if they do not parse.
std::optional<std::string> parse(pending_intent& p) {
  auto trig = parse_trigger_spec(p.trigger_spec, p.progress.scheduled(), p.id);
  if (!trig)
    return "trigger '" + p.trigger_spec + "': " + trig.error().message;
  auto policy = parse_misfire_spec(p.misfire_spec);
  if (!policy)
    return "misfire '" + p.misfire_spec + "': " + policy.error().message;
  if (!decode_intent_args(p.args))
    return "arguments '" + p.args + "': a bad seed after 'fuzzy '";
  p.trig = std::move(*trig);
  return std::nullopt;
}

} // namespace

schedule_view::schedule_view(std::string scheduler)
    : scheduler_(std::move(scheduler)) {
  // nop
}

std::string schedule_view::name() const {
  if (scheduler_ == default_scheduler_name)
    return "schedule_view";
  return "schedule_view/" + scheduler_;
}

replay_query schedule_view::filter() const {
  return {.source = scheduler_};
}

const pending_intent* schedule_view::find(uint64_t id) const {
  auto i = pending_.find(id);
  return i == pending_.end() ? nullptr : &i->second;
}

const pending_intent* schedule_view::keyed(std::string_view key) const {
  auto i = keys_.find(key);
  return i == keys_.end() ? nullptr : find(i->second);
}

void schedule_view::forget(uint64_t id) {
  auto i = pending_.find(id);
  if (i == pending_.end())
    return;
  if (!i->second.key.empty())
    if (auto k = keys_.find(i->second.key); k != keys_.end() && k->second == id)
      keys_.erase(k);
  pending_.erase(i);
}

void schedule_view::advance(std::map<uint64_t, pending_intent>::iterator i) {
  if (auto next = i->second.progress.next(i->second.trig))
    i->second.next = *next;
  else
    forget(i->first);
}

void schedule_view::note_handled(const pending_intent& p) {
  if (p.key.empty())
    return;
  auto& h = key_histories_[p.key];
  auto t = p.progress.handled();
  if (t && (!h.handled || *h.handled < *t))
    h.handled = t;
}

void schedule_view::apply(const envelope& x) {
  if (x.source != scheduler_)
    return;
  until_ = std::max(until_, x.time);
  if (auto s = std::get_if<intent_scheduled>(&x.body)) {
    pending_intent p;
    p.id = s->intent_id;
    p.target = s->target;
    p.trigger_spec = s->trigger;
    p.misfire_spec = s->misfire;
    p.priority = s->priority;
    p.args = s->args;
    p.key = s->key;
    p.progress = intent_progress{x.time};
    last_id_ = std::max(last_id_, p.id);
    forget(p.id);
    if (auto reason = parse(p)) {
      unreadable_[p.id] = std::move(*reason);
      return;
    }
    unreadable_.erase(p.id);
    auto id = p.id;
    if (!p.key.empty()) {
      keys_[p.key] = id;
      auto& h = key_histories_[p.key];
      p.progress = keyed_progress(p.trig, x.time, h.handled);
      h.last_id = id;
    }
    advance(pending_.insert_or_assign(id, std::move(p)).first);
  } else if (auto f = std::get_if<intent_fired>(&x.body)) {
    auto i = pending_.find(f->intent_id);
    if (i == pending_.end())
      return;
    auto& p = i->second;
    ++p.fired;
    if (!p.last_fired || *p.last_fired < f->due)
      p.last_fired = f->due;
    p.progress.fired(f->due);
    note_handled(p);
    advance(i);
  } else if (auto m = std::get_if<intent_misfired>(&x.body)) {
    auto i = pending_.find(m->intent_id);
    if (i == pending_.end())
      return;
    i->second.progress.misfired(i->second.trig, m->due, m->missed);
    note_handled(i->second);
    advance(i);
  } else if (auto c = std::get_if<intent_cancelled>(&x.body)) {
    forget(c->intent_id);
    unreadable_.erase(c->intent_id);
  }
}

std::vector<scheduled_run>
schedule_view::upcoming(time_point from, time_point until, size_t limit,
                        std::string_view target) const {
  std::vector<scheduled_run> result;
  if (limit == 0 || from > until)
    return result;
  // A merge of each intent's fire times: a heap of the next one of each.
  struct cursor {
    scheduled_run run;
    const trigger* trig;
  };
  auto later = [](const cursor& a, const cursor& b) {
    return before(b.run, a.run);
  };
  std::vector<cursor> heap;
  for (auto& [id, p] : pending_) {
    if (!target.empty() && p.target != target)
      continue;
    std::optional<time_point> due = p.next;
    if (*due < from)
      due = next_fire_after(p.trig, from - duration{1});
    if (due && *due <= until)
      heap.push_back(cursor{{*due, id, p.priority}, &p.trig});
  }
  std::make_heap(heap.begin(), heap.end(), later);
  while (!heap.empty() && result.size() < limit) {
    std::pop_heap(heap.begin(), heap.end(), later);
    auto& c = heap.back();
    result.push_back(c.run);
    auto due = next_fire_after(*c.trig, c.run.due);
    if (due && *due <= until) {
      c.run.due = *due;
      std::push_heap(heap.begin(), heap.end(), later);
    } else {
      heap.pop_back();
    }
  }
  return result;
}

std::optional<scheduled_run>
schedule_view::next(std::string_view target) const {
  std::optional<scheduled_run> best;
  for (auto& [id, p] : pending_) {
    if (p.target != target)
      continue;
    scheduled_run run{p.next, id, p.priority};
    if (!best || before(run, *best))
      best = run;
  }
  return best;
}

std::string schedule_view::save() const {
  detail::snapshot_writer w{tag};
  w.str(scheduler_);
  w.time(until_);
  w.u64(last_id_);
  w.u64(pending_.size());
  for (auto& [id, p] : pending_) {
    w.u64(id);
    w.str(p.target);
    w.str(p.trigger_spec);
    w.str(p.misfire_spec);
    w.i64(p.priority);
    w.str(p.args);
    w.str(p.key);
    w.time(p.progress.scheduled());
    w.u64(p.fired);
    w.u64(p.last_fired ? 1 : 0);
    if (p.last_fired)
      w.time(*p.last_fired);
    auto handled = p.progress.handled();
    w.u64(handled ? 1 : 0);
    if (handled)
      w.time(*handled);
  }
  w.u64(unreadable_.size());
  for (auto& [id, reason] : unreadable_) {
    w.u64(id);
    w.str(reason);
  }
  w.u64(key_histories_.size());
  for (auto& [key, h] : key_histories_) {
    w.str(key);
    w.u64(h.last_id);
    w.u64(h.handled ? 1 : 0);
    if (h.handled)
      w.time(*h.handled);
  }
  return std::move(w).take();
}

caf::error schedule_view::load(std::string_view bytes) {
  detail::snapshot_reader r{bytes, tag};
  auto scheduler = r.str();
  auto until = r.time();
  auto last_id = r.u64();
  auto optional_time = [&r]() -> std::optional<time_point> {
    auto has = r.u64();
    if (has > 1)
      r.fail("a flag is neither 0 nor 1");
    if (has == 1)
      return r.time();
    return std::nullopt;
  };
  std::map<uint64_t, pending_intent> pending;
  std::map<std::string, uint64_t, std::less<>> keys;
  for (auto n = r.count(); r.ok() && n > 0; --n) {
    pending_intent p;
    p.id = r.u64();
    p.target = r.str();
    p.trigger_spec = r.str();
    p.misfire_spec = r.str();
    auto priority = r.i64();
    if (priority < INT32_MIN || priority > INT32_MAX)
      r.fail("a priority is out of range");
    p.priority = static_cast<int32_t>(priority);
    p.args = r.str();
    p.key = r.str();
    auto scheduled = r.time();
    p.fired = r.u64();
    p.last_fired = optional_time();
    auto handled = optional_time();
    if (!r.ok())
      break;
    p.progress = intent_progress{scheduled, handled};
    if (parse(p)) {
      r.fail("a pending intent's trigger or misfire does not parse");
      break;
    }
    auto next = p.progress.next(p.trig);
    if (!next) {
      r.fail("a pending intent has no next fire time");
      break;
    }
    p.next = *next;
    auto id = p.id;
    if (id > last_id)
      r.fail("a pending intent's id is above the last one scheduled");
    if (!p.key.empty() && !keys.emplace(p.key, id).second)
      r.fail("a key names two pending intents");
    if (!pending.emplace(id, std::move(p)).second)
      r.fail("an intent id repeats");
  }
  std::map<uint64_t, std::string> unreadable;
  for (auto n = r.count(); r.ok() && n > 0; --n) {
    auto id = r.u64();
    auto reason = r.str();
    if (r.ok() && !unreadable.emplace(id, std::move(reason)).second)
      r.fail("an intent id repeats");
  }
  std::map<std::string, key_history, std::less<>> histories;
  for (auto n = r.count(); r.ok() && n > 0; --n) {
    auto key = r.str();
    key_history h;
    h.last_id = r.u64();
    h.handled = optional_time();
    if (r.ok() && !histories.emplace(std::move(key), h).second)
      r.fail("a key repeats");
  }
  for (auto& [key, id] : keys)
    if (auto h = histories.find(key);
        r.ok() && (h == histories.end() || h->second.last_id != id))
      r.fail("a pending key has no history");
  if (auto err = r.finish())
    return err;
  scheduler_ = std::move(scheduler);
  until_ = until;
  last_id_ = last_id;
  keys_ = std::move(keys);
  key_histories_ = std::move(histories);
  pending_ = std::move(pending);
  unreadable_ = std::move(unreadable);
  return caf::none;
}

} // namespace tc
