#include "timecontrol/actors/command.hpp"

#include <atomic>
#include <deque>
#include <exception>
#include <optional>
#include <unordered_map>
#include <variant>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/detail/behavior_impl.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/message_handler.hpp>
#include <caf/response_promise.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/system_messages.hpp>

#include "timecontrol/actors/log.hpp"
#include "timecontrol/actors/runtime.hpp"
#include "timecontrol/core/error.hpp"
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
/// Hand the queued events to the Log: (send_atom).
using send_atom = caf::atom_constant<caf::atom("cmd_send")>;

/// Admission times kept for rebuilding the limiter on a policy change.
constexpr size_t history_limit = 1024;

// -- state --------------------------------------------------------------------

using operation = std::variant<caf::actor, sync_operation, async_operation>;

/// A call not yet started.
struct pending_call {
  uint64_t id = 0;
  /// The whole message (proxy) or empty (callables).
  caf::message msg;
  /// The argument bytes (callables).
  std::string args;
  caf::response_promise promise;
  /// When it was queued (for call_admitted's `waited`).
  time_point queued{};
};

struct running_call {
  caf::response_promise promise;
  time_point started{};
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
  std::deque<time_point> history;
  uint64_t next_id = 1;
  /// Throttled calls waiting for the limiter (action wait), FIFO.
  std::deque<pending_call> waiting;
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
  bool starting = false;

  size_t queued() const noexcept { return waiting.size() + held.size(); }

  bool slots_full() const noexcept {
    return config.max_in_flight != 0 && running.size() >= config.max_in_flight;
  }

  /// Events not yet handed to the Log; shared with the exit functor, which
  /// hands over what is left.
  std::shared_ptr<std::vector<envelope>> outbox =
      std::make_shared<std::vector<envelope>>();

  /// The actor, for scheduling the hand-over to the Log.
  caf::event_based_actor* self = nullptr;

  /// Queues an event for the Log. The queue goes to the Log in one message
  /// once the actor has handled what is in its mailbox now.
  void record(time_point t, event body) {
    if (outbox->empty())
      self->send(self, send_atom::value);
    outbox->push_back(envelope{0, t, source, std::move(body)});
  }

  std::string what() const { return "command '" + source + "'"; }
};

using command_actor = caf::stateful_actor<command_state>;

/// Hands `events` to the Log without waiting for an answer.
void send_to_log(const log_actor& log, std::vector<envelope>& events) {
  auto n = events.size();
  if (n == 1)
    caf::anon_send(log, record_atom::value, std::move(events.front()));
  else if (n > 1)
    caf::anon_send(log, append_atom::value, std::move(events));
  events.clear();
  // The next batch is likely as large: one allocation instead of doublings.
  events.reserve(n);
}
using command_ptr = command_actor*;

// -- limiter ------------------------------------------------------------------

struct parsed_limiter {
  std::optional<limiter_spec> spec;
  /// The canonical text; empty for unlimited.
  std::string text;
};

caf::expected<parsed_limiter> parse_limiter(const std::string& who,
                                            const std::string& text) {
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

void remember(command_state& st, time_point t) {
  if (st.history.size() == history_limit)
    st.history.pop_front();
  st.history.push_back(t);
}

admission decide(command_state& st, time_point now) {
  if (!st.limiter)
    return admission{true, now, duration{0}};
  return admit(*st.limiter, now);
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

void start_held(command_ptr self, time_point now) {
  auto& st = self->state;
  if (st.starting)
    return;
  st.starting = true;
  while (!st.held.empty() && !st.slots_full()) {
    auto c = std::move(st.held.front());
    st.held.pop_front();
    start(self, std::move(c), now);
  }
  st.starting = false;
}

void answer_timed_out(command_state& st, uint64_t id, running_call& r) {
  st.record(st.time->now(), call_timed_out{id, st.config.timeout});
  r.promise.deliver(
      make_error(errc::timed_out, st.what() + ": call " + std::to_string(id) +
                                      " did not finish within " +
                                      duration_to_string(st.config.timeout)));
}

caf::error failure(const char* what) {
  return make_error(errc::operation_failed, what);
}

/// What call_finished records of a failed operation's error.
std::string text_of(const caf::error& err) {
  return is(err, errc::operation_failed) ? context_of(err) : render(err);
}

/// The caller's answer for a failed operation.
caf::error failed(const command_state& st, uint64_t id,
                  const std::string& text) {
  return make_error(errc::operation_failed,
                    st.what() + ": call " + std::to_string(id) + ": " + text);
}

caf::expected<std::string> run_sync(const sync_operation& f, std::string args) {
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
    i->second.promise.deliver(std::move(answer));
  } else {
    st.record(now, call_finished{id, took, false, text});
    i->second.promise.deliver(failed(st, id, text));
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

/// A response handler that takes any answer, values and errors alike (CAF
/// 0.17 behaviors match on types only).
class any_response final : public caf::detail::behavior_impl {
public:
  any_response(command_ptr self, uint64_t id) : self_(self), id_(id) {
    // nop
  }

  caf::match_case::result invoke(caf::detail::invoke_result_visitor&,
                                 caf::type_erased_tuple&) override {
    auto* x = self_->current_mailbox_element();
    finish(self_, id_, x ? x->move_content_to_message() : caf::message{});
    return caf::match_case::match;
  }

private:
  command_ptr self_;
  uint64_t id_;
};

void start(command_ptr self, pending_call c, time_point now) {
  auto& st = self->state;
  auto id = c.id;
  st.record(now, call_started{id});
  st.running.emplace(id, running_call{std::move(c.promise), now});
  if (st.config.timeout > duration{0}) {
    st.deadlines.emplace_back(detail::add_sat(now, st.config.timeout), id);
    arm_expire(self, now);
  }
  if (auto* target = std::get_if<caf::actor>(&st.op)) {
    auto handle = self->request(*target, caf::infinite, std::move(c.msg));
    self->add_multiplexed_response_handler(
        handle.id(), caf::behavior{caf::behavior::impl_ptr{
                         caf::make_counted<any_response>(self, id)}});
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

void admitted(command_ptr self, pending_call c, time_point now,
              duration waited) {
  auto& st = self->state;
  remember(st, now);
  st.record(now, call_admitted{c.id, waited});
  if (st.slots_full() || !st.held.empty()) {
    st.held.push_back(std::move(c));
    return;
  }
  start(self, std::move(c), now);
}

void refuse_full(command_state& st, pending_call& c, time_point now,
                 duration retry_after) {
  st.record(now, call_throttled{c.id, retry_after, throttle_action::rejected});
  c.promise.deliver(make_error(
      errc::queue_full, st.what() + ": call " + std::to_string(c.id) + ": " +
                            std::to_string(st.queued()) +
                            " calls are queued (queue_limit " +
                            std::to_string(st.config.queue_limit) + ")"));
}

void throttle(command_ptr self, pending_call c, time_point now, admission a) {
  auto& st = self->state;
  switch (st.config.action) {
    case on_throttle::wait:
      if (st.queued() >= st.config.queue_limit) {
        refuse_full(st, c, now, a.retry_after);
        return;
      }
      st.record(now,
                call_throttled{c.id, a.retry_after, throttle_action::waited});
      c.queued = now;
      st.waiting.push_back(std::move(c));
      arm_wake(self, now, a.earliest);
      return;
    case on_throttle::reject: {
      st.record(now,
                call_throttled{c.id, a.retry_after, throttle_action::rejected});
      auto retry = a.earliest == never ? std::string{"never"}
                                       : duration_to_string(a.retry_after);
      c.promise.deliver(make_error(
          errc::throttled, st.what() + ": call " + std::to_string(c.id) +
                               " came too fast; retry after " + retry));
      return;
    }
    case on_throttle::drop:
      st.record(now,
                call_throttled{c.id, a.retry_after, throttle_action::dropped});
      return;
  }
}

/// Admits what the limiter lets through from the head of the wait queue.
void drain(command_ptr self) {
  auto& st = self->state;
  auto now = st.time->now();
  while (!st.waiting.empty()) {
    auto a = decide(st, now);
    if (!a.admitted) {
      arm_wake(self, now, a.earliest);
      return;
    }
    auto c = std::move(st.waiting.front());
    st.waiting.pop_front();
    auto waited = now - c.queued;
    admitted(self, std::move(c), now, waited);
  }
}

void on_call(command_ptr self, pending_call c) {
  auto& st = self->state;
  auto now = st.time->now();
  c.id = st.next_id++;
  c.promise = self->make_response_promise();
  st.record(now, call_requested{c.id});
  if (!st.waiting.empty()) {
    // Behind the queue (FIFO), even if the limiter would admit it now.
    auto a = st.limiter ? check(*st.limiter, now) : admission{true, now, {}};
    throttle(self, std::move(c), now, a);
    return;
  }
  if (st.slots_full() && st.queued() >= st.config.queue_limit) {
    refuse_full(st, c, now, duration{0});
    return;
  }
  auto a = decide(st, now);
  if (a.admitted)
    admitted(self, std::move(c), now, duration{0});
  else
    throttle(self, std::move(c), now, a);
}

/// The sync operation if a call can run and be answered inside its handler
/// (nothing queued, a free slot, no time limit); nullptr otherwise.
const sync_operation* sync_fast_path(const command_state& st) {
  auto* f = std::get_if<sync_operation>(&st.op);
  if (f == nullptr || !st.waiting.empty() || !st.held.empty() ||
      st.slots_full() || st.config.timeout > duration{0})
    return nullptr;
  return f;
}

/// on_call() and start() for a sync_fast_path() call, without a response
/// promise and without the bookkeeping of running calls. Records the same
/// events.
caf::result<std::string> call_at_once(command_ptr self, const sync_operation& f,
                                      std::string& args) {
  auto& st = self->state;
  auto now = st.time->now();
  auto id = st.next_id++;
  st.record(now, call_requested{id});
  auto a = decide(st, now);
  if (!a.admitted) {
    pending_call c;
    c.id = id;
    c.args = std::move(args);
    c.promise = self->make_response_promise();
    throttle(self, std::move(c), now, a);
    return caf::delegated<std::string>{};
  }
  remember(st, now);
  st.record(now, call_admitted{id, duration{0}});
  st.record(now, call_started{id});
  auto result = run_sync(f, std::move(args));
  auto end = st.time->now();
  if (result) {
    st.record(end, call_finished{id, end - now, true, {}});
    return std::move(*result);
  }
  auto text = text_of(result.error());
  st.record(end, call_finished{id, end - now, false, text});
  return failed(st, id, text);
}

// -- behavior -----------------------------------------------------------------

/// What spawn_command found in the log.
struct rebuilt {
  std::optional<under_limiter> limiter;
  std::deque<time_point> history;
  uint64_t next_id = 1;
};

struct command_args {
  command_config config;
  parsed_limiter limiter;
  rebuilt state;
  operation op;
  log_actor log;
  std::shared_ptr<clock> time;
  std::shared_ptr<command_registry> registry;
};

caf::behavior command_impl(command_ptr self,
                           std::shared_ptr<command_args> args) {
  auto& st = self->state;
  st.source = args->config.name;
  st.config = std::move(args->config);
  st.op = std::move(args->op);
  st.log = std::move(args->log);
  st.time = std::move(args->time);
  st.limiter = std::move(args->state.limiter);
  st.history = std::move(args->state.history);
  st.next_id = args->state.next_id;
  st.self = self;
  auto registry = args->registry;
  self->attach_functor(
      [outbox = st.outbox, log = st.log, registry, name = st.source,
       handle = caf::actor_cast<caf::actor_addr>(self)](const caf::error&) {
        auto x = caf::actor_cast<caf::actor>(handle);
        registry->remove(name, x);
        send_to_log(log, *outbox);
      });
  // The Log is where every fact goes: without it, stop (fail-stop).
  self->monitor(st.log);
  self->set_down_handler([self](caf::down_msg& x) {
    if (x.source == self->state.log.address())
      self->quit(x.reason);
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
        pending_call c;
        c.msg = x.move_content_to_message();
        on_call(self, std::move(c));
        return caf::delegated<caf::message>{};
      });
  caf::message_handler control{
      [self](policy_atom, std::string& text) -> caf::result<bool> {
        auto& st = self->state;
        auto parsed = parse_limiter(st.what(), text);
        if (!parsed)
          return std::move(parsed.error());
        auto now = st.time->now();
        st.limiter = fresh_limiter(*parsed);
        if (st.limiter)
          for (auto t : st.history)
            admit(*st.limiter, t);
        st.record(now, policy_changed{parsed->text});
        // The queue head's time may have moved either way.
        st.wake_timer = 0;
        drain(self);
        return true;
      },
      [self](check_atom) -> caf::timestamp {
        auto& st = self->state;
        auto now = st.time->now();
        return st.limiter ? check(*st.limiter, now).earliest : now;
      },
      [self](send_atom) { send_to_log(self->state.log, *self->state.outbox); },
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
      [self](done_atom, uint64_t id, std::string& x) {
        finish(self, id, caf::make_message(std::move(x)));
      },
      [self](done_atom, uint64_t id, caf::error& x) {
        finish(self, id, caf::make_message(std::move(x)));
      },
  };
  if (proxy)
    return control;
  return control.or_else(
      [self](call_atom, std::string& args) -> caf::result<std::string> {
        if (auto* f = sync_fast_path(self->state))
          return call_at_once(self, *f, args);
        pending_call c;
        c.args = std::move(args);
        on_call(self, std::move(c));
        return caf::delegated<std::string>{};
      });
}

// -- spawning -----------------------------------------------------------------

caf::expected<caf::actor> spawn_impl(runtime& rt, command_config config,
                                     operation op) {
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
  // Rebuild from the command's own events.
  rebuilt state;
  state.limiter = fresh_limiter(*parsed);
  std::optional<std::string> logged_policy;
  uint64_t max_id = 0;
  auto err = rt.store().replay({.source = config.name}, [&](const envelope& x) {
    std::visit(
        [&](const auto& body) {
          using type = std::decay_t<decltype(body)>;
          if constexpr (requires { body.call_id; })
            max_id = std::max(max_id, body.call_id);
          if constexpr (std::is_same_v<type, call_admitted>) {
            if (state.limiter)
              admit(*state.limiter, x.time);
            if (state.history.size() == history_limit)
              state.history.pop_front();
            state.history.push_back(x.time);
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
  args->state = std::move(state);
  args->op = std::move(op);
  args->log = rt.log();
  args->time = rt.time_ptr();
  args->registry = rt.commands_ptr();
  auto name = args->config.name;
  auto handle = rt.system().spawn(command_impl, args);
  if (!rt.commands().add(name, handle)) {
    caf::anon_send_exit(handle, caf::exit_reason::user_shutdown);
    return make_error(errc::bad_config,
                      who + ": a running command has this name already");
  }
  if (logged_policy.value_or(std::string{}) != parsed->text)
    rt.record(name, policy_changed{parsed->text});
  rt.adopt(handle);
  return handle;
}

} // namespace

// -- free functions -----------------------------------------------------------

caf::expected<caf::actor> spawn_command(runtime& rt, command_config config,
                                        caf::actor target) {
  return spawn_impl(rt, std::move(config), operation{std::move(target)});
}

caf::expected<caf::actor> spawn_command(runtime& rt, command_config config,
                                        sync_operation op) {
  return spawn_impl(rt, std::move(config), operation{std::move(op)});
}

caf::expected<caf::actor> spawn_command(runtime& rt, command_config config,
                                        async_operation op) {
  return spawn_impl(rt, std::move(config), operation{std::move(op)});
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

} // namespace tc
