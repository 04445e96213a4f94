#include "timecontrol/actors/controller.hpp"

#include <set>
#include <unordered_map>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "timecontrol/actors/detail/atoms.hpp"
#include "timecontrol/actors/detail/recorder.hpp"
#include "timecontrol/actors/runtime.hpp"
#include "timecontrol/plugins/detail/bytes.hpp"
#include "timecontrol/policies/admission.hpp"
#include "timecontrol/policies/cron.hpp"
#include "timecontrol/policies/deadline.hpp"

namespace tc {

namespace {

// -- checks -------------------------------------------------------------------

[[nodiscard]] caf::error check_cron(const watch& x) {
  auto fail = [&](const std::string& why) {
    return make_error(errc::bad_config, "watch '" + x.command + "': " + why);
  };
  if (x.period != duration{0})
    return fail("a cron watch has no period (give a period or a cron "
                "schedule, not both)");
  if (auto schedule = cron_schedule::parse(x.cron); !schedule)
    return fail("the cron schedule '" + x.cron +
                "' does not parse: " + schedule.error().message + " (at byte " +
                std::to_string(schedule.error().position) + ")");
  if (x.grace < duration{0})
    return fail("the grace must not be negative");
  if (x.lead != duration{0})
    return fail("a cron watch takes no lead (it is due at its schedule's "
                "fire times; an early call would run the job before its "
                "time)");
  return caf::none;
}

[[nodiscard]] caf::error check(const watch& x) {
  if (x.command.empty())
    return make_error(errc::bad_config, "watch: the command name is empty");
  if (!x.cron.empty())
    return check_cron(x);
  if (x.period <= duration{0})
    return make_error(errc::bad_config,
                      "watch '" + x.command + "': the period must be positive");
  if (x.grace < duration{0})
    return make_error(errc::bad_config,
                      "watch '" + x.command +
                          "': the grace must not be negative");
  if (x.lead < duration{0})
    return make_error(errc::bad_config, "watch '" + x.command +
                                            "': the lead must not be negative");
  if (x.lead >= x.period)
    return make_error(errc::bad_config,
                      "watch '" + x.command + "': the lead (" +
                          std::to_string(x.lead.count()) +
                          "ns) must be shorter than the period (" +
                          std::to_string(x.period.count()) + "ns)");
  return caf::none;
}

// -- state --------------------------------------------------------------------

// No time (for `queued` and `asked_early`): a plain time with a value
// that never occurs, not an optional, which would take twice the bytes.
constexpr time_point no_time = time_point::max();

// One watched command; its name is the key it is kept under. Small, as a
// Controller may watch a great many: period (or cron schedule) and grace
// are in the deadline only.
struct watched {
  deadline policy;
  duration lead{0};
  // Its entry in the timer queue; no_time if none.
  time_point queued = no_time;
  // The due time an early call was asked for (see `lead`), so that one due
  // time gets one request; no_time if none.
  time_point asked_early = no_time;
  // The status last recorded for it.
  deadline_status recorded = deadline_status::never_called;
  // The latest time its status was decided as of (or, rebuilt from the
  // log, recorded at): it is never decided as of an earlier time again, so
  // a watermark behind a change decided by a later fact does not undo it.
  time_point decided = time_point::min();
  bool count_failures = false;

  // The watch as configured.
  watch config(const std::string& command) const {
    auto* cron = policy.schedule();
    return {command, policy.period(), policy.grace(),
            lead,    count_failures,  cron ? cron->text() : std::string{}};
  }
};

// What a status change does once its events are written (persist, then
// act): ask for a call, alarm, escalate.
struct reaction {
  std::string command;
  deadline_status status = deadline_status::never_called;
  bool call = false;
  bool alarm = false;
  bool escalate = false;
};

struct controller_state {
  static inline const char* name = "tc.controller";

  detail::recorder<reaction> out;

  runtime* rt = nullptr;
  controller_config config;
  std::unordered_map<std::string, watched> commands;
  // (next status change, command) of every command whose status changes by
  // time alone; the timer is set for the first.
  std::set<std::pair<time_point, const std::string*>> queue;
  std::vector<caf::actor> subscribers;
  uint64_t subscription = 0;
  size_t unacked = 0;
  // The timer that counts; older ones are ignored when they fire.
  uint64_t timer_id = 0;
  std::optional<time_point> timer_at;
  // Event time (see "Event time" in controller.hpp). Every event stamped
  // before `watermark` has been delivered; statuses are decided as of it.
  // Nothing is decided before the first watermark (`started`).
  time_point watermark = time_point::min();
  bool started = false;
  // The last seq the Bus delivered (or the rebuild read).
  seq_t seen = 0;
  // A watermark asked for and its answer: the time, and the seq the Log had
  // written by then; it holds once `seen` reaches that seq.
  bool asking = false;
  std::optional<std::pair<time_point, seq_t>> coming{};
  // Watermarks in a row held back by a recorder (see arm_timer).
  unsigned held_back = 0;
  // Events from the Bus since the last snapshot.
  uint64_t unsnapshotted = 0;
};

// The controller's whole interface: the public one and its own messages.
using controller_full =
    controller_actor::extend<caf::reacts_to<detail::out_atom>,
                             caf::reacts_to<detail::timer_atom, uint64_t>>;

using controller_pointer = controller_full::stateful_pointer<controller_state>;

void record(controller_pointer self, event body) {
  auto& st = self->state;
  st.out.record(self, st.rt->time().now(), std::move(body));
}

void arm_timer(controller_pointer self) {
  auto& st = self->state;
  if (st.queue.empty() || st.asking || st.coming)
    return; // (advance() arms it when the watermark comes)
  auto first = st.queue.begin()->first;
  if (st.timer_at && *st.timer_at <= first)
    return; // the running timer fires first, and re-arms then
  auto now = st.rt->time().now();
  st.timer_at = first;
  auto delay = std::max(first - now, duration{0});
  // A change that is due but not decided waits for a watermark past it.
  // Normally the next one is (it is taken at once), unless a recorder holds
  // an older event unsent (a Command running an operation in act_then_record
  // mode): after a few tries, ask again after 1, 2, 4 ... ms, and at the
  // latest when max_event_delay has passed, which decides it.
  if (delay == duration{0} && st.held_back >= 4) {
    auto backoff = duration{std::chrono::milliseconds{
        int64_t{1} << std::min<unsigned>(st.held_back - 4, 10)}};
    auto decide_at = detail::add_sat(first, st.config.max_event_delay);
    auto bound = std::max(detail::wait_between(now, decide_at),
                          duration{std::chrono::microseconds{1}});
    delay = std::min(backoff, bound);
  }
  self->delayed_send(self, std::chrono::duration_cast<caf::timespan>(delay),
                     detail::timer_atom::value, ++st.timer_id);
}

// When to ask early for a call of `w` (its due time minus its lead), if
// that is still to be done: with a lead and the call action, no call running,
// not asked yet for this due time, and not past it (then it is late, and the
// late action applies).
std::optional<time_point> early_call_at(const controller_state& st,
                                        const watched& w, time_point now) {
  if (w.lead <= duration{0} || !(st.config.actions & action_call) ||
      !st.config.scheduler || w.policy.is_paused() || w.policy.is_failed() ||
      w.policy.running_since())
    return std::nullopt;
  auto due = w.policy.due();
  if (!due || w.asked_early == *due || now > *due)
    return std::nullopt;
  return *due - w.lead;
}

// Queues `w` at its next status change after `t` (the watermark) or its
// early call after `now`, whichever comes first.
void requeue(controller_pointer self, const std::string& name, watched& w,
             time_point t, time_point now) {
  auto& st = self->state;
  if (w.queued != no_time)
    st.queue.erase({w.queued, &name});
  w.queued = w.policy.next_change(t).value_or(no_time);
  if (auto early = early_call_at(st, w, now); early && *early > now)
    w.queued = std::min(w.queued, *early);
  if (w.queued != no_time)
    st.queue.emplace(w.queued, &name);
}

void ask_for_call(controller_pointer self, const std::string& name) {
  caf::anon_send(self->state.config.scheduler, schedule_atom::value,
                 intent{name, "now", "", 0, "", 0});
}

bool overdue(deadline_status s) {
  return s == deadline_status::late || s == deadline_status::down;
}

// Records a change of `name`'s status as of `t` (the watermark), if any,
// and takes the actions. An early call (lead) is asked for as of now: it
// records nothing, and needs no watermark.
void evaluate(controller_pointer self, const std::string& name, watched& w,
              time_point t) {
  auto& st = self->state;
  t = std::max(t, w.decided);
  w.decided = t;
  auto status = w.policy.status(t);
  auto now = st.rt->time().now();
  if (auto early = early_call_at(st, w, now); early && *early <= now) {
    w.asked_early = w.policy.due().value_or(no_time);
    ask_for_call(self, name);
  }
  requeue(self, name, w, t, now);
  if (status == w.recorded)
    return;
  auto before = w.recorded;
  w.recorded = status;
  record(self, deadline_status_changed{name, before, status});
  if (!overdue(status))
    return;
  if (!overdue(before) && !w.policy.is_failed()) {
    // Overdue either past its due time, or by a run that outlasted its
    // grace -- then measured from the end of that grace, since the due
    // time may still lie ahead. (Down by a failed call is no miss: the
    // call_finished before it says why.)
    auto since = w.policy.due().value_or(t);
    if (auto start = w.policy.running_since())
      since = *start + w.policy.grace();
    record(self, deadline_missed{name, std::max(t - since, duration{0})});
  }
  reaction r{name, status,
             (st.config.actions & action_call) && st.config.scheduler,
             (st.config.actions & action_alarm) != 0,
             (st.config.actions & action_escalate) && st.config.supervisor};
  if (r.call || r.alarm || r.escalate)
    st.out.after_written(self, std::move(r));
}

// Decides every status change that is due by the watermark, each as of its
// own time (so up -> late -> down is recorded step by step, and a miss is
// measured at the change). No fact of its command stamped after that time
// is applied yet: such a fact first decides what was due before it
// (catch_up()).
void decide_due(controller_pointer self) {
  auto& st = self->state;
  while (!st.queue.empty() && st.queue.begin()->first <= st.watermark) {
    auto [at, name] = *st.queue.begin();
    evaluate(self, *name, st.commands.at(*name), at);
  }
}

// Before a fact of `w`'s command stamped `t` is applied: decides the changes
// of `w` due by `t` (a change at `t` itself comes before a fact stamped
// then: late from due + 1 ns, a call stamped then is late), each as of its
// time. A command's facts come in the
// order of their stamps (one recorder), so every fact of it stamped before
// `t` is applied already: those decisions need no watermark, and a call
// made after its due time cannot hide that it was late.
void catch_up(controller_pointer self, const std::string& name, watched& w,
              time_point t) {
  // Each step moves w.queued past the time it evaluates; the bound only
  // guards against a policy that would not.
  for (int step = 0; step < 16 && w.queued != no_time && w.queued <= t; ++step)
    evaluate(self, name, w, w.queued);
}

void send_now(controller_pointer self);

// A watermark asked for has come once every event the Log had written by
// then is delivered: decide what is due by it.
void advance(controller_pointer self) {
  auto& st = self->state;
  if (!st.coming || st.seen < st.coming->second)
    return;
  auto [at, seq] = *st.coming;
  st.coming.reset();
  // A stamp held unsent for longer than max_event_delay holds nothing back
  // (the idleness timeout of stream processors): its event, when it comes,
  // is applied as a late fact.
  auto now = st.rt->time().now();
  auto delay = st.config.max_event_delay; // >= 0
  auto bound =
      now < time_point::min() + delay ? time_point::min() : now - delay;
  st.watermark = std::max({st.watermark, at, bound});
  if (!st.started) {
    // Report what changed while nothing watched.
    st.started = true;
    for (auto& [name, w] : st.commands)
      evaluate(self, name, w, st.watermark);
  } else {
    decide_due(self);
  }
  if (!st.queue.empty() && st.queue.begin()->first <= now &&
      st.queue.begin()->first > at)
    ++st.held_back;
  else
    st.held_back = 0;
  arm_timer(self);
}

// Asks for a watermark: the earliest stamp a recorder still holds unsent
// (or now), then a Log flush, which is behind every event sent before; it
// holds once the Bus has delivered what the flush answers.
void ask_watermark(controller_pointer self) {
  auto& st = self->state;
  if (st.asking)
    return;
  st.asking = true;
  send_now(self); // our own events hold nothing back
  auto at = st.rt->backlog_ptr()->low_watermark(st.rt->time().now());
  self->request(st.rt->log(), caf::infinite, flush_atom::value)
      .then(
          [=](seq_t seq) {
            auto& st = self->state;
            st.asking = false;
            st.coming = std::pair{at, seq};
            advance(self);
          },
          [=](caf::error&) {
            // The Log failed: nothing can be recorded any more, and the
            // runtime reports why.
            self->state.asking = false;
          });
}

// Takes the actions of a status change whose events are written.
void react(controller_pointer self, const reaction& r) {
  auto& st = self->state;
  if (r.call)
    ask_for_call(self, r.command);
  if (r.alarm)
    for (auto& subscriber : st.subscribers)
      caf::anon_send(subscriber, alarm_atom::value, r.command, r.status);
  if (r.escalate)
    caf::anon_send(st.config.supervisor, escalate_atom::value, r.command,
                   r.status);
}

// Starts watching (or re-configures) a command, as of `since`. Null for a
// cron watch whose expression does not parse, which can come only from the
// log (check() refuses it otherwise): a time zone that left the system's tz
// database. Its command is then not watched (until watched anew).
watched* add_watch(controller_state& st, const watch& x, time_point since) {
  std::optional<cron_schedule> schedule;
  if (!x.cron.empty()) {
    auto parsed = cron_schedule::parse(x.cron);
    if (!parsed) {
      if (auto i = st.commands.find(x.command); i != st.commands.end()) {
        if (i->second.queued != no_time)
          st.queue.erase({i->second.queued, &i->first});
        st.commands.erase(i);
      }
      return nullptr;
    }
    schedule.emplace(std::move(parsed).value());
  }
  auto i = st.commands.find(x.command);
  if (i == st.commands.end()) {
    auto policy = schedule
                      ? deadline{std::move(*schedule), x.grace, since, true}
                      : deadline{x.period, x.grace, since, true};
    return &st.commands
                .emplace(x.command, watched{.policy = std::move(policy),
                                            .lead = x.lead,
                                            .count_failures = x.count_failures})
                .first->second;
  }
  // Keep what is known of its calls (runs in progress, a failure, a
  // pause); change period (or cron schedule), grace, lead and how failures
  // count.
  auto& w = i->second;
  w.lead = x.lead;
  w.count_failures = x.count_failures;
  // A watch that now counts failures as calls is not held down by one.
  if (x.count_failures)
    w.policy.forget_failure();
  if (schedule)
    w.policy.reconfigure(std::move(*schedule), x.grace, since);
  else
    w.policy.reconfigure(x.period, x.grace, since);
  return &w;
}

// Applies one event of the log to the state, without taking actions.
void apply_fact(controller_state& st, const envelope& x) {
  if (x.source == st.config.name) {
    if (auto* changed = std::get_if<deadline_status_changed>(&x.body)) {
      if (auto i = st.commands.find(changed->command); i != st.commands.end()) {
        i->second.recorded = changed->to;
        i->second.decided = std::max(i->second.decided, x.time);
      }
    } else if (auto* policy = std::get_if<policy_changed>(&x.body)) {
      watch w;
      if (parse_watch_spec(policy->policy, w)) {
        (void)add_watch(st, w, x.time);
      } else if (auto name = parse_unwatch_spec(policy->policy);
                 !name.empty()) {
        st.commands.erase(std::string{name});
      } else if (auto paused = parse_pause_spec(policy->policy);
                 !paused.empty()) {
        if (auto i = st.commands.find(std::string{paused});
            i != st.commands.end())
          i->second.policy.paused(x.time);
      } else if (auto resumed = parse_resume_spec(policy->policy);
                 !resumed.empty()) {
        if (auto i = st.commands.find(std::string{resumed});
            i != st.commands.end())
          i->second.policy.resumed(x.time);
      }
    }
    return;
  }
  auto i = st.commands.find(x.source);
  if (i == st.commands.end())
    return;
  // A run starts when the command admits it (the compact call record has
  // no call_started; logs of earlier builds have both, a few microseconds
  // apart, and a call held before it ran has both: the later one wins).
  // Runs are kept by call id, so that overlapping calls are each held to
  // the grace.
  auto& w = i->second;
  if (auto* admitted = std::get_if<call_admitted>(&x.body))
    w.policy.started(admitted->call_id, x.time);
  else if (auto* started = std::get_if<call_started>(&x.body))
    w.policy.started(started->call_id, x.time);
  else if (auto* finished = std::get_if<call_finished>(&x.body))
    w.policy.finished(finished->call_id, x.time,
                      finished->ok || w.count_failures);
}

// -- snapshots ----------------------------------------------------------------

// What the calls of each watched command say, as of a snapshot's seq: its
// deadline's state, of which a restart takes what the calls said (the last
// call, the runs in progress by call id, a failure, a resume by a call:
// deadline::merge_calls). These come only from events the Bus delivered, so
// from the log. The watches themselves and the statuses last recorded are not
// in it: the controller may have changed them by messages whose records are not
// written yet, so a restart reads them from its own events (few) instead. /4:
// deadlines of version 3 (with a cron schedule); a /3 snapshot of an earlier
// build (deadlines of version 2: runs by call id, failures, pauses) still
// reads; a /2 snapshot is passed over (the log is read whole).
constexpr std::string_view snapshot_tag = "tc.controller/4";
constexpr std::string_view snapshot_tag_3 = "tc.controller/3";

std::string snapshot_name(const std::string& controller) {
  return "controller:" + controller;
}

std::string encode(const std::string& controller,
                   const std::unordered_map<std::string, watched>& commands) {
  detail::snapshot_writer w{snapshot_tag};
  w.str(controller);
  w.u64(commands.size());
  for (auto& [name, x] : commands) {
    w.str(name);
    w.str(x.policy.serialize());
  }
  return std::move(w).take();
}

// The deadlines by command; nullopt if the bytes do not read or are another
// controller's.
std::optional<std::unordered_map<std::string, deadline>>
decode(const std::string& controller, std::string_view bytes) {
  detail::snapshot_reader r{bytes, snapshot_tag};
  if (!r.ok())
    r = detail::snapshot_reader{bytes, snapshot_tag_3};
  std::unordered_map<std::string, deadline> result;
  if (r.str() != controller && r.ok())
    r.fail("another controller's snapshot");
  for (auto n = r.count(); r.ok() && n > 0; --n) {
    auto name = r.str();
    auto policy = deadline::deserialize(r.str());
    if (!policy && r.ok())
      r.fail("a deadline's state does not read");
    if (!r.ok())
      break;
    if (!result.emplace(std::move(name), *policy).second)
      r.fail("a command appears twice");
  }
  if (r.finish())
    return std::nullopt;
  return result;
}

// After `snapshot_every` events, saves the state, which covers the log up
// to `seq`.
void maybe_snapshot(controller_pointer self, seq_t seq) {
  auto& st = self->state;
  if (st.config.snapshot_every == 0 ||
      ++st.unsnapshotted < st.config.snapshot_every)
    return;
  st.unsnapshotted = 0;
  // Only what the calls said goes in (see encode()). A failed save costs
  // only a longer restart.
  (void)st.rt->store_ptr()->save_snapshot(snapshot_name(st.config.name), seq,
                                          encode(st.config.name, st.commands));
}

// Hands what is recorded to the Log now: an answer sent after this is
// behind those events, so a flush its receiver sends next covers them.
void send_now(controller_pointer self) {
  self->state.out.send(
      self, [self](reaction& r) { react(self, r); },
      [](reaction&, const caf::error&) {});
}

// Pauses (or resumes) the watch of `name`: records "pause <name>" (or
// "resume <name>"), hands it to the Log, then changes the status. False if
// it is paused (or not paused) already: nothing is recorded.
caf::result<bool> pause_or_resume(controller_pointer self,
                                  const std::string& name, bool pause) {
  auto& st = self->state;
  auto i = st.commands.find(name);
  if (i == st.commands.end())
    return make_error(errc::not_found, "controller '" + st.config.name +
                                           "' does not watch '" + name + "'");
  auto& w = i->second;
  if (w.policy.is_paused() == pause)
    return false;
  auto now = st.rt->time().now();
  st.out.record(self, now,
                policy_changed{(pause ? "pause " : "resume ") + name});
  send_now(self);
  if (pause)
    w.policy.paused(now);
  else
    w.policy.resumed(now);
  w.asked_early = no_time;
  if (st.started)
    evaluate(self, i->first, w, st.watermark);
  arm_timer(self);
  return true;
}

// -- behavior -----------------------------------------------------------------

controller_full::behavior_type
controller_impl(controller_pointer self, runtime* rt, controller_config config,
                std::unordered_map<std::string, watched> commands,
                seq_t rebuilt_up_to, std::vector<std::string> new_watches) {
  auto& st = self->state;
  st.rt = rt;
  st.out =
      detail::recorder<reaction>{rt->log(), rt->backlog_ptr(), config.name};
  for (auto& spec : new_watches)
    record(self, policy_changed{std::move(spec)});
  st.config = std::move(config);
  st.config.watches = {}; // `commands` holds them now
  st.commands = std::move(commands);
  // Live events from where the rebuild stopped.
  self->request(rt->bus(), caf::infinite, attach_atom::value,
                caf::actor_cast<caf::actor>(self),
                replay_query{.from = rebuilt_up_to + 1})
      .then([=](uint64_t id) { self->state.subscription = id; },
            [=](caf::error& err) { self->quit(err); });
  // Without the Bus (the runtime shut down) there is nothing to watch.
  self->monitor(rt->bus());
  self->set_down_handler([=](caf::down_msg& msg) { self->quit(msg.reason); });
  // Report what changed while nothing watched, once the first watermark
  // says every event stamped before it is seen.
  st.seen = rebuilt_up_to;
  ask_watermark(self);
  return {
      [=](watch_atom, watch& x) -> caf::result<bool> {
        if (auto err = check(x))
          return err;
        auto& st = self->state;
        // The watch as it is: nothing changes and nothing is recorded (a
        // re-sent configuration must not restart a watch that is down).
        if (auto i = st.commands.find(x.command);
            i != st.commands.end() && i->second.config(i->first) == x)
          return false;
        auto now = st.rt->time().now();
        record(self, policy_changed{watch_spec(x)});
        send_now(self);
        auto* w = add_watch(st, x, now);
        if (w == nullptr) // not after check(), but never dereference null
          return make_error(errc::bad_config, "watch '" + x.command +
                                                  "': the cron schedule '" +
                                                  x.cron + "' does not parse");
        if (st.started)
          evaluate(self, st.commands.find(x.command)->first, *w, st.watermark);
        arm_timer(self);
        return true;
      },
      [=](unwatch_atom, std::string& name) -> bool {
        auto& st = self->state;
        auto i = st.commands.find(name);
        if (i == st.commands.end())
          return false;
        if (i->second.queued != no_time)
          st.queue.erase({i->second.queued, &i->first});
        st.commands.erase(i);
        record(self, policy_changed{"unwatch " + name});
        send_now(self);
        return true;
      },
      [=](pause_atom, std::string& name) -> caf::result<bool> {
        return pause_or_resume(self, name, true);
      },
      [=](resume_atom, std::string& name) -> caf::result<bool> {
        return pause_or_resume(self, name, false);
      },
      [=](status_atom, std::string& name) -> caf::result<deadline_status> {
        auto& st = self->state;
        auto i = st.commands.find(name);
        if (i == st.commands.end())
          return make_error(errc::not_found, "controller '" + st.config.name +
                                                 "' does not watch '" + name +
                                                 "'");
        return i->second.policy.status(st.rt->time().now());
      },
      [=](subscribe_atom, caf::actor& subscriber) {
        self->state.subscribers.push_back(std::move(subscriber));
      },
      [=](deliver_atom, uint64_t id, envelope& x) {
        auto& st = self->state;
        if (++st.unacked >= 16) {
          st.unacked = 0;
          self->send(st.rt->bus(), ack_atom::value, id, x.seq);
        }
        // The state covers every event before this one.
        maybe_snapshot(self, x.seq - 1);
        st.seen = x.seq;
        if (x.source != st.config.name) { // not our own records
          if (auto i = st.commands.find(x.source); i != st.commands.end()) {
            if (st.started)
              catch_up(self, i->first, i->second, x.time);
            apply_fact(st, x);
            if (st.started)
              evaluate(self, i->first, i->second,
                       std::max(st.watermark, x.time));
            arm_timer(self);
          }
        }
        advance(self);
      },
      [=](detail::out_atom) { send_now(self); },
      [=](detail::timer_atom, uint64_t id) {
        auto& st = self->state;
        if (id != st.timer_id)
          return; // stale
        st.timer_at.reset();
        auto now = st.rt->time().now();
        // Early calls (lead) are asked for as of now, without a watermark:
        // they record nothing.
        if (st.started)
          for (auto i = st.queue.begin();
               i != st.queue.end() && i->first <= now;) {
            auto& name = *i->second;
            auto& w = st.commands.at(name);
            if (auto early = early_call_at(st, w, now);
                early && *early <= now) {
              w.asked_early = w.policy.due().value_or(no_time);
              ask_for_call(self, name);
              requeue(self, name, w, std::max(st.watermark, w.decided), now);
              i = st.queue.begin();
            } else {
              ++i;
            }
          }
        // A change is due: decided once a watermark passes it.
        if (!st.queue.empty() && st.queue.begin()->first <= now)
          ask_watermark(self);
        else
          arm_timer(self);
      },
  };
}

} // namespace

caf::expected<controller_actor> spawn_controller(runtime& rt,
                                                 controller_config config) {
  if (config.name.empty())
    return make_error(errc::bad_config, "controller: the name is empty");
  if (config.max_event_delay < duration{0})
    return make_error(
        errc::bad_config,
        "controller '" + config.name + "': max_event_delay is negative (" +
            std::to_string(config.max_event_delay.count()) + "ns)");
  for (auto& w : config.watches)
    if (auto err = check(w))
      return err;
  if (!config.scheduler)
    config.scheduler = rt.scheduler();
  // Rebuild from the log: watches added at run time, calls, statuses. With
  // a snapshot, the controller's own events up to it give the watches and
  // the statuses, the snapshot what their calls said then, and the rest of
  // the log what came after; a snapshot that does not read, or that lacks a
  // command watched then, is passed over.
  controller_state st;
  st.config = config;
  auto up_to = rt.store().last_seq();
  seq_t from = 1;
  auto apply = [&](const envelope& x) {
    apply_fact(st, x);
    return true;
  };
  if (auto saved = rt.store().load_snapshot(snapshot_name(config.name));
      saved && *saved && (*saved)->seq <= up_to) {
    if (auto calls = decode(config.name, (*saved)->state)) {
      auto seq = (*saved)->seq;
      if (auto err =
              rt.store().replay({.to = seq, .source = config.name}, apply))
        return err;
      bool complete = true;
      for (auto& [name, w] : st.commands) {
        auto i = calls->find(name);
        if (i == calls->end()) {
          complete = false;
          break;
        }
        w.policy.merge_calls(i->second);
      }
      if (complete)
        from = seq + 1;
      else
        st.commands.clear();
    }
  }
  if (auto err = rt.store().replay({.from = from, .to = up_to}, apply))
    return err;
  // Configured watches that the log does not know yet start now.
  auto now = rt.time().now();
  std::vector<std::string> new_watches;
  for (auto& w : config.watches) {
    auto i = st.commands.find(w.command);
    if (i != st.commands.end() && i->second.config(i->first) == w)
      continue;
    if (!add_watch(st, w, now))
      return make_error(errc::bad_config, "watch '" + w.command +
                                              "': the cron schedule '" +
                                              w.cron + "' does not parse");
    new_watches.push_back(watch_spec(w));
  }
  controller_actor handle =
      rt.system().spawn(controller_impl, &rt, std::move(config),
                        std::move(st.commands), up_to, std::move(new_watches));
  rt.adopt(caf::actor_cast<caf::actor>(handle));
  return handle;
}

} // namespace tc
