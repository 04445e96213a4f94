// A Controller: watches commands that must each be called often enough.
//
// Each watched command has a deadline: a period and a grace on top
// (policies/deadline.hpp). The controller learns of calls from the Bus
// (call_admitted, when a run starts, and call_finished, when it ends, whose
// source is the command; in logs of earlier builds also call_started), keeps
// each command's status (new, up, late, down) and records every change as
// deadline_status_changed, and every overdue stretch once as deadline_missed
// (a failed call turns it down without a miss: see Failures below).
// A command never called is due one period after it was put under watch.
//
// Cron watches (healthchecks.io's cron checks). A watch with a `cron`
// expression instead of a period (watch::cron, policies/cron.hpp: "0 3 * *
// *", "TZ=Europe/Berlin 30 2 * * *") is due at the first fire time of its
// schedule strictly after the latest call, computed on the schedule's time
// zone clock (healthchecks: CronSim over the last ping in the check's tz);
// up until then, late until + grace, then down (policies/deadline.hpp has
// the table and the daylight-saving rules). Runs, failures, pause and
// resume work as for a period watch: a resumed cron watch is due at the
// first fire time after the resume. A cron watch never called is due at the
// first fire time after it was put under watch (healthchecks keeps a check
// never pinged "new", with no alert). A cron watch takes no lead (refused:
// it is due at its schedule's fire times, and an early call would run the
// job before its time; the lead_time plugin leaves cron watches alone). Its
// spec is "watch cron=\"<expression>\" grace=<ns> fail=down|call <command>".
// A job that the Scheduler runs on the same schedule starts just after each
// fire time (the Scheduler fires, the Log writes intent_fired, then the
// command admits the call, a fraction of a millisecond to a few
// milliseconds later), and the watch is late from the fire time until
// then, as a healthchecks cron check is in its grace until the ping comes;
// but here late is recorded and acted on: an alarm, and with the call
// action a second call of the job. Deciding by event time (below) spares
// only a call stamped before the due time, not one that starts after it.
// Give such a watch a grace longer than a run's start takes, let alarm
// receivers ignore late (the controller acts on late and down alike), and
// leave out the call action.
//
// When a command turns late or down, the controller takes its actions:
//   call      puts an intent "call it now" into the Scheduler (the command's
//             own limiter still applies)
//   alarm     sends (alarm_atom, command, status) to every subscriber
//   escalate  sends (escalate_atom, command, status) to the supervisor
//
// Lead. A call that takes time, or waits for the Scheduler, is late if it
// is asked for only once the command is late. With the call action, a watch
// with a `lead` has the controller ask already at `due - lead` (due = last
// call + period, or one period after the watch began for a command never
// called), so that a call taking about `lead` has finished by the due time.
// It asks once per due time: a new call moves the due time and so allows the
// next request. It does not ask while a call of the command runs, nor once
// the command is late (then the late action above applies, as without a
// lead). Lead 0, the default, asks only when late. A lead must be shorter
// than the period. The lead is part of the watch: recorded in its spec,
// rebuilt on start, changed with (watch_atom, watch) like period and grace
// (a learning plugin does that: actors/learning.hpp). Which due times were
// asked for is not recorded, so a restart within the lead may ask once more.
// On start, a watch of controller_config that differs from the one in the
// log (say, by a lead changed at run time) replaces it, as for period and
// grace.
//
// It runs one timer, for the earliest next status change of all its
// commands, so it scales to many commands. On start it rebuilds its state
// from the log (watches added at run time, calls, the statuses it last
// recorded) and then reports what changed while the process was stopped: a
// command that went down meanwhile is reported down right after the start.
// The rebuild reads the whole log once (about 3 million events per second
// here), or, with a snapshot (controller_config::snapshot_every), the
// controller's own events and the log after the snapshot.
//
// What counts as a call: any call the command admits (call_admitted, or
// call_started for a call held before it ran, max_in_flight: it runs from
// then), and its end (call_finished). Source of the rules: healthchecks.io,
// hc/api/models.py (Check.ping, Check.get_status) and its pause API
// (hc/api/views.py pause); differences are named below.
//
// Failures (healthchecks' fail signal). By default (watch::count_failures
// false, spec fail=down) a call that finishes with ok = false turns the
// watch down at once: one deadline_status_changed to down, and the down
// actions (alarm, escalate, call). No deadline_missed is recorded for it
// (nothing was late); the error text is not in the status change, whose
// event has no field for it: it is in the call_finished just before it in
// the log (same command, same call_id). The watch stays down, whatever
// starts meanwhile, until a call finishes with ok = true, which brings it up
// (measured from that call's start, as any call). healthchecks measures
// from the success ping instead, and has no notion of a start counting as a
// call. With count_failures (spec fail=call) any finished call counts, failed
// or not, as every watch did in earlier builds; a watch recorded by an
// earlier build (its spec has no fail=) keeps that meaning after an upgrade
// (policies/watch_spec.hpp). A call_timed_out changes nothing by itself: the
// call still runs, and is held to the grace like any run.
//
// Overlapping runs. Each running call is kept by its call id (healthchecks
// keys runs by "rid"): the watch is down once any call still running started
// more than `grace` ago, and a call that ends ends only its own run. A small
// vector per watch, empty when nothing runs. (healthchecks keeps only the
// latest start: a run that never ends is forgotten there once a newer one
// starts; here it still turns the watch down.) A call that succeeds forgets
// the runs that began before it and are past their grace by then, as a
// success ping clears healthchecks' start: so a call cut off by a crash
// (call_admitted without call_finished) holds the watch down only until a
// later call succeeds.
//
// Pause and resume. (pause_atom, command) records policy_changed
// "pause <command>" (the time of that event is the pause), hands it to the
// Log, then sets the status to paused (recorded as deadline_status_changed)
// and answers true; runs in progress and a failure are forgotten, as
// healthchecks' pause API clears last_start. A paused watch records no late,
// down or miss and takes no actions (no alarm, no escalation, no call, no
// early call). (resume_atom, command) records "resume <command>" likewise
// and the watch is measured from the resume: due = resume time + period (up
// if it was called before, new otherwise). healthchecks' resume makes a
// check "new" instead, which never goes down before its next ping; here a
// resumed watch that is not called goes late and down as its period says.
// A call (start, end or failure) stamped at or after the pause resumes it, as
// a ping resumes a paused check in healthchecks (its default; its
// manual_resume option has no counterpart here): a start brings it up at
// once (healthchecks shows "paused" until the run ends), a failure down. A
// call stamped before the pause does not resume it. Pausing a paused watch
// or resuming one not paused answers false and records nothing
// (healthchecks answers the check unchanged). Changing a paused watch with
// (watch_atom, watch) keeps it paused. A restart, by full replay or from a
// snapshot, rebuilds the pauses from those records.
//
// Event time. Statuses are decided by the events' own times, not by when
// they arrive: a call stamped before its due time keeps the watch up even if
// its event reaches the controller after the due time (it travels from the
// command through the Log and the Bus). When the timer says a status changes
// at T, the controller first asks for a watermark: the earliest stamp any
// recorder of the runtime still holds unsent (or now), then a Log flush,
// which is behind every event sent before; once the Bus has delivered
// everything up to what the flush answers, every event stamped before the
// watermark is seen, and each status change due by it is decided as of its
// own time, in order (up, late, down; deadline_missed's late_by is measured
// at the change). Until then nothing is recorded; a start is decided after
// its first watermark too, as of the watermark. A command's own events come
// in the order of their stamps, so an event of a watched command stamped
// after a change was due first decides that change, before it is applied:
// a call made after its due time never hides that the watch was late, however
// soon its event arrives. The cost is one Log round trip per timer that
// fires. A recorder holding a stamp unsent holds the watermark back: a
// command in act_then_record mode whose operation runs in its handler holds
// it for the operation's run. It holds it back for at most
// controller_config::max_event_delay (1 s by default; the idleness timeout
// of stream processors): after that the change is decided without it, and
// an event stamped before the change that comes later counts as a call then
// (the watch is recorded late, then up). A status is never decided as of a
// time before one it was decided (or recorded) at, so a watch change or a
// restart does not undo a change a later fact decided. A pause (or resume)
// applies at once: a change due before it that a held stamp still holds
// back is decided as paused. runtime::record stamps and sends
// in one step and needs no slot. Not covered: events that
// other processes record (their clocks are not this runtime's), and an
// event whose stamp a thread read just before the watermark was taken but
// recorded just after (a preemption between two statements). status_atom
// answers as of now from the events seen so far. Early calls (lead) are asked
// for as of now, without a watermark: they record nothing. Source: the
// watermark of stream processors (Flink, Dataflow), which decide a window once
// no earlier event can come.
//
// Boundaries. As in policies/deadline.hpp, every bound is inclusive in
// favour of the command: exactly at last call + period it is still up,
// exactly at + grace still late, and a run exactly `grace` old still up;
// healthchecks turns a check to grace at last_ping + timeout and down at
// + grace, and a run down at last_start + grace (`>=`): one nanosecond
// earlier than here.

#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "timecontrol/actors/atoms.hpp"
#include "timecontrol/actors/scheduler.hpp"
#include "timecontrol/core/deadline_status.hpp"
#include "timecontrol/core/time.hpp"
#include "timecontrol/events/event.hpp"
#include "timecontrol/policies/watch_spec.hpp"

namespace tc {

class runtime;

/// One watched command: tc::watch (policies/watch_spec.hpp).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, watch& x) {
  return f(caf::meta::type_name("tc::watch"), x.command, x.period, x.grace,
           x.lead, x.count_failures, x.cron);
}

/// The actions of a controller, combined with `|`.
enum deadline_action : uint8_t {
  action_none = 0,
  action_call = 1,
  action_alarm = 2,
  action_escalate = 4,
};

struct controller_config {
  /// The controller's name: the source of its events. Must not be empty.
  std::string name{};
  std::vector<watch> watches{};
  /// deadline_action flags.
  uint8_t actions = action_alarm;
  /// Receives escalations (action_escalate).
  caf::actor supervisor{};
  /// Receives the "call now" intents (action_call); the runtime's Scheduler
  /// when not set.
  scheduler_actor scheduler{};
  /// Saves the watches' state (a snapshot, "controller:<name>" in the log's
  /// snapshots) after this many events from the Bus; a restart then reads
  /// only the events after it (and the controller's own). 0: never. What a
  /// snapshot keeps per watch: what its calls said (the latest call, the
  /// runs in progress by call id, a failure, a resume by a call); its tag is
  /// "tc.controller/4" (deadlines of version 3, which may hold a cron
  /// schedule); a "/3" snapshot of an earlier build still reads, and a "/2"
  /// one is passed over (the log is read whole). What it does not keep: which
  /// due time an early call (lead) was asked for, as without one.
  uint64_t snapshot_every = 100000;
  /// How long a status change waits for events stamped before it that a
  /// recorder still holds unsent (see "Event time" above). Longer spares
  /// the calls of slower act_then_record operations a false "late"; shorter
  /// decides sooner when one hangs. Must not be negative.
  duration max_event_delay = std::chrono::seconds{1};
};

using controller_actor = caf::typed_actor<
    // Watches a command (or changes its period, grace, lead and how failures
    // count; a paused watch stays paused); recorded. True if it changed
    // something; false for the watch the controller has already (nothing
    // recorded, the status kept, as on a restart with the same watches).
    // errc::bad_config for a watch spawn_controller would refuse.
    caf::replies_to<watch_atom, watch>::with<bool>,
    // Stops watching a command; false if it was not watched.
    caf::replies_to<unwatch_atom, std::string>::with<bool>,
    // Pauses the watch of a command: records policy_changed
    // "pause <command>", answers after handing it to the Log. True if
    // paused now; false if it was paused already (nothing recorded);
    // errc::not_found for a command not watched.
    caf::replies_to<pause_atom, std::string>::with<bool>,
    // Resumes it: records "resume <command>" likewise; measured from now.
    // True if resumed now; false if it was not paused (nothing recorded);
    // errc::not_found for a command not watched.
    caf::replies_to<resume_atom, std::string>::with<bool>,
    // The status of a watched command; errc::not_found for another.
    caf::replies_to<status_atom, std::string>::with<deadline_status>,
    // Adds a receiver of alarms.
    caf::reacts_to<subscribe_atom, caf::actor>,
    // From the Bus.
    caf::reacts_to<deliver_atom, uint64_t, envelope>>;

/// Spawns a controller. Errors: errc::bad_config (empty name, a watch with
/// an empty command, a period that is not positive, a negative grace or
/// lead, a lead not shorter than the period; for a cron watch: a cron
/// expression that does not parse, named with the watch and the parser's
/// message, a period besides the cron, a lead), errors reading the log.
[[nodiscard]] caf::expected<controller_actor>
spawn_controller(runtime& rt, controller_config config);

// The spec a controller records (in policy_changed) when it starts watching
// a command, watch_spec(const watch&), is declared with tc::watch in
// policies/watch_spec.hpp: "watch every=<ns> grace=<ns> [lead=<ns>]
// fail=down|call <command>" (or "watch cron=\"<expression>\" grace=<ns>
// fail=down|call <command>"); "unwatch <command>" when it stops; "pause
// <command>" and "resume <command>" for a pause.

} // namespace tc
