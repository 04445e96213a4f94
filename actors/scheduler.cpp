#include "timecontrol/actors/scheduler.hpp"

#include <algorithm>
#include <limits>
#include <unordered_map>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "timecontrol/actors/detail/atoms.hpp"
#include "timecontrol/actors/detail/recorder.hpp"
#include "timecontrol/actors/runtime.hpp"
#include "timecontrol/core/error.hpp"
#include "timecontrol/plugins/schedule_view.hpp"
#include "timecontrol/policies/fuzzy_args.hpp"
#include "timecontrol/policies/intent_progress.hpp"
#include "timecontrol/policies/misfire.hpp"
#include "timecontrol/policies/trigger_spec.hpp"
#include "timecontrol/storage/event_store.hpp"

namespace tc {

namespace {

// -- schedule state -----------------------------------------------------------

// A place in the schedule: earliest time first, then highest priority, then
// oldest id.
struct key {
  int64_t at;
  int32_t priority;
  // The entry's count of pushes when this key was pushed: an entry moved
  // (pushed again) leaves its older keys stale.
  uint32_t gen;
  uint64_t id;
};

// For std heap functions (a max-heap): "a comes after b".
struct later {
  bool operator()(const key& a, const key& b) const noexcept {
    if (a.at != b.at)
      return a.at > b.at;
    if (a.priority != b.priority)
      return a.priority < b.priority;
    return a.id > b.id;
  }
};

class key_heap {
public:
  void push(key k) {
    xs_.push_back(k);
    std::push_heap(xs_.begin(), xs_.end(), later{});
  }

  const key& top() const { return xs_.front(); }

  void pop() {
    std::pop_heap(xs_.begin(), xs_.end(), later{});
    xs_.pop_back();
  }

  bool empty() const noexcept { return xs_.empty(); }

  size_t size() const noexcept { return xs_.size(); }

  std::vector<key>& data() { return xs_; }

  void make() { std::make_heap(xs_.begin(), xs_.end(), later{}); }

  size_t bytes() const noexcept { return xs_.capacity() * sizeof(key); }

private:
  std::vector<key> xs_;
};

// Flags of an entry.
constexpr uint8_t blocked_flag = 1;  // in its target's queue, not the heap
constexpr uint8_t checking_flag = 2; // between check and answer (or call)
constexpr uint8_t backlog_flag = 4;  // run-all: walking missed fires

struct entry {
  trigger trig;
  // Fixed arguments, or the generator spec when args_seed != 0.
  std::string args;
  uint64_t args_seed = 0;
  // Firings so far (the k of drawn arguments).
  uint64_t fired = 0;
  // The fire time to run next, as recorded in intent_fired. Its place in
  // the heap (its one key there, while it is neither blocked nor checking)
  // is this time, or later while it waits for its command.
  time_point due;
  duration grace{0};
  uint32_t target = 0;
  int32_t priority = 0;
  misfire_rule rule = misfire_rule::run_once;
  uint8_t flags = 0;
  // Pushes so far; the heap key with this gen is its current one.
  uint32_t gen = 0;
};

struct target_state {
  std::string name;
  // The intent between its check and its call (or waiting for the time the
  // check answered, or for its intent_fired to be written); 0 if none.
  uint64_t holder = 0;
  // The holder fired and waits for its intent_fired to be written.
  bool calling = false;
  // Intents that found no command of this name, to try again when one
  // registers.
  std::vector<uint64_t> unknown;
  // Due intents waiting for the holder.
  key_heap blocked;
};

// What waits for the Log: a call to make once its intent_fired is written,
// or an answer to give once the event it reports is written.
struct deferred {
  // A fire: the intent, its command, the arguments and the target.
  uint64_t id = 0;
  caf::actor command;
  std::string args;
  uint32_t target = 0;
  bool fire = false;
  // An answer.
  caf::response_promise promise;
  caf::message answer;
};

// An intent as the log describes it, before start() places it.
struct recovered {
  uint64_t id;
  entry e;
  std::optional<time_point> next;
};

struct scheduler_state {
  static inline const char* name = "tc.scheduler";

  scheduler_config config;
  detail::recorder<deferred> out;
  std::shared_ptr<clock> time;
  std::shared_ptr<command_registry> commands;

  std::unordered_map<uint64_t, entry> entries;
  // The pending keyed intents: key -> id, and id -> key.
  std::unordered_map<std::string, uint64_t> keys;
  std::unordered_map<uint64_t, std::string> key_of;
  // Every key ever used: its latest intent and the latest due time handled.
  std::unordered_map<std::string, schedule_view::key_history> key_histories;
  key_heap heap;
  std::vector<target_state> targets;
  std::unordered_map<std::string, uint32_t> target_ids;
  uint64_t next_id = 1;
  size_t in_flight = 0;
  uint64_t timer_id = 0;
  std::optional<time_point> timer_at;
  std::vector<recovered> recovering;
  /// For snapshots: the log, and the events recorded since the last one.
  std::shared_ptr<event_store> store;
  uint64_t unsnapshotted = 0;
};

// The Scheduler's whole interface: the public one and its own messages.
using registered_atom = caf::atom_constant<caf::atom("sch_reg")>;

using scheduler_full =
    scheduler_actor::extend<caf::reacts_to<detail::out_atom>,
                            caf::reacts_to<detail::timer_atom, uint64_t>,
                            caf::reacts_to<registered_atom, std::string>>;

using scheduler_pointer = scheduler_full::stateful_pointer<scheduler_state>;

// -- helpers ------------------------------------------------------------------

// Notes in the key's history the due times intent `id` handled up to `t`.
void note_handled(scheduler_state& st, uint64_t id, time_point t) {
  auto k = st.key_of.find(id);
  if (k == st.key_of.end())
    return;
  auto& h = st.key_histories[k->second];
  if (!h.handled || *h.handled < t)
    h.handled = t;
}

void record(scheduler_pointer self, event body, time_point at) {
  auto& st = self->state;
  if (auto f = std::get_if<intent_fired>(&body)) {
    note_handled(st, f->intent_id, f->due);
  } else if (auto m = std::get_if<intent_misfired>(&body)) {
    if (auto e = st.entries.find(m->intent_id); e != st.entries.end())
      note_handled(st, m->intent_id,
                   last_missed(e->second.trig, m->due, m->missed));
  }
  st.out.record(self, at, std::move(body));
  ++st.unsnapshotted;
}

void record(scheduler_pointer self, event body) {
  record(self, std::move(body), self->state.time->now());
}

uint32_t target_of(scheduler_state& st, const std::string& name) {
  auto [i, added] = st.target_ids.emplace(name, st.targets.size());
  if (added)
    st.targets.push_back(target_state{name, 0, false, {}, {}});
  return i->second;
}

misfire_action action_of(misfire_rule r) {
  switch (r) {
    case misfire_rule::run_once:
      return misfire_action::coalesced;
    case misfire_rule::run_all:
      return misfire_action::ran_all;
    case misfire_rule::skip:
      break;
  }
  return misfire_action::skipped;
}

void push(scheduler_state& st, uint64_t id, entry& e, time_point at) {
  e.flags &= static_cast<uint8_t>(~(blocked_flag | checking_flag));
  st.heap.push(key{to_nanos(at), e.priority, ++e.gen, id});
}

// Makes `candidate` the next fire time of `e`, applying its misfire rule if
// the time is already more than `grace` past. False if the intent has run
// out (the caller erases it).
bool place(scheduler_pointer self, uint64_t id, entry& e,
           std::optional<time_point> candidate, time_point now) {
  if (!candidate)
    return false;
  auto grace = std::max(e.grace, duration{0});
  bool missed = *candidate < now && now - *candidate > grace;
  if (!missed) {
    e.flags &= static_cast<uint8_t>(~backlog_flag);
  } else if ((e.flags & backlog_flag) == 0) {
    auto out = resolve_misfires(e.trig, *candidate, now,
                                misfire_policy{e.rule, grace});
    if (out.missed > 0)
      record(self, intent_misfired{id, *candidate,
                                   static_cast<uint32_t>(std::min<uint64_t>(
                                       out.missed, UINT32_MAX)),
                                   action_of(e.rule)});
    if (e.rule == misfire_rule::run_all && !out.runs.empty())
      e.flags |= backlog_flag;
    candidate = out.runs.empty() ? out.next : out.runs.front();
    if (!candidate)
      return false;
  }
  e.due = *candidate;
  push(self->state, id, e, *candidate);
  return true;
}

// Lets the next intent waiting for `target` back into the schedule.
void release(scheduler_state& st, uint32_t target) {
  auto& t = st.targets[target];
  t.holder = 0;
  t.calling = false;
  while (!t.blocked.empty()) {
    auto k = t.blocked.top();
    t.blocked.pop();
    auto i = st.entries.find(k.id);
    if (i == st.entries.end() || (i->second.flags & blocked_flag) == 0)
      continue;
    push(st, k.id, i->second, from_nanos(k.at));
    return;
  }
}

// Frees the key of intent `id`, if it has one.
void forget_key(scheduler_state& st, uint64_t id) {
  if (auto k = st.key_of.find(id); k != st.key_of.end()) {
    st.keys.erase(k->second);
    st.key_of.erase(k);
  }
}

void erase(scheduler_state& st, uint64_t id) {
  auto i = st.entries.find(id);
  if (i == st.entries.end())
    return;
  auto target = i->second.target;
  st.entries.erase(i);
  forget_key(st, id);
  // A fire whose call is not made yet keeps the target until it is.
  auto& t = st.targets[target];
  if (t.holder == id && !t.calling)
    release(st, target);
}

// True if `k` is where its entry is: the entry's latest key, while it is
// neither blocked nor being checked.
bool current(scheduler_state& st, const key& k) {
  auto i = st.entries.find(k.id);
  return i != st.entries.end() && i->second.gen == k.gen &&
         (i->second.flags & (blocked_flag | checking_flag)) == 0;
}

// Drops stale keys from the top of the heap, and rebuilds the heap when it
// holds more stale keys than live ones.
void clean(scheduler_state& st) {
  while (!st.heap.empty() && !current(st, st.heap.top()))
    st.heap.pop();
  if (st.heap.size() > 2 * st.entries.size() + 1024) {
    auto& xs = st.heap.data();
    xs.erase(std::remove_if(xs.begin(), xs.end(),
                            [&](const key& k) { return !current(st, k); }),
             xs.end());
    xs.shrink_to_fit();
    st.heap.make();
  }
}

void dispatch(scheduler_pointer self);

void arm_timer(scheduler_pointer self, time_point now) {
  auto& st = self->state;
  clean(st);
  if (st.heap.empty() || st.in_flight >= st.config.max_in_flight)
    return;
  // At most a day ahead: far timers stay within the clock's range, and the
  // wake-up just arms the next one.
  auto at = std::min(
      from_nanos(st.heap.top().at),
      now + std::chrono::duration_cast<duration>(std::chrono::hours{24}));
  if (st.timer_at && *st.timer_at <= at)
    return;
  st.timer_at = at;
  self->delayed_send(self, std::max(at - now, duration{0}),
                     detail::timer_atom::value, ++st.timer_id);
}

// The time limit of a check or call request.
caf::duration request_timeout(const scheduler_state& st) {
  if (st.config.call_timeout <= duration{0})
    return caf::infinite;
  return caf::duration{
      std::chrono::duration_cast<caf::timespan>(st.config.call_timeout)};
}

void call_done(scheduler_pointer self) {
  --self->state.in_flight;
  dispatch(self);
}

// A fire held back past later fire times of its trigger (its command was
// not there yet, or the budget or the command's limiter held it): the
// misfire rule decides over all of them at once, so that one run does not
// follow another for consecutive fire times. False if none of them runs now
// (the entry is then placed at its next fire time, or erased).
bool catch_up(scheduler_pointer self, uint64_t id, entry& e, time_point now) {
  if (e.rule == misfire_rule::run_all)
    return true; // each missed fire runs anyway, oldest first
  auto grace = std::max(e.grace, duration{0});
  auto later = next_fire_after(e.trig, e.due);
  if (!later || *later > now || now - *later <= grace)
    return true;
  auto out =
      resolve_misfires(e.trig, e.due, now, misfire_policy{e.rule, grace});
  if (out.missed > 0)
    record(self, intent_misfired{id, e.due,
                                 static_cast<uint32_t>(std::min<uint64_t>(
                                     out.missed, UINT32_MAX)),
                                 action_of(e.rule)});
  if (!out.runs.empty()) {
    e.due = out.runs.front();
    return true;
  }
  if (!out.next) {
    erase(self->state, id);
    return false;
  }
  e.due = *out.next;
  push(self->state, id, e, *out.next);
  return false;
}

// Records intent_fired and makes the call once it is written (persist, then
// act: a crash never runs a due time the log does not show as fired). The
// target stays held, and the budget slot taken, until then.
void fire(scheduler_pointer self, uint64_t id, entry& e, caf::actor command,
          time_point now) {
  auto& st = self->state;
  auto target = e.target;
  if (!catch_up(self, id, e, now)) {
    release(st, target);
    return;
  }
  std::string args;
  if (e.args_seed != 0) {
    auto gen = args_generator::parse(e.args);
    args = gen ? gen->draw(e.args_seed, e.fired) : std::string{};
  } else {
    args = e.args;
  }
  record(self, intent_fired{id, e.due, args});
  ++e.fired;
  ++st.in_flight;
  deferred d;
  d.id = id;
  d.command = std::move(command);
  d.args = std::move(args);
  d.target = target;
  d.fire = true;
  st.targets[target].calling = true;
  st.out.after_written(self, std::move(d));
  if (!place(self, id, e, next_fire_after(e.trig, e.due), now))
    erase(st, id);
}

// Frees the target a fire held.
void release_fired(scheduler_state& st, const deferred& d) {
  if (st.targets[d.target].holder == d.id)
    release(st, d.target);
}

// The intent_fired of a fire is written: call the command.
void call(scheduler_pointer self, deferred& d) {
  auto& st = self->state;
  self->request(d.command, request_timeout(st), call_atom::value,
                std::move(d.args))
      .then([=](const std::string&) { call_done(self); },
            [=](const caf::error&) { call_done(self); });
  release_fired(st, d);
  dispatch(self);
}

// Saves the schedule view's snapshot once enough events came since the last
// one: snapshot_every, and at least as many as there are pending intents,
// so that the work of a snapshot (reading the last one, the events after
// it, writing the new one) stays a constant per event. The view reads the
// store, not this actor's state: it holds exactly what the log holds up to
// the seq it covers, and what is still on its way to the Log gets higher
// seqs. A failed snapshot costs only a longer restart (a store that fails
// fails the Log, which stops this actor).
void maybe_snapshot(scheduler_pointer self) {
  auto& st = self->state;
  if (st.config.snapshot_every == 0 || !st.store ||
      st.unsnapshotted <
          std::max<uint64_t>(st.config.snapshot_every, st.entries.size()))
    return;
  st.unsnapshotted = 0;
  schedule_view view{st.config.name};
  if (!rebuild(*st.store, view) && view.covered() != 0)
    (void)save_snapshot(*st.store, view);
}

void send_out(scheduler_pointer self) {
  self->state.out.send(
      self,
      [self](deferred& d) {
        if (d.fire)
          call(self, d);
        else
          d.promise.deliver(std::move(d.answer));
      },
      [self](deferred& d, const caf::error& err) {
        if (d.fire) {
          release_fired(self->state, d);
          --self->state.in_flight;
        } else {
          d.promise.deliver(err);
        }
      });
  maybe_snapshot(self);
}

// Answers `x` to the current request once the events recorded so far are
// written.
template <class T>
caf::delegated<T> answer_when_written(scheduler_pointer self, T x) {
  deferred d;
  d.promise = self->make_response_promise();
  d.answer = caf::make_message(std::move(x));
  self->state.out.after_written(self, std::move(d));
  return {};
}

void unknown_target(scheduler_pointer self, uint64_t id, entry& e,
                    time_point now) {
  auto& st = self->state;
  if (now - e.due < st.config.unknown_patience) {
    // Tried again when a command of that name registers, or at the latest
    // after retry_unknown.
    push(st, id, e, now + st.config.retry_unknown);
    st.targets[e.target].unknown.push_back(id);
    return;
  }
  record(self, intent_misfired{id, e.due, 1, misfire_action::skipped});
  e.flags &= static_cast<uint8_t>(~backlog_flag);
  if (!place(self, id, e, next_fire_after(e.trig, e.due), now))
    erase(st, id);
}

void checked(scheduler_pointer self, uint64_t id, uint32_t target,
             caf::actor command, std::optional<time_point> admit_at) {
  auto& st = self->state;
  --st.in_flight;
  auto i = st.entries.find(id);
  if (i == st.entries.end()) {
    // Cancelled meanwhile; erase() has released the target.
    dispatch(self);
    return;
  }
  auto& e = i->second;
  auto now = st.time->now();
  if (!admit_at) {
    // The command is gone or cannot answer: as if it were not registered.
    release(st, target);
    unknown_target(self, id, e, now);
  } else if (*admit_at > now) {
    // Keep the target; wait until the command would admit.
    push(st, id, e, *admit_at);
  } else {
    fire(self, id, e, std::move(command), now);
  }
  dispatch(self);
}

void dispatch(scheduler_pointer self) {
  auto& st = self->state;
  auto now = st.time->now();
  while (st.in_flight < st.config.max_in_flight) {
    clean(st);
    if (st.heap.empty() || st.heap.top().at > to_nanos(now))
      break;
    auto k = st.heap.top();
    st.heap.pop();
    auto& e = st.entries.find(k.id)->second;
    auto& t = st.targets[e.target];
    // The holder's own next fire waits too while its call is not made yet.
    if (t.holder != 0 && (t.holder != k.id || t.calling)) {
      e.flags |= blocked_flag;
      t.blocked.push(k);
      continue;
    }
    auto command = st.commands->find(t.name);
    if (!command) {
      if (t.holder == k.id)
        release(st, e.target);
      unknown_target(self, k.id, e, now);
      continue;
    }
    t.holder = k.id;
    e.flags |= checking_flag;
    ++st.in_flight;
    auto id = k.id;
    auto target = e.target;
    self->request(command, request_timeout(st), check_atom::value)
        .then(
            [=](time_point admit_at) {
              checked(self, id, target, command, admit_at);
            },
            [=](const caf::error&) {
              checked(self, id, target, command, std::nullopt);
            });
  }
  arm_timer(self, now);
}

bool is_now(std::string_view spec) {
  while (!spec.empty() && (spec.front() == ' ' || spec.front() == '\t'))
    spec.remove_prefix(1);
  while (!spec.empty() && (spec.back() == ' ' || spec.back() == '\t'))
    spec.remove_suffix(1);
  return spec.size() == 3 && (spec[0] | 0x20) == 'n' &&
         (spec[1] | 0x20) == 'o' && (spec[2] | 0x20) == 'w';
}

caf::result<uint64_t> schedule(scheduler_pointer self, intent& x) {
  auto& st = self->state;
  if (x.target.empty())
    return make_error(errc::bad_config, "intent: the target is empty");
  if (!x.key.empty())
    if (auto k = st.keys.find(x.key); k != st.keys.end())
      return answer_when_written(self, k->second);
  auto now = st.time->now();
  auto id = st.next_id;
  auto trig = parse_trigger_spec(x.trigger, now, id);
  if (!trig)
    return make_error(errc::bad_config,
                      "intent trigger '" + x.trigger + "' at position " +
                          std::to_string(trig.error().position) + ": " +
                          trig.error().message);
  auto policy = parse_misfire_spec(x.misfire);
  if (!policy)
    return make_error(errc::bad_config,
                      "intent misfire '" + x.misfire + "' at position " +
                          std::to_string(policy.error().position) + ": " +
                          policy.error().message);
  if (x.args_seed != 0) {
    auto gen = args_generator::parse(x.args);
    if (!gen)
      return make_error(errc::bad_config,
                        "intent args generator '" + x.args + "' at position " +
                            std::to_string(gen.error().position) + ": " +
                            gen.error().message);
  }
  // Under a key, due times the key's earlier intents handled do not run
  // again; if none is left, the earlier intent's id is the answer.
  std::optional<time_point> first = first_due(*trig, now);
  if (!x.key.empty())
    if (auto h = st.key_histories.find(x.key); h != st.key_histories.end()) {
      first = keyed_progress(*trig, now, h->second.handled).next(*trig);
      if (!first)
        return answer_when_written(self, h->second.last_id);
    }
  ++st.next_id;
  // "now" and an "every" without "from" depend on the time they were given;
  // they are stored as what they meant, so that replay means the same.
  auto stored_trigger =
      is_now(x.trigger) || std::holds_alternative<every_trigger>(*trig)
          ? to_spec(*trig)
          : x.trigger;
  // Stamped with the `now` the trigger was read at: replay computes the
  // first due time from the event's time, and a later clock reading would
  // skip a first run due at `now`.
  record(self,
         intent_scheduled{id, x.target, stored_trigger, x.misfire, x.priority,
                          encode_intent_args({x.args, x.args_seed}), x.key},
         now);
  if (!x.key.empty()) {
    st.key_histories[x.key].last_id = id;
    st.keys.emplace(x.key, id);
    st.key_of.emplace(id, std::move(x.key));
  }
  entry e{*trig,
          std::move(x.args),
          x.args_seed,
          0,
          {},
          policy->grace,
          target_of(st, x.target),
          x.priority,
          policy->rule,
          0};
  auto [i, added] = st.entries.emplace(id, std::move(e));
  if (!place(self, id, i->second, first, now))
    erase(st, id);
  dispatch(self);
  // Answered once intent_scheduled is written: an id the caller holds names
  // an intent a restart finds. (It may fire meanwhile: its intent_fired is
  // written after intent_scheduled, and the call waits for that.)
  return answer_when_written(self, id);
}

// -- recovery -----------------------------------------------------------------

// Rebuilds the schedule as the log describes it, through the schedule view
// (from its snapshot, if a live view saved one).
[[nodiscard]] caf::error recover(scheduler_state& st,
                                 const event_store& store) {
  schedule_view view{st.config.name};
  if (auto err = rebuild(store, view))
    return err;
  if (!view.unreadable().empty()) {
    auto& [id, reason] = *view.unreadable().begin();
    return make_error(errc::corrupt_record,
                      "scheduler '" + st.config.name + "': intent " +
                          std::to_string(id) + ": " + reason);
  }
  st.next_id = view.last_id() + 1;
  for (auto& [key, h] : view.key_histories())
    st.key_histories.emplace(key, h);
  st.recovering.reserve(view.pending().size());
  // By id (the view's order), so that misfire records come in a stable
  // order.
  for (auto& [id, p] : view.pending()) {
    auto policy = parse_misfire_spec(p.misfire_spec);
    auto args = decode_intent_args(p.args);
    if (!policy || !args) // the view checked both
      return make_error(errc::corrupt_record,
                        "scheduler '" + st.config.name + "': intent " +
                            std::to_string(id) + ": unreadable");
    st.recovering.push_back(recovered{id,
                                      entry{p.trig,
                                            std::move(args->args),
                                            args->seed,
                                            p.fired,
                                            {},
                                            policy->grace,
                                            target_of(st, p.target),
                                            p.priority,
                                            policy->rule,
                                            0},
                                      p.next});
    if (!p.key.empty()) {
      st.keys.emplace(p.key, id);
      st.key_of.emplace(id, p.key);
    }
  }
  return caf::none;
}

// -- behavior -----------------------------------------------------------------

scheduler_full::behavior_type scheduler_impl(scheduler_pointer self) {
  auto& st = self->state;
  auto now = st.time->now();
  st.entries.reserve(st.recovering.size());
  for (auto& r : st.recovering) {
    auto [i, added] = st.entries.emplace(r.id, std::move(r.e));
    if (!place(self, r.id, i->second, r.next, now))
      erase(st, r.id);
  }
  st.recovering.clear();
  st.recovering.shrink_to_fit();
  // Runs after the spawner has had a chance to register its commands.
  self->send(self, detail::timer_atom::value, st.timer_id);
  // Without the Log nothing can fire (fail-stop); who waits for an answer
  // gets the Log's error, and what is recorded goes to the Log on exit.
  auto stop = [self](const caf::error& reason) {
    auto err = reason ? reason : make_error(errc::closed, "the Log stopped");
    for (auto& d : self->state.out.take_waiting())
      if (!d.fire)
        d.promise.deliver(err);
    self->state.out.send_remaining();
  };
  self->monitor(st.out.log());
  self->set_down_handler([self, stop](caf::down_msg& x) {
    if (x.source != self->state.out.log().address())
      return;
    stop(x.reason);
    self->quit(x.reason);
  });
  self->set_exit_handler([self, stop](caf::exit_msg& x) {
    stop(make_error(errc::closed, "scheduler '" + self->state.config.name +
                                      "': stopped (" + render(x.reason) + ")"));
    self->quit(x.reason);
  });
  return {
      [=](schedule_atom, intent& x) { return schedule(self, x); },
      [=](cancel_atom, uint64_t id) -> caf::result<bool> {
        auto& st = self->state;
        if (st.entries.count(id) == 0)
          return false;
        record(self, intent_cancelled{id});
        erase(st, id);
        dispatch(self);
        return answer_when_written(self, true);
      },
      [=](status_atom) {
        return static_cast<uint64_t>(self->state.entries.size());
      },
      [=](status_atom, uint64_t id) -> caf::result<time_point> {
        auto& st = self->state;
        auto i = st.entries.find(id);
        if (i == st.entries.end())
          return make_error(errc::not_found, "scheduler '" + st.config.name +
                                                 "': no intent " +
                                                 std::to_string(id));
        return i->second.due;
      },
      [=](detail::timer_atom, uint64_t id) {
        auto& st = self->state;
        if (id != st.timer_id)
          return;
        st.timer_at.reset();
        dispatch(self);
      },
      [=](detail::out_atom) { send_out(self); },
      [=](registered_atom, const std::string& name) {
        // A command registered: intents that found none try again now.
        auto& st = self->state;
        auto i = st.target_ids.find(name);
        if (i == st.target_ids.end())
          return;
        auto now = st.time->now();
        auto waiting = std::move(st.targets[i->second].unknown);
        st.targets[i->second].unknown.clear();
        for (auto id : waiting)
          if (auto j = st.entries.find(id);
              j != st.entries.end() &&
              (j->second.flags & (blocked_flag | checking_flag)) == 0)
            push(st, id, j->second, now);
        dispatch(self);
      },
  };
}

scheduler_full::behavior_type
scheduler_start(scheduler_pointer self,
                std::shared_ptr<scheduler_state> state) {
  self->state = std::move(*state);
  return scheduler_impl(self);
}

} // namespace

caf::expected<scheduler_actor> spawn_scheduler(runtime& rt,
                                               scheduler_config config) {
  if (config.max_in_flight == 0)
    return make_error(errc::bad_config,
                      "scheduler '" + config.name +
                          "': max_in_flight must be at least 1");
  if (config.name.empty())
    return make_error(errc::bad_config, "scheduler: the name is empty");
  auto state = std::make_shared<scheduler_state>();
  state->config = std::move(config);
  state->out = detail::recorder<deferred>{rt.log(), rt.backlog_ptr(),
                                          state->config.name};
  state->time = rt.time_ptr();
  state->commands = rt.commands_ptr();
  state->store = rt.store_ptr();
  if (auto err = recover(*state, rt.store()))
    return err;
  // The state goes in as an argument: CAF 0.17 dereferences a null
  // argument tuple when a function actor takes none.
  auto full = rt.system().spawn(scheduler_start, std::move(state));
  rt.commands().on_add(
      [addr = caf::actor_cast<caf::actor_addr>(full)](const std::string& name) {
        if (auto x = caf::actor_cast<caf::actor>(addr))
          caf::anon_send(x, registered_atom::value, name);
      });
  scheduler_actor handle = full;
  return handle;
}

} // namespace tc
