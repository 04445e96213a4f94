#include "timecontrol/actors/command.hpp"

#include <atomic>
#include <deque>
#include <exception>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <variant>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/message_handler.hpp>
#include <caf/response_promise.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/system_messages.hpp>

#include "timecontrol/actors/detail/any_response.hpp"
#include "timecontrol/actors/detail/recorder.hpp"
#include "timecontrol/actors/log.hpp"
#include "timecontrol/actors/runtime.hpp"
#include "timecontrol/core/error.hpp"
#include "timecontrol/plugins/detail/bytes.hpp"
#include "timecontrol/policies/keyed_limiter.hpp"
#include "timecontrol/policies/under_limiter.hpp"

namespace tc {

namespace {

// -- internal messages --------------------------------------------------------

/// The wait queue's timer: (wake_atom, timer id).
using wake_atom = caf::atom_constant<caf::atom("cmd_wake")>;
/// The call timeout timer: (expire_atom, timer id).
using expire_atom = caf::atom_constant<caf::atom("cmd_expire")>;
/// An async operation's answer: (done_atom, call id, std::string | error).
using done_atom = caf::atom_constant<caf::atom("cmd_done")>;
using detail::out_atom;
/// Look again at the Log's backlog: (backlog_atom).
using backlog_atom = caf::atom_constant<caf::atom("cmd_backlg")>;
/// The timer of the waiting calls' max waits: (deadline_atom, timer id).
using deadline_atom = caf::atom_constant<caf::atom("cmd_dline")>;

/// Admission times kept for rebuilding the limiter on a policy change.
constexpr size_t history_limit = 1024;

/// The longest key of a keyed call, in bytes.
constexpr size_t max_key_size = 1024;

/// Hash map buckets of keys looked at for eviction per keyed decision.
constexpr size_t evict_per_call = 2;

// -- state --------------------------------------------------------------------

using operation = std::variant<caf::actor, sync_operation, async_operation>;

/// An admission the command remembers: when, and how many units it took.
struct remembered {
  time_point at{};
  uint64_t cost = 1;
};

/// A call not yet started.
struct pending_call {
  uint64_t id = 0;
  /// Whose limiter decides it ("": the command's own, unkeyed).
  std::string key;
  /// The units it takes from the limiter (call_admitted's `cost`).
  uint64_t cost = 1;
  /// The latest time it may be admitted at (the request plus its max_wait);
  /// `never` when the caller set no bound.
  time_point deadline = never;
  /// The whole message (proxy) or empty (callables).
  caf::message msg;
  /// The argument bytes (callables).
  std::string args;
  caf::response_promise promise;
  /// When it was queued (for call_admitted's `waited`).
  time_point queued{};
  /// Admitted, then held for a free slot or by a full backlog.
  bool held = false;
};

struct running_call {
  caf::response_promise promise;
  time_point started{};
};

/// What waits for the Log: a call to start once its admission is written,
/// or an answer to deliver once the events it reports are written (or sent).
struct parsed_limiter;

struct deferred {
  pending_call call;
  /// Delivered to call.promise when `start` is false.
  caf::message answer;
  bool start = false;
  /// A policy change to apply (rebuilt from the log) before answering.
  std::shared_ptr<parsed_limiter> policy = nullptr;
};

struct command_state {
  static inline const char* name = "tc.command";

  std::string source;
  command_config config;
  operation op;
  log_actor log;
  std::shared_ptr<clock> time;
  /// Empty: unlimited.
  std::optional<under_limiter> limiter;
  /// The limiters of keyed calls, of the same spec; empty: unlimited.
  std::optional<keyed_limiter> keyed;
  /// Admissions of unkeyed calls (keyed ones are read from the log).
  std::deque<remembered> history;
  /// True while `history` holds every admission of the command (false once
  /// a keyed call was admitted).
  bool history_complete = true;
  /// Read when a policy change needs more than `history`.
  std::shared_ptr<event_store> store;
  /// Policy changes waiting for the log: while there are any, calls stay
  /// queued.
  size_t changing_policy = 0;
  uint64_t next_id = 1;
  /// The canonical text of the limiter's spec ("" for unlimited).
  std::string policy_text;
  /// The highest id of an admitted call (a call that waited is admitted
  /// after calls with higher ids, so not always the latest one's).
  uint64_t last_admitted = 0;
  /// Admissions since the last snapshot (command_config::snapshot_every).
  uint64_t unsnapshotted = 0;
  /// Throttled calls waiting for the limiter (action wait), FIFO per key:
  /// a call waits behind the earlier calls of its key only.
  std::deque<pending_call> waiting;
  /// How many calls of each key wait (keys with none are not in it).
  std::unordered_map<std::string, size_t> waiting_keys;
  /// Admitted calls waiting for a slot (max_in_flight), FIFO.
  std::deque<pending_call> held;
  std::unordered_map<uint64_t, running_call> running;
  /// (deadline, call id) in start order; entries of finished calls linger
  /// until they reach the front.
  std::deque<std::pair<time_point, uint64_t>> deadlines;
  /// Calls answered with timed_out whose operation has not ended: their
  /// start times, for the call_finished recorded when they do.
  std::unordered_map<uint64_t, time_point> overdue;
  uint64_t timers = 0;
  uint64_t wake_timer = 0;
  time_point wake_at{};
  uint64_t expire_timer = 0;
  /// The timer of the earliest max wait among the waiting calls.
  uint64_t deadline_timer = 0;
  time_point deadline_at{};
  bool starting = false;

  /// Admitted calls whose call_admitted is not written yet: each will run
  /// or be held once it is.
  size_t admitting = 0;

  /// Calls waiting: for the limiter, for a slot, and those being admitted
  /// that will find no slot.
  size_t queued() const noexcept {
    auto busy = running.size() + admitting;
    auto over = config.max_in_flight != 0 && busy > config.max_in_flight
                    ? busy - config.max_in_flight
                    : 0;
    return waiting.size() + held.size() + over;
  }

  /// True if a call admitted now would find no free slot.
  bool slots_full() const noexcept {
    return config.max_in_flight != 0 &&
           running.size() + admitting >= config.max_in_flight;
  }

  /// True if no call can start now.
  bool no_free_slot() const noexcept {
    return config.max_in_flight != 0 && running.size() >= config.max_in_flight;
  }

  /// The events not yet handed to the Log, and what waits for them.
  detail::recorder<deferred> out;

  /// The actor, for scheduling the hand-over to the Log.
  caf::event_based_actor* self = nullptr;

  /// True while a flush request is out because the Log's backlog was full.
  bool waiting_for_backlog = false;

  /// Queues an event for the Log. The queue goes to the Log in one message
  /// once the actor has handled what is in its mailbox now.
  void record(time_point t, event body) {
    out.record(self, t, std::move(body));
  }

  bool persist_first() const noexcept {
    return config.admission == admission_mode::persist_then_act ||
           out.backlog_full();
  }

  /// Answers `c` with `answer` once its events are written (persist, then
  /// act) or, in act_then_record mode, once they are on their way.
  void answer_after_record(pending_call& c, caf::message answer) {
    deferred d{std::move(c), std::move(answer), false};
    if (config.admission == admission_mode::persist_then_act)
      out.after_written(self, std::move(d));
    else
      out.after_sent(self, std::move(d));
  }

  /// Answers `promise` once the events recorded so far are on their way to
  /// the Log, so that a flush the caller sends next covers them.
  void answer_after_sent(caf::response_promise promise, caf::message answer) {
    pending_call c;
    c.promise = std::move(promise);
    out.after_sent(self, deferred{std::move(c), std::move(answer), false});
  }

  std::string what() const { return "command '" + source + "'"; }

  /// True if a call of `key` waits.
  bool key_waits(const std::string& key) const {
    return waiting_keys.contains(key);
  }

  /// Queues `c` behind the waiting calls of its key.
  void push_waiting(pending_call c) {
    ++waiting_keys[c.key];
    waiting.push_back(std::move(c));
  }

  /// Takes the waiting call at `i` out of the queue; the next one.
  std::deque<pending_call>::iterator
  take_waiting(std::deque<pending_call>::iterator i, pending_call& out) {
    out = std::move(*i);
    if (auto k = waiting_keys.find(out.key);
        k != waiting_keys.end() && --k->second == 0)
      waiting_keys.erase(k);
    return waiting.erase(i);
  }
};

using command_self = caf::stateful_actor<command_state>;
using command_ptr = command_self*;

// -- limiter ------------------------------------------------------------------

struct parsed_limiter {
  std::optional<limiter_spec> spec;
  /// The canonical text; empty for unlimited.
  std::string text;
};

[[nodiscard]] caf::expected<parsed_limiter>
parse_limiter(const std::string& who, const std::string& text) {
  if (text.empty())
    return parsed_limiter{};
  auto spec = parse_limiter_spec(text);
  if (!spec)
    return make_error(errc::bad_config,
                      who + ": limiter \"" + text + "\": at byte " +
                          std::to_string(spec.error().position) + ": " +
                          spec.error().message);
  return parsed_limiter{*spec, to_string(*spec)};
}

/// A limiter that has seen no call yet: the first call is admitted at once.
std::optional<under_limiter> fresh_limiter(const parsed_limiter& x) {
  if (!x.spec)
    return std::nullopt;
  return make_under_limiter(*x.spec, time_point{});
}

/// The limiters of keys, none seen yet.
std::optional<keyed_limiter> fresh_keyed(const parsed_limiter& x) {
  if (!x.spec)
    return std::nullopt;
  return keyed_limiter{*x.spec};
}

/// "call 7", or "call 7 of key 'user-42'" for a keyed call.
std::string call_name(uint64_t id, const std::string& key) {
  auto text = "call " + std::to_string(id);
  if (!key.empty())
    text += " of key '" + key + "'";
  return text;
}

/// Keeps admission `x` in `history` (the latest history_limit); `complete`
/// turns false once one was dropped.
void remember(std::deque<remembered>& history, bool& complete, remembered x) {
  if (history.size() == history_limit) {
    history.pop_front();
    complete = false;
  }
  history.push_back(x);
}

/// Decides a call of `key` and `cost` at `now`, taking from the limiter if
/// it is admitted.
admission decide(command_state& st, time_point now, const std::string& key,
                 uint64_t cost) {
  if (!st.limiter)
    return admission{true, now, duration{0}};
  if (key.empty())
    return admit(*st.limiter, now, cost);
  return st.keyed->admit(key, now, cost);
}

/// What decide() would answer, taking nothing.
admission peek(const command_state& st, time_point now, const std::string& key,
               uint64_t cost) {
  if (!st.limiter)
    return admission{true, now, duration{0}};
  if (key.empty())
    return check(*st.limiter, now, cost);
  return st.keyed->check(key, now, cost);
}

/// When the limiter would admit a call of `cost` queued now behind the
/// waiting calls, if nothing else happens: each waiting call in order is
/// admitted at its own earliest time, or passed over if that is after its
/// deadline (it expires, taking nothing). `never` if the queue is blocked.
time_point earliest_behind_queue(const command_state& st, time_point now,
                                 const std::string& key, uint64_t cost) {
  if (!st.limiter)
    return now;
  auto lim = key.empty() ? *st.limiter : st.keyed->limiter_of(key);
  auto t = now;
  for (auto& c : st.waiting) {
    if (c.key != key)
      continue; // another key's queue
    auto a = check(lim, t, c.cost);
    if (a.earliest == never)
      return never;
    auto at = std::max(t, a.earliest);
    if (at > c.deadline)
      continue;
    t = at;
    (void)admit(lim, t, c.cost);
  }
  auto a = check(lim, t, cost);
  return a.earliest == never ? never : std::max(t, a.earliest);
}

// -- timers -------------------------------------------------------------------

caf::timespan delay(time_point now, time_point at) {
  return std::chrono::duration_cast<caf::timespan>(
      detail::wait_between(now, at));
}

void arm_wake(command_ptr self, time_point now, time_point at) {
  auto& st = self->state;
  if (at == never || (st.wake_timer != 0 && st.wake_at <= at))
    return;
  st.wake_timer = ++st.timers;
  st.wake_at = at;
  self->delayed_send(self, delay(now, at), wake_atom::value, st.wake_timer);
}

/// Arms the timer of the earliest max wait among the waiting calls, unless
/// one as early is armed.
void arm_deadline(command_ptr self, time_point now) {
  auto& st = self->state;
  auto next = never;
  for (auto& c : st.waiting)
    next = std::min(next, c.deadline);
  if (next == never || (st.deadline_timer != 0 && st.deadline_at <= next))
    return;
  st.deadline_timer = ++st.timers;
  st.deadline_at = next;
  self->delayed_send(self, delay(now, next), deadline_atom::value,
                     st.deadline_timer);
}

void arm_expire(command_ptr self, time_point now) {
  auto& st = self->state;
  while (!st.deadlines.empty() &&
         !st.running.contains(st.deadlines.front().second))
    st.deadlines.pop_front();
  if (st.deadlines.empty() || st.expire_timer != 0)
    return;
  st.expire_timer = ++st.timers;
  self->delayed_send(self, delay(now, st.deadlines.front().first),
                     expire_atom::value, st.expire_timer);
}

// -- running calls ------------------------------------------------------------

void start(command_ptr self, pending_call c, time_point now);
bool hold_back(command_ptr self);

void start_held(command_ptr self, time_point now) {
  auto& st = self->state;
  if (st.starting)
    return;
  st.starting = true;
  // While the Log's backlog is full, admitted calls wait too: each run
  // records events (call_finished can carry a long error text), so running
  // them would grow the backlog without bound. hold_back() looks again.
  while (!st.held.empty() && !st.no_free_slot() && !st.out.backlog_full()) {
    auto c = std::move(st.held.front());
    st.held.pop_front();
    start(self, std::move(c), now);
  }
  st.starting = false;
  // Stopped by the backlog: make sure something looks again once the Log
  // has caught up (no other message may come to this actor).
  if (!st.held.empty() && !st.no_free_slot())
    hold_back(self);
}

void answer_timed_out(command_state& st, uint64_t id, running_call& r) {
  st.record(st.time->now(), call_timed_out{id, st.config.timeout});
  st.answer_after_sent(
      std::move(r.promise),
      caf::make_message(make_error(errc::timed_out,
                                   st.what() + ": call " + std::to_string(id) +
                                       " did not finish within " +
                                       duration_to_string(st.config.timeout))));
}

[[nodiscard]] caf::error failure(const char* what) {
  return make_error(errc::operation_failed, what);
}

/// What call_finished records of a failed operation's error.
std::string text_of(const caf::error& err) {
  return is(err, errc::operation_failed) ? context_of(err) : render(err);
}

/// The caller's answer for a failed operation.
[[nodiscard]] caf::error failed(const command_state& st, uint64_t id,
                                const std::string& text) {
  return make_error(errc::operation_failed,
                    st.what() + ": call " + std::to_string(id) + ": " + text);
}

[[nodiscard]] caf::expected<std::string> run_sync(const sync_operation& f,
                                                  std::string args) {
  try {
    return f(std::move(args));
  } catch (const std::exception& e) {
    return failure(e.what());
  } catch (...) {
    return failure("unknown exception");
  }
}

/// Ends call `id`: `answer` is the operation's answer (a message holding an
/// error if it failed).
void finish(command_ptr self, uint64_t id, caf::message answer) {
  auto& st = self->state;
  auto now = st.time->now();
  bool ok = !answer.match_elements<caf::error>();
  std::string text;
  if (!ok)
    text = text_of(answer.get_as<caf::error>(0));
  auto i = st.running.find(id);
  if (i == st.running.end()) {
    // Answered with timed_out before; record the end, answer nobody.
    if (auto j = st.overdue.find(id); j != st.overdue.end()) {
      st.record(now, call_finished{id, now - j->second, ok, std::move(text)});
      st.overdue.erase(j);
    }
    return;
  }
  auto took = now - i->second.started;
  if (st.config.timeout > duration{0} && took > st.config.timeout) {
    answer_timed_out(st, id, i->second);
    st.record(now, call_finished{id, took, ok, std::move(text)});
  } else if (ok) {
    st.record(now, call_finished{id, took, true, {}});
    st.answer_after_sent(std::move(i->second.promise), std::move(answer));
  } else {
    st.record(now, call_finished{id, took, false, text});
    st.answer_after_sent(std::move(i->second.promise),
                         caf::make_message(failed(st, id, text)));
  }
  st.running.erase(i);
  start_held(self, now);
}

void finish(command_ptr self, uint64_t id, caf::expected<std::string> result) {
  if (result)
    finish(self, id, caf::make_message(std::move(*result)));
  else
    finish(self, id, caf::make_message(std::move(result.error())));
}

void start(command_ptr self, pending_call c, time_point now) {
  auto& st = self->state;
  auto id = c.id;
  // A call that starts as it is admitted has no event of its own (its start
  // is call_finished's time minus `took`); one that was held has, so that
  // readers (a Controller) know it runs from now, not from its admission.
  if (c.held)
    st.record(now, call_started{id});
  st.running.emplace(id, running_call{std::move(c.promise), now});
  if (st.config.timeout > duration{0}) {
    st.deadlines.emplace_back(detail::add_sat(now, st.config.timeout), id);
    arm_expire(self, now);
  }
  if (auto* target = std::get_if<caf::actor>(&st.op)) {
    auto handle = self->request(*target, caf::infinite, std::move(c.msg));
    self->add_multiplexed_response_handler(
        handle.id(), detail::any_response(self, [self, id](caf::message x) {
          finish(self, id, std::move(x));
        }));
  } else if (auto* f = std::get_if<sync_operation>(&st.op)) {
    finish(self, id, run_sync(*f, std::move(c.args)));
  } else {
    auto& g = std::get<async_operation>(st.op);
    auto once = std::make_shared<std::atomic<bool>>(false);
    auto done = [handle = caf::actor_cast<caf::actor>(self), id,
                 once](caf::expected<std::string> x) {
      if (once->exchange(true))
        return;
      if (x)
        caf::anon_send(handle, done_atom::value, id, std::move(*x));
      else
        caf::anon_send(handle, done_atom::value, id, std::move(x.error()));
    };
    caf::error thrown;
    try {
      g(std::move(c.args), std::move(done));
    } catch (const std::exception& e) {
      thrown = failure(e.what());
    } catch (...) {
      thrown = failure("unknown exception");
    }
    if (thrown && !once->exchange(true))
      finish(self, id, caf::make_message(std::move(thrown)));
  }
}

void expire(command_ptr self) {
  auto& st = self->state;
  auto now = st.time->now();
  while (!st.deadlines.empty() && st.deadlines.front().first <= now) {
    auto id = st.deadlines.front().second;
    st.deadlines.pop_front();
    auto i = st.running.find(id);
    if (i == st.running.end())
      continue;
    answer_timed_out(st, id, i->second);
    st.overdue.emplace(id, i->second.started);
    st.running.erase(i);
  }
  arm_expire(self, now);
  start_held(self, now);
}

// -- admission ----------------------------------------------------------------

/// Runs an admitted call now, or holds it until a slot is free.
void run_admitted(command_ptr self, pending_call c) {
  auto& st = self->state;
  auto now = st.time->now();
  if (st.no_free_slot() || !st.held.empty() || st.out.backlog_full()) {
    c.held = true;
    st.held.push_back(std::move(c));
    if (st.out.backlog_full())
      hold_back(self);
    start_held(self, now);
    return;
  }
  start(self, std::move(c), now);
}

void admitted(command_ptr self, pending_call c, time_point now,
              duration waited) {
  auto& st = self->state;
  if (c.key.empty())
    remember(st.history, st.history_complete, remembered{now, c.cost});
  else
    st.history_complete = false; // a policy change reads keys from the log
  st.last_admitted = std::max(st.last_admitted, c.id);
  ++st.unsnapshotted;
  st.record(now, call_admitted{c.id, waited, c.cost, c.key});
  if (st.persist_first()) {
    // Runs once call_admitted is written: a crash cannot lose the
    // admission of a call that ran.
    ++st.admitting;
    st.out.after_written(self, deferred{std::move(c), {}, true});
    return;
  }
  run_admitted(self, std::move(c));
}

/// The error of a cost the limiter can never admit (x/time/rate's WaitN:
/// "Wait(n=%d) exceeds limiter's burst %d").
[[nodiscard]] caf::error cost_error(const command_state& st, uint64_t cost,
                                    const std::string& call) {
  return make_error(errc::bad_request,
                    st.what() + ": " + call + "cost " + std::to_string(cost) +
                        " exceeds the limiter's capacity " +
                        std::to_string(capacity(*st.limiter)) + " (" +
                        st.policy_text + ")");
}

/// Answers a waiting call whose cost the limiter (changed since it came) can
/// never admit; recorded as call_throttled (rejected).
void refuse_cost(command_state& st, pending_call& c, time_point now) {
  st.record(now, call_throttled{c.id, duration::max(),
                                throttle_action::rejected, c.key});
  st.answer_after_record(c, caf::make_message(cost_error(
                                st, c.cost, call_name(c.id, c.key) + ": ")));
}

void refuse_full(command_state& st, pending_call& c, time_point now,
                 duration retry_after) {
  st.record(
      now, call_throttled{c.id, retry_after, throttle_action::rejected, c.key});
  auto text = st.what() + ": " + call_name(c.id, c.key) + ": " +
              std::to_string(st.queued()) + " calls are queued (queue_limit " +
              std::to_string(st.config.queue_limit) + ")";
  st.answer_after_record(
      c, caf::make_message(make_error(errc::queue_full, std::move(text))));
}

/// Answers `c` with errc::expired: it waited `waited` (from its request to
/// now) and may wait no longer. Recorded as call_throttled (expired), whose
/// retry_after is `retry_after`.
void answer_expired(command_state& st, pending_call& c, time_point now,
                    duration waited, duration retry_after,
                    const std::string& why) {
  st.record(now,
            call_throttled{c.id, retry_after, throttle_action::expired, c.key});
  auto text = st.what() + ": " + call_name(c.id, c.key) + " waited " +
              duration_to_string(waited) + "; " + why + "; not run";
  st.answer_after_record(
      c, caf::make_message(make_error(errc::expired, std::move(text))));
}

/// The max wait of `c` as text (its deadline minus its request at `at`).
std::string max_wait_text(const pending_call& c, time_point at) {
  if (c.deadline < at)
    return "-" + duration_to_string(detail::wait_between(c.deadline, at));
  return duration_to_string(detail::wait_between(at, c.deadline));
}

void drain(command_ptr self);

/// Expires the waiting calls whose deadline is at or before `now` (drain()
/// has admitted those it could at `now`), then lets the queue move on.
void expire_waiting(command_ptr self) {
  auto& st = self->state;
  auto now = st.time->now();
  bool any = false;
  for (auto i = st.waiting.begin(); i != st.waiting.end();) {
    if (i->deadline > now) {
      ++i;
      continue;
    }
    pending_call c;
    i = st.take_waiting(i, c);
    auto waited = detail::wait_between(c.queued, now);
    answer_expired(st, c, now, waited, waited,
                   "its max_wait " + max_wait_text(c, c.queued) +
                       " has passed");
    any = true;
  }
  if (any) {
    // The next waiting call is considered now (an expired head held it).
    st.wake_timer = 0;
    drain(self);
  }
  arm_deadline(self, now);
}

void throttle(command_ptr self, pending_call c, time_point now, admission a) {
  auto& st = self->state;
  switch (st.config.action) {
    case on_throttle::wait: {
      if (st.queued() >= st.config.queue_limit) {
        refuse_full(st, c, now, a.retry_after);
        return;
      }
      if (c.deadline != never) {
        // As x/time/rate's Wait: a wait longer than the caller allows is
        // answered at once, taking nothing.
        auto at = st.key_waits(c.key)
                      ? earliest_behind_queue(st, now, c.key, c.cost)
                      : a.earliest;
        if (at > c.deadline) {
          auto need = detail::wait_between(now, at);
          answer_expired(st, c, now, duration{0}, need,
                         "the limiter admits it " +
                             (at == never
                                  ? std::string{"never"}
                                  : "after " + duration_to_string(need)) +
                             ", past its max_wait " + max_wait_text(c, now));
          return;
        }
      }
      st.record(now, call_throttled{c.id, a.retry_after,
                                    throttle_action::waited, c.key});
      c.queued = now;
      st.push_waiting(std::move(c));
      arm_wake(self, now, a.earliest);
      arm_deadline(self, now);
      return;
    }
    case on_throttle::reject: {
      st.record(now, call_throttled{c.id, a.retry_after,
                                    throttle_action::rejected, c.key});
      // For people, and exact when that is rounded ("195ms (exactly
      // 195449961ns)", but "1.5s"): a client that waited a rounded-down
      // time would be throttled again.
      auto retry = std::string{"never"};
      if (a.earliest != never) {
        retry = duration_to_text(a.retry_after);
        if (auto read = parse_duration(retry);
            !read || read.value() != a.retry_after)
          retry += " (exactly " + duration_to_string(a.retry_after) + ")";
      }
      st.answer_after_record(
          c, caf::make_message(make_error(
                 errc::throttled, st.what() + ": " + call_name(c.id, c.key) +
                                      " came too fast; retry after " + retry)));
      return;
    }
    case on_throttle::drop:
      st.record(now, call_throttled{c.id, a.retry_after,
                                    throttle_action::dropped, c.key});
      return;
  }
}

/// Admits what the limiter lets through from the head of the wait queue.
void drain(command_ptr self) {
  auto& st = self->state;
  if (st.changing_policy)
    return;
  auto now = st.time->now();
  // The keys whose first waiting call the limiter refused now: their later
  // calls wait behind it; other keys' calls go on (FIFO per key).
  std::unordered_set<std::string> blocked;
  for (auto i = st.waiting.begin(); i != st.waiting.end();) {
    if (!blocked.empty() && blocked.contains(i->key)) {
      ++i;
      continue;
    }
    if (i->deadline < now) {
      // Its max wait passed before the queue reached it (a late timer).
      pending_call c;
      i = st.take_waiting(i, c);
      auto waited = detail::wait_between(c.queued, now);
      answer_expired(st, c, now, waited, waited,
                     "its max_wait " + max_wait_text(c, c.queued) +
                         " has passed");
      continue;
    }
    auto a = decide(st, now, i->key, i->cost);
    if (!a.admitted) {
      if (a.earliest == never && st.limiter &&
          i->cost > capacity(*st.limiter)) {
        // A policy change left it more than the limiter ever holds.
        pending_call c;
        i = st.take_waiting(i, c);
        refuse_cost(st, c, now);
        continue;
      }
      arm_wake(self, now, a.earliest);
      if (st.waiting_keys.size() <= 1)
        return; // one key waits: nothing behind its head moves
      blocked.insert(i->key);
      ++i;
      continue;
    }
    pending_call c;
    i = st.take_waiting(i, c);
    auto waited = now - c.queued;
    admitted(self, std::move(c), now, waited);
  }
}

/// Checks a call's cost before it gets an id (x/time/rate's WaitN refuses
/// n > burst at once); none if the call can go on.
[[nodiscard]] caf::error check_cost(const command_state& st, uint64_t cost) {
  if (cost == 0)
    return make_error(errc::bad_request,
                      st.what() + ": cost 0; a call costs at least 1");
  if (st.limiter && cost > capacity(*st.limiter))
    return cost_error(st, cost, "");
  return caf::none;
}

/// Checks a keyed call's key before it gets an id; none if the call can go
/// on. ("" is the unkeyed limiter's.)
[[nodiscard]] caf::error check_key(const command_state& st,
                                   const std::string& key) {
  if (key.size() > max_key_size)
    return make_error(errc::bad_request, st.what() + ": a key of " +
                                             std::to_string(key.size()) +
                                             " bytes; a key has at most " +
                                             std::to_string(max_key_size));
  return caf::none;
}

/// The deadline of a call requested at `now` that may wait `max_wait`
/// (caf::timespan::max(): none), saturating at the ends of time.
time_point deadline_of(time_point now, caf::timespan max_wait) {
  if (max_wait == caf::timespan::max())
    return never;
  auto d = std::chrono::duration_cast<duration>(max_wait);
  return detail::add_sat(now, d);
}

void on_call(command_ptr self, pending_call c, caf::timespan max_wait) {
  auto& st = self->state;
  auto now = st.time->now();
  c.id = st.next_id++;
  c.promise = self->make_response_promise();
  c.deadline = deadline_of(now, max_wait);
  if (c.deadline < now) {
    // As x/time/rate's Wait with a context already done: answered at once,
    // whatever the limiter says, taking nothing.
    auto a = peek(st, now, c.key, c.cost);
    answer_expired(st, c, now, duration{0}, a.retry_after,
                   "its max_wait " + max_wait_text(c, now) +
                       " had passed when it came");
    return;
  }
  // The request itself is not recorded: the call_admitted or call_throttled
  // that follows tells of it (the compact call record, FORMAT.md).
  if (!c.key.empty() && st.keyed)
    // A little eviction per keyed call: a key idle long enough to be as
    // good as new is forgotten (exact: policies/keyed_limiter.hpp).
    (void)st.keyed->evict_some(now, evict_per_call);
  if (st.key_waits(c.key)) {
    // Behind its key's queue (FIFO), even if the limiter would admit it now.
    auto a = peek(st, now, c.key, c.cost);
    throttle(self, std::move(c), now, a);
    return;
  }
  if (st.slots_full() && st.queued() >= st.config.queue_limit) {
    refuse_full(st, c, now, duration{0});
    return;
  }
  auto a = decide(st, now, c.key, c.cost);
  if (a.admitted)
    admitted(self, std::move(c), now, duration{0});
  else
    throttle(self, std::move(c), now, a);
}

/// True (and asks the Log to say when it has caught up) while the Log's
/// backlog is over its limit: calls then stay in the mailbox. Every message
/// the actor handles makes it look at them again: the Log's answer to the
/// flush, or, if the backlog is still full then, a timer a little later.
bool hold_back(command_ptr self) {
  auto& st = self->state;
  if (!st.out.backlog_full())
    return false;
  if (!st.waiting_for_backlog) {
    st.waiting_for_backlog = true;
    self->request(st.out.log(), caf::infinite, flush_atom::value)
        .then(
            [self](seq_t) {
              if (!self->state.out.backlog_full()) {
                self->state.waiting_for_backlog = false;
                start_held(self, self->state.time->now());
                return;
              }
              self->delayed_send(self, std::chrono::milliseconds{1},
                                 backlog_atom::value);
            },
            [self](caf::error&) { self->state.waiting_for_backlog = false; });
  }
  return true;
}

/// Takes a call of `cost` (of `*key`, if given) that may wait `max_wait`:
/// skipped (left in the mailbox) while the command holds calls back,
/// answered at once with the error of a bad key or cost, else queued or run
/// with `fill` giving it its payload. Nothing is moved out of the message
/// before it is known to be taken.
template <class Result, class Fill>
caf::result<Result> take_call(command_ptr self, std::string* key, uint64_t cost,
                              caf::timespan max_wait, Fill fill) {
  if (self->state.changing_policy || hold_back(self))
    return caf::skip;
  if (key)
    if (auto err = check_key(self->state, *key))
      return err;
  if (auto err = check_cost(self->state, cost))
    return err;
  pending_call c;
  if (key)
    c.key = std::move(*key);
  c.cost = cost;
  fill(c);
  on_call(self, std::move(c), max_wait);
  return caf::delegated<Result>{};
}

/// Installs a fresh limiter of `spec` fed with every admission of the
/// command, read from the log (all of them are written by now).
void apply_policy(command_ptr self, const parsed_limiter& spec) {
  auto& st = self->state;
  st.limiter = fresh_limiter(spec);
  st.keyed = fresh_keyed(spec);
  std::deque<remembered> history;
  auto err =
      st.store->replay({.source = st.source, .type = event_type::call_admitted},
                       [&](const envelope& x) {
                         auto& body = std::get<call_admitted>(x.body);
                         if (!body.key.empty()) {
                           if (st.keyed) {
                             (void)st.keyed->admit(body.key, x.time, body.cost);
                             (void)st.keyed->evict_some(x.time, evict_per_call);
                           }
                           return true;
                         }
                         if (st.limiter)
                           (void)admit(*st.limiter, x.time, body.cost);
                         if (history.size() == history_limit)
                           history.pop_front();
                         history.push_back(remembered{x.time, body.cost});
                         return true;
                       });
  if (err)
    self->quit(err); // the log cannot be read: fail-stop, like a Log failure
  st.history = std::move(history);
}

// -- snapshots ----------------------------------------------------------------

// A command's snapshot: the limiter fed with every admission the log holds
// up to the snapshot's seq, and what else a restart needs. It is taken only
// when every admission so far is written, so a restart feeds exactly the
// call_admitted events past that seq (by seq, not by call id: a call that
// waited is admitted after calls with higher ids). `last_admitted` is the
// highest id admitted (kept for the format; a restart does not need it).
// Version 4 adds the keys' limiters (keyed_limiter's bytes, after the
// rest). Versions 2 and 3, written by earlier builds, are passed over: the
// restart reads the command's whole log (once; the next snapshot is of
// version 4).
constexpr std::string_view snapshot_tag = "tc.command/4";

std::string snapshot_name(const std::string& command) {
  return "command:" + command;
}

struct command_snapshot {
  /// Whose it is.
  std::string command;
  /// The spec the limiter was built from (and the last policy_changed).
  std::string policy;
  std::optional<under_limiter> limiter;
  std::deque<remembered> history;
  bool history_complete = true;
  uint64_t last_admitted = 0;
  /// The highest call id handed out.
  uint64_t max_id = 0;
  /// The keys' limiters (keyed_limiter::serialize(); read with the spec),
  /// empty for an unlimited command.
  std::string keyed;
};

std::string encode(const command_snapshot& x) {
  detail::snapshot_writer w{snapshot_tag};
  w.str(x.command);
  w.str(x.policy);
  w.str(x.limiter ? serialize_under_limiter(*x.limiter) : std::string{});
  w.u64(x.history.size());
  for (auto h : x.history) {
    w.time(h.at);
    w.u64(h.cost);
  }
  w.u64(x.history_complete ? 1 : 0);
  w.u64(x.last_admitted);
  w.u64(x.max_id);
  w.str(x.keyed);
  return std::move(w).take();
}

/// Reads a snapshot of snapshot_tag (any other is passed over).
std::optional<command_snapshot> decode(std::string_view bytes) {
  detail::snapshot_reader r{bytes, snapshot_tag};
  command_snapshot x;
  x.command = r.str();
  x.policy = r.str();
  auto limiter = r.str();
  if (r.ok() && !limiter.empty()) {
    x.limiter = deserialize_under_limiter(limiter);
    if (!x.limiter)
      r.fail("the limiter's state does not read");
  }
  for (auto n = r.count(); r.ok() && n > 0; --n) {
    auto at = r.time();
    x.history.push_back(remembered{at, r.u64()});
  }
  if (r.ok() && x.history.size() > history_limit)
    r.fail("too many admission times");
  x.history_complete = r.u64() == 1;
  x.last_admitted = r.u64();
  x.max_id = r.u64();
  if (r.ok() && x.last_admitted > x.max_id)
    r.fail("an admitted call id above the highest id");
  x.keyed = r.str();
  if (r.finish())
    return std::nullopt;
  return x;
}

/// Saves a snapshot once `snapshot_every` admissions are past the last one
/// and every admission so far is written (persist, then act).
void maybe_snapshot(command_ptr self) {
  auto& st = self->state;
  // A snapshot writes every key held, so with many keys it waits for a
  // sixteenth as many admissions as there are keys: its cost stays at most
  // 16 keys written per admission.
  auto every = std::max<uint64_t>(st.config.snapshot_every,
                                  st.keyed ? st.keyed->size() / 16 : 0);
  if (st.config.snapshot_every == 0 || st.unsnapshotted < every ||
      st.admitting != 0 || st.changing_policy > 0 || st.out.waiting() != 0 ||
      st.config.admission != admission_mode::persist_then_act)
    return;
  st.unsnapshotted = 0;
  std::string keyed;
  if (st.keyed) {
    (void)st.keyed->evict(st.time->now()); // idle keys need no bytes
    keyed = st.keyed->serialize();
  }
  command_snapshot x{st.source,      st.policy_text,      st.limiter,
                     st.history,     st.history_complete, st.last_admitted,
                     st.next_id - 1, std::move(keyed)};
  // All admissions so far are written, so the log's last seq covers them;
  // later ones get higher seqs. A failed save costs only a longer restart
  // (and a store that fails fails the Log, which stops the command).
  (void)st.store->save_snapshot(snapshot_name(st.source), st.store->last_seq(),
                                encode(x));
}

/// Runs a deferred action once the Log has its events.
void run_deferred(command_ptr self, deferred& d) {
  if (d.policy) {
    apply_policy(self, *d.policy);
    d.call.promise.deliver(std::move(d.answer));
    if (--self->state.changing_policy > 0)
      return; // another change waits: calls wait for it too
    self->state.wake_timer = 0;
    drain(self);
    return;
  }
  if (d.start) {
    --self->state.admitting;
    maybe_snapshot(self);
    run_admitted(self, std::move(d.call));
  } else
    d.call.promise.deliver(std::move(d.answer));
}

/// Hands the queued events to the Log.
void send_out(command_ptr self) {
  self->state.out.send(
      self, [self](deferred& d) { run_deferred(self, d); },
      [self](deferred& d, const caf::error& err) {
        if (d.start)
          --self->state.admitting;
        d.call.promise.deliver(err);
      });
}

/// Answers every call the command still holds with `err` (it exits).
void answer_all(command_ptr self, const caf::error& err) {
  auto& st = self->state;
  for (auto& d : st.out.take_waiting())
    if (d.start || d.policy) // neither ran nor was applied
      d.call.promise.deliver(err);
    else
      d.call.promise.deliver(std::move(d.answer));
  for (auto* q : {&st.waiting, &st.held})
    for (auto& c : *q)
      c.promise.deliver(err);
  st.waiting.clear();
  st.waiting_keys.clear();
  st.held.clear();
  for (auto& [id, r] : st.running)
    r.promise.deliver(err);
  st.running.clear();
  st.out.send_remaining();
}

// -- behavior -----------------------------------------------------------------

/// What spawn_command found in the log.
struct rebuilt {
  std::optional<under_limiter> limiter;
  std::optional<keyed_limiter> keyed;
  std::deque<remembered> history;
  bool history_complete = true;
  uint64_t next_id = 1;
  uint64_t last_admitted = 0;
};

struct command_args {
  command_config config;
  parsed_limiter limiter;
  /// The configured limiter differs from the last one recorded.
  bool record_policy = false;
  rebuilt state;
  operation op;
  log_actor log;
  std::shared_ptr<clock> time;
  std::shared_ptr<detail::log_backlog> backlog;
  std::shared_ptr<command_registry> registry;
  std::shared_ptr<event_store> store;
};

caf::behavior command_impl(command_ptr self,
                           std::shared_ptr<command_args> args) {
  auto& st = self->state;
  st.source = args->config.name;
  st.config = std::move(args->config);
  st.op = std::move(args->op);
  st.log = args->log;
  st.out = detail::recorder<deferred>{std::move(args->log),
                                      std::move(args->backlog), st.source};
  st.time = std::move(args->time);
  st.limiter = std::move(args->state.limiter);
  st.keyed = std::move(args->state.keyed);
  st.history = std::move(args->state.history);
  st.history_complete = args->state.history_complete;
  st.store = std::move(args->store);
  st.next_id = args->state.next_id;
  st.last_admitted = args->state.last_admitted;
  st.policy_text = args->limiter.text;
  st.self = self;
  if (args->record_policy)
    st.record(st.time->now(), policy_changed{args->limiter.text});
  auto registry = args->registry;
  self->attach_functor(
      [registry, name = st.source,
       handle = caf::actor_cast<caf::actor_addr>(self)](const caf::error&) {
        registry->remove(name, caf::actor_cast<caf::actor>(handle));
      });
  // Stopped (runtime::shutdown): hand over what is recorded, answer who
  // still waits.
  self->set_exit_handler([self](caf::exit_msg& x) {
    answer_all(self,
               make_error(errc::closed, self->state.what() +
                                            ": stopped before the call ran (" +
                                            render(x.reason) + ")"));
    self->quit(x.reason);
  });
  // The Log is where every fact goes: without it, stop (fail-stop).
  self->monitor(st.log);
  self->set_down_handler([self](caf::down_msg& x) {
    if (x.source != self->state.log.address())
      return;
    auto err =
        x.reason ? x.reason : make_error(errc::closed, "the Log stopped");
    answer_all(self, err);
    // Nothing can be recorded any more (fail-stop), but callers that come
    // later learn why, rather than that the command is gone: every message
    // is answered with the Log's error until the runtime shuts down.
    self->set_default_handler(
        [err](caf::scheduled_actor*,
              caf::message_view&) -> caf::result<caf::message> { return err; });
    self->become(caf::behavior{[](detail::out_atom) {}});
  });
  bool proxy = std::holds_alternative<caf::actor>(st.op);
  self->set_default_handler(
      [proxy](caf::scheduled_actor* ptr,
              caf::message_view& x) -> caf::result<caf::message> {
        auto self = static_cast<command_ptr>(ptr);
        if (!proxy)
          return make_error(errc::unexpected_message,
                            self->state.what() +
                                ": expected (call, string), got " +
                                to_string(x.copy_content_to_message()));
        if (self->state.changing_policy || hold_back(self))
          return caf::skip;
        pending_call c;
        c.msg = x.move_content_to_message();
        on_call(self, std::move(c), caf::timespan::max());
        return caf::delegated<caf::message>{};
      });
  caf::message_handler control{
      [self](policy_atom, std::string& text) -> caf::result<bool> {
        auto& st = self->state;
        auto parsed = parse_limiter(st.what(), text);
        if (!parsed)
          return std::move(parsed.error());
        auto now = st.time->now();
        st.record(now, policy_changed{parsed->text});
        st.policy_text = parsed->text;
        pending_call c;
        c.promise = self->make_response_promise();
        if (!st.history_complete) {
          // The new limiter must see every admission, and only the log has
          // them all: it is built once everything recorded is written;
          // calls wait until then.
          ++st.changing_policy;
          st.out.after_written(
              self, deferred{std::move(c), caf::make_message(true), false,
                             std::make_shared<parsed_limiter>(*parsed)});
          return caf::delegated<bool>{};
        }
        st.limiter = fresh_limiter(*parsed);
        st.keyed = fresh_keyed(*parsed); // no keyed call was ever admitted
        if (st.limiter)
          for (auto h : st.history)
            (void)admit(*st.limiter, h.at, h.cost);
        // Calls admitted under the new limiter are written after this
        // record, so applying it now is safe; the answer waits for it.
        st.out.after_written(self,
                             deferred{std::move(c), caf::make_message(true)});
        // The queue head's time may have moved either way.
        st.wake_timer = 0;
        drain(self);
        return caf::delegated<bool>{};
      },
      [self](check_atom) -> caf::timestamp {
        auto& st = self->state;
        auto now = st.time->now();
        return st.limiter ? check(*st.limiter, now).earliest : now;
      },
      [self](out_atom) { send_out(self); },
      [self](backlog_atom) {
        self->state.waiting_for_backlog = false;
        if (!hold_back(self))
          start_held(self, self->state.time->now());
      },
      [self](wake_atom, uint64_t id) {
        if (id != self->state.wake_timer)
          return;
        self->state.wake_timer = 0;
        drain(self);
      },
      [self](expire_atom, uint64_t id) {
        if (id != self->state.expire_timer)
          return;
        self->state.expire_timer = 0;
        expire(self);
      },
      [self](deadline_atom, uint64_t id) {
        if (id != self->state.deadline_timer)
          return;
        self->state.deadline_timer = 0;
        // Admit what the limiter allows at this instant first: a call
        // whose wait ends exactly at its deadline runs.
        drain(self);
        expire_waiting(self);
      },
      [self](done_atom, uint64_t id, std::string& x) {
        finish(self, id, caf::make_message(std::move(x)));
      },
      [self](done_atom, uint64_t id, caf::error& x) {
        finish(self, id, caf::make_message(std::move(x)));
      },
  };
  if (proxy)
    return control.or_else(
        [self](call_with_atom, uint64_t cost, caf::timespan max_wait,
               caf::message& msg) -> caf::result<caf::message> {
          return take_call<caf::message>(
              self, nullptr, cost, max_wait,
              [&](pending_call& c) { c.msg = std::move(msg); });
        },
        [self](call_with_atom, key_atom, std::string& key, uint64_t cost,
               caf::timespan max_wait,
               caf::message& msg) -> caf::result<caf::message> {
          return take_call<caf::message>(
              self, &key, cost, max_wait,
              [&](pending_call& c) { c.msg = std::move(msg); });
        });
  return control.or_else(
      [self](call_atom, std::string& args) -> caf::result<std::string> {
        if (self->state.changing_policy || hold_back(self))
          return caf::skip;
        pending_call c;
        c.args = std::move(args);
        on_call(self, std::move(c), caf::timespan::max());
        return caf::delegated<std::string>{};
      },
      [self](call_atom, std::string& args, uint64_t cost,
             caf::timespan max_wait) -> caf::result<std::string> {
        return take_call<std::string>(
            self, nullptr, cost, max_wait,
            [&](pending_call& c) { c.args = std::move(args); });
      },
      [self](call_atom, key_atom, std::string& key, std::string& args,
             uint64_t cost,
             caf::timespan max_wait) -> caf::result<std::string> {
        return take_call<std::string>(
            self, &key, cost, max_wait,
            [&](pending_call& c) { c.args = std::move(args); });
      });
}

// -- spawning -----------------------------------------------------------------

[[nodiscard]] caf::expected<caf::actor>
spawn_impl(runtime& rt, command_config config, operation op) {
  if (config.name.empty())
    return make_error(errc::bad_config, "command: the name is empty");
  auto who = "command '" + config.name + "'";
  if (auto* target = std::get_if<caf::actor>(&op); target && !*target)
    return make_error(errc::bad_config, who + ": the target actor is invalid");
  if (auto* f = std::get_if<sync_operation>(&op); f && !*f)
    return make_error(errc::bad_config, who + ": the operation is empty");
  if (auto* f = std::get_if<async_operation>(&op); f && !*f)
    return make_error(errc::bad_config, who + ": the operation is empty");
  if (config.timeout < duration{0})
    return make_error(errc::bad_config,
                      who + ": timeout is negative (" +
                          std::to_string(config.timeout.count()) + "ns)");
  auto parsed = parse_limiter(who, config.limiter);
  if (!parsed)
    return std::move(parsed.error());
  if (rt.commands().find(config.name))
    return make_error(errc::bad_config,
                      who + ": a running command has this name already");
  // A command of this name that stopped a moment ago handed its last
  // events to the Log as it exited (before it left the registry), and in
  // act_then_record mode they may include admissions of calls that ran.
  // The rebuild below reads the store, so wait until the Log has written
  // them: else a restart in the same process would escape the limit and
  // hand out call ids again.
  if (rt.backlog() > 0)
    if (auto flushed = rt.flush(); !flushed)
      return std::move(flushed.error());
  // Rebuild from the command's own events, after its snapshot if it has one
  // of the configured spec.
  rebuilt state;
  state.limiter = fresh_limiter(*parsed);
  state.keyed = fresh_keyed(*parsed);
  std::optional<std::string> logged_policy;
  uint64_t max_id = 0;
  seq_t from = 1;
  if (auto saved = rt.store().load_snapshot(snapshot_name(config.name));
      saved && *saved) {
    auto x = decode((*saved)->state);
    std::optional<keyed_limiter> keyed;
    if (x && parsed->spec && !x->keyed.empty())
      keyed = keyed_limiter::deserialize(*parsed->spec, x->keyed);
    // The keys' bytes must read too (and be there exactly when the spec
    // limits), else the snapshot is passed over.
    bool keys_ok = x && (parsed->spec ? keyed.has_value() : x->keyed.empty());
    if (x && keys_ok && x->command == config.name &&
        x->policy == parsed->text) {
      state.keyed = std::move(keyed);
      state.limiter = std::move(x->limiter);
      state.history = std::move(x->history);
      state.history_complete = x->history_complete;
      state.last_admitted = x->last_admitted;
      logged_policy = x->policy;
      max_id = x->max_id;
      from = (*saved)->seq + 1;
    }
  }
  auto err = rt.store().replay(
      {.from = from, .source = config.name}, [&](const envelope& x) {
        std::visit(
            [&](const auto& body) {
              using type = std::decay_t<decltype(body)>;
              if constexpr (requires { body.call_id; })
                max_id = std::max(max_id, body.call_id);
              if constexpr (std::is_same_v<type, call_admitted>) {
                // Every admission after the snapshot's seq is new to it (it
                // was taken with all admissions written). Not by id: a call
                // that waited is admitted after calls with higher ids (of
                // other keys).
                state.last_admitted =
                    std::max(state.last_admitted, body.call_id);
                if (!body.key.empty()) {
                  // A keyed call: its key's limiter (idle keys are
                  // forgotten as the replay goes, as live).
                  state.history_complete = false;
                  if (state.keyed) {
                    (void)state.keyed->admit(body.key, x.time, body.cost);
                    (void)state.keyed->evict_some(x.time, evict_per_call);
                  }
                  return;
                }
                if (state.limiter)
                  (void)admit(*state.limiter, x.time, body.cost);
                remember(state.history, state.history_complete,
                         remembered{x.time, body.cost});
              } else if constexpr (std::is_same_v<type, policy_changed>) {
                logged_policy = body.policy;
              }
            },
            x.body);
        return true;
      });
  if (err)
    return err;
  state.next_id = max_id + 1;
  auto args = std::make_shared<command_args>();
  args->config = std::move(config);
  args->limiter = *parsed;
  args->record_policy = logged_policy.value_or(std::string{}) != parsed->text;
  args->state = std::move(state);
  args->op = std::move(op);
  args->log = rt.log();
  args->time = rt.time_ptr();
  args->backlog = rt.backlog_ptr();
  args->store = rt.store_ptr();
  args->registry = rt.commands_ptr();
  auto name = args->config.name;
  bool proxy = std::holds_alternative<caf::actor>(args->op);
  auto handle = rt.system().spawn(command_impl, args);
  if (!rt.commands().add(name, handle, proxy)) {
    caf::anon_send_exit(handle, caf::exit_reason::user_shutdown);
    return make_error(errc::bad_config,
                      who + ": a running command has this name already");
  }

  rt.adopt(handle);
  return handle;
}

} // namespace

// -- free functions -----------------------------------------------------------

caf::expected<caf::actor> spawn_command(runtime& rt, command_config config,
                                        caf::actor target) {
  return spawn_impl(rt, std::move(config), operation{std::move(target)});
}

namespace {

// A command around a callable answers exactly command_actor's messages.
[[nodiscard]] caf::expected<command_actor> typed(caf::expected<caf::actor> x) {
  if (!x)
    return std::move(x.error());
  return caf::actor_cast<command_actor>(std::move(*x));
}

} // namespace

caf::expected<command_actor> spawn_command(runtime& rt, command_config config,
                                           sync_operation op) {
  return typed(spawn_impl(rt, std::move(config), operation{std::move(op)}));
}

caf::expected<command_actor> spawn_command(runtime& rt, command_config config,
                                           async_operation op) {
  return typed(spawn_impl(rt, std::move(config), operation{std::move(op)}));
}

caf::expected<std::string> call_blocking(caf::actor_system& sys,
                                         const caf::actor& command,
                                         std::string args) {
  if (!command)
    return make_error(errc::closed, "call_blocking: invalid command handle");
  caf::expected<std::string> result{caf::error{}};
  caf::scoped_actor self{sys};
  self->request(command, caf::infinite, call_atom::value, std::move(args))
      .receive([&](std::string& x) { result = std::move(x); },
               [&](caf::error& err) { result = std::move(err); });
  return result;
}

caf::expected<std::string> call_blocking(caf::actor_system& sys,
                                         const caf::actor& command,
                                         std::string args, uint64_t cost,
                                         caf::timespan max_wait) {
  if (!command)
    return make_error(errc::closed, "call_blocking: invalid command handle");
  caf::expected<std::string> result{caf::error{}};
  caf::scoped_actor self{sys};
  self->request(command, caf::infinite, call_atom::value, std::move(args), cost,
                max_wait)
      .receive([&](std::string& x) { result = std::move(x); },
               [&](caf::error& err) { result = std::move(err); });
  return result;
}

caf::expected<std::string> call_blocking(caf::actor_system& sys,
                                         const caf::actor& command, key_atom,
                                         std::string key, std::string args,
                                         uint64_t cost,
                                         caf::timespan max_wait) {
  if (!command)
    return make_error(errc::closed, "call_blocking: invalid command handle");
  caf::expected<std::string> result{caf::error{}};
  caf::scoped_actor self{sys};
  self->request(command, caf::infinite, call_atom::value, key_atom::value,
                std::move(key), std::move(args), cost, max_wait)
      .receive([&](std::string& x) { result = std::move(x); },
               [&](caf::error& err) { result = std::move(err); });
  return result;
}

} // namespace tc
