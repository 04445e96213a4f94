// A Command: one operation that must not be called too often.
//
// A command is an actor in front of one operation: either another actor
// (the command is a proxy: every message it receives is a call, forwarded to
// the wrapped actor under the limiter, and the wrapped actor's answer goes
// back to the original caller) or a plain C++ callable taking the argument
// bytes of (call_atom, std::string args) and answering std::string. A
// caller that sent a plain message instead of a request gets the answer as
// a plain message.
//
//   auto api = tc::spawn_command(*rt, {.name = "ticker", .limiter = "5/s",
//                                      .action = tc::on_throttle::wait},
//                                http_client);  // any caf::actor
//   // then send *api what http_client understands, and get its answers.
//
// Its under-limiter (a limiter spec: "5/s burst 10", "20 per 10s",
// "min 200ms"; none means unlimited) decides each call. A new limiter has
// seen no call, so the first call is admitted at once. A call that comes
// too fast gets the command's action:
//   wait    queued (FIFO) and run as soon as the limiter allows; a call that
//           arrives while others wait queues behind them. At most
//           queue_limit calls wait (this counts the calls held for
//           max_in_flight too); a full queue answers errc::queue_full and
//           records call_throttled (rejected). One timer serves the queue.
//   reject  answered with errc::throttled, whose context says the retry-after
//           ("command 'api': call 7 came too fast; retry after 200ms", or
//           "retry after 195ms (exactly 195449961ns)" when it is not round)
//   drop    not answered, not run; recorded as call_throttled (dropped). A
//           request to a dropping command needs a timeout of its own.
//
// A call's cost and max wait. A call may say how many units it takes from
// the limiter (its cost, x/time/rate's WaitN n; a plain call costs 1) and
// how long it may wait for admission (its max wait, measured on the
// command's clock from the moment the command takes the call from its
// mailbox, which is the request time it records). Shapes:
//   (call_atom, std::string args, uint64_t cost, caf::timespan max_wait)
//        -> std::string                           a command around a callable
//   (call_with_atom, uint64_t cost, caf::timespan max_wait, caf::message msg)
//        -> what the wrapped actor answers to msg  a command in front of an
//        actor
// (call_atom, std::string) and, for a proxy, any other message stay calls of
// cost 1 with no max wait. max_wait = tc::no_max_wait (caf::timespan::max())
// sets no bound; 0 means "now or never" (admitted at once or expired). A
// relative wait, not an absolute deadline: the caller's clock and the
// command's (a simulated one in tests) need not agree, and CAF's own request
// timeouts are relative too.
//   cost        what the limiter counts: a token bucket takes `cost` tokens
//               (x/time/rate's AllowN/WaitN: "10/s burst 10", two calls of
//               cost 5 at t run at once, a third waits 0.5 s); a sliding
//               window counts it as `cost` calls at its time; "min" admits
//               only cost 1. Errors, answered at once with no call id and
//               nothing recorded: cost 0 is errc::bad_request (x/time/rate's
//               WaitN(0) succeeds at once; here a call always takes
//               something); a cost above the limiter's capacity (the burst,
//               the window's limit, 1 for "min"; an unlimited command has
//               none) is errc::bad_request naming both, as WaitN refuses
//               n > burst ("command 'api': cost 11 exceeds the limiter's
//               capacity 10 (10/1s burst 10)"). A waiting call that a later
//               policy change leaves above the new capacity is answered the
//               same and recorded as call_throttled (rejected). Recorded as
//               call_admitted's `cost` (when != 1), and a restart, a
//               snapshot and a policy change rebuild the limiter with it.
//   max_wait    applies to action wait (reject and drop never wait), as
//               x/time/rate's Wait(ctx) with a context deadline: if at the
//               request the limiter's earliest admission for this call,
//               behind the calls already waiting (each admitted at its own
//               earliest time unless its own max wait expires first), is
//               more than max_wait away, the call is answered at once with
//               errc::expired; otherwise it waits, and if it has not been
//               admitted when max_wait has passed (a call admitted exactly at
//               its deadline runs), it leaves the queue unrun and is answered
//               errc::expired: "command 'api': call 3 waited 300ms; its
//               max_wait 300ms has passed; not run". A negative max_wait
//               (the caller's deadline had passed before the call came; Wait
//               with a context already done) is answered errc::expired at
//               once whatever the action. An expired call took nothing from
//               the limiter (a queued call is charged only when admitted, so
//               unlike x/time/rate no reservation is cancelled), frees its
//               queue slot, and the call behind it is considered at once.
//               It is recorded as call_throttled (expired) with its id:
//               retry_after is the wait the limiter needed when it is
//               answered at the request, the time it waited when it
//               expired in the queue (its request is then its earlier
//               call_throttled (waited)). Its answer goes out once that
//               record is written (persist_then_act) or sent. The max wait
//               bounds the wait for admission only: a call admitted and then
//               held (max_in_flight, the Log's backlog) runs when it can.
//               resilience4j's timeoutDuration behaves alike (it refuses at
//               once a permission it cannot get in time); bottleneck's
//               `expiration` differs (it bounds a job's run, which a
//               command's `timeout` does).
//
// A limit per key (nginx's limit_req zones, bottleneck's groups, per-user
// API quotas). A call may name a key (a user, an address, an account): it
// is then decided by that key's own limiter, of the command's spec, so each
// key is limited separately with one policy for all. Shapes:
//   (call_atom, key_atom, std::string key, std::string args, uint64_t cost,
//    caf::timespan max_wait) -> std::string      a command around a callable
//   (call_with_atom, key_atom, std::string key, uint64_t cost,
//    caf::timespan max_wait, caf::message msg)   a command in front of an
//        -> what the wrapped actor answers to msg  actor
// The key "" is the command's own, unkeyed limiter: a call with key "" is
// exactly a call of the shapes above. A key is bytes (not necessarily text)
// of at most 1024; a longer one is errc::bad_request at once, with no call
// id and nothing recorded ("command 'api': a key of 2000 bytes; a key has
// at most 1024"). Cost and max wait work per key as above.
//   created     a key's limiter is created on the key's first admission,
//               fresh (its first call is admitted at once).
//   evicted     a key's limiter is forgotten once it cannot be told from a
//               fresh one (policies/keyed_limiter.hpp): a token bucket full
//               again, a sliding window whose latest call is a window ago,
//               a min interval whose period has passed since its last call.
//               So eviction is exact: it never lets a call through that
//               keeping the key would refuse. The command looks at the keys
//               of two hash buckets per keyed call (and at all before a
//               snapshot), so an idle key goes within about as many keyed
//               calls as the command holds keys; until then it costs what
//               an active one does (BENCHMARKS.md: 76 bytes for a key of
//               up to 12 bytes and a token bucket).
//   queue       action wait queues per key: a call waits behind the
//               earlier waiting calls of its own key only, so a key at its
//               limit holds up no other key. queue_limit counts the calls
//               of all keys. The one wake timer is set for the earliest
//               admission among the keys' first waiting calls.
//   recorded    call_admitted and call_throttled carry the key (`key`,
//               record format version 4, written only when not empty;
//               FORMAT.md); the call's other events join on call_id.
//   restart     the keys' limiters are rebuilt from the log (each key's
//               call_admitted events feed its limiter), and saved in the
//               command's snapshot (tc.command/4), so a key's limit cannot
//               be escaped by restarting either.
//   policy      a policy change applies to every key: once a keyed call was
//               admitted, the new limiters are rebuilt from the log (as past
//               1024 admissions).
// (check_atom) answers for the unkeyed limiter.
//
// Every call is recorded, with the runtime clock's time, in two events
// when it runs at once and in time (the compact call record, FORMAT.md):
// call_admitted (with how long it waited; the request was at its time minus
// that wait) or call_throttled (at the request), then call_finished (with
// how long the operation took, so it started at its time minus `took`; ok or
// the error text); one that overran its timeout has call_timed_out, then
// call_finished when it ends. A call that waited in the queue has
// call_throttled (waited) and call_admitted; one admitted but held before it
// ran (max_in_flight, a full backlog) also call_started when it starts. A call
// admitted and never finished (the process was killed) shows as a call_admitted
// without a call_finished. Logs of earlier builds also hold call_requested and
// call_started; tc::call_requests reads both. `call_id` counts the
// command's calls from 1 on and goes on after a restart. Events reach the Log
// in one message per pass over the command's mailbox (never one request per
// event); what is left when the command exits is sent then.
//
// Persist, then act (admission_mode::persist_then_act, the default): an
// admitted call runs only once the Log has written its call_admitted (in
// sync mode: fsynced), and a throttled call is answered only once its
// call_throttled is written. So a process killed at any moment never ran a
// call the log does not show as admitted, and a restarted command's limiter
// counts every call that ran: the limit cannot be escaped by restarting.
// All calls admitted in one pass over the mailbox share one write (group
// commit); the cost is one Log round trip added to each call's answer.
// admission_mode::act_then_record runs the call at once and records on the
// side: faster, but a crash (kill -9, power loss in sync mode) can lose the
// admissions of the calls that ran in the last moments, about the last
// write's worth, and a restarted command does not count those against its
// limit. Stopping a command and spawning one of the same name in the same
// process loses nothing in either mode: the stopped command hands its last
// events to the Log as it exits, and spawn_command waits for the Log to
// write them before it rebuilds. Wait for the old one's exit (monitor it:
// its down message) before spawning again; until then the name is taken
// (errc::bad_config).
//
// In both modes a caller is answered only after every event about its call
// is handed to the Log, so a Log flush (runtime::flush) sent after the
// answer covers the whole call.
//
// Back-pressure: while the Log's backlog is over log_config::max_backlog, a
// command leaves new calls in its mailbox (unanswered, unrecorded) until the
// Log has caught up; calls already taken go on as usual.
//
// An operation that throws or fails (a callable's error, an error answer of
// the wrapped actor) is recorded as call_finished{ok = false, error = its
// text} and answered with errc::operation_failed, whose context is
// "command 'api': call 7: <text>"; the command goes on.
//
// Rebuilt from the log: on start the command replays its own events and
// feeds the time and cost of every call_admitted into a fresh limiter of its
// configured spec (call_throttled events, expired ones too, take nothing), so a
// limit cannot be escaped by restarting (admissions that this limiter would
// have refused are not counted). With a snapshot
// (command_config::snapshot_every) of the same spec, it starts from the
// snapshot's limiter and replays only the events after it; a snapshot of
// another spec, one that does not load, or one of an earlier build
// (tc.command/2 or /3, without keys) is passed over (full replay). If the
// configured spec differs from the last recorded policy_changed, it is recorded
// as a new policy_changed. Calls that were waiting or running when the process
// stopped are not resumed.
//
// Besides calls, a command understands (a proxy does not forward these, nor
// its internal messages, atoms beginning with "cmd_"):
//   (policy_atom, std::string spec)  -> bool: change the limiter (recorded as
//                                       policy_changed). The new limiter is
//                                       fed every admission of the command,
//                                       so changing it does not reset the
//                                       count: from memory while the command
//                                       has made at most 1024; beyond that,
//                                       read from the log once everything
//                                       recorded is written (calls wait
//                                       meanwhile; a log that cannot be read
//                                       stops the command). Waiting calls
//                                       are decided again at once.
//                                       errc::bad_config for a bad spec
//                                       (the spec, byte position and reason)
//   (check_atom)                     -> time_point (caf::timestamp, the same
//                                       type): when the limiter would admit a
//                                       call (now if at once); consumes
//                                       nothing; ignores the wait queue. The
//                                       Scheduler uses it to fire without
//                                       being rejected.
// A callable command answers anything else with errc::unexpected_message.
//
// A command is registered in rt.commands() under its name while it lives.
// When the runtime's Log exits, it stops acting (fail-stop: its facts could
// no longer be recorded): every call it holds, and every message that comes
// later, is answered with the Log's error (e.g. storage_failure naming the
// path and "No space left on device"). It exits at runtime::shutdown()
// (calls it holds then are answered errc::closed; those whose call_admitted
// was being written did not run).
//
// The limit holds for admission times, which the log records. An operation
// starts once its admission is written, so two starts can be closer than
// the limit by the difference of their write latencies (microseconds in
// buffered mode; in sync mode up to an fsync's spread, which a busy disk
// can stretch to tens of milliseconds). A limit that must hold for the
// starts themselves needs that much headroom.

#pragma once

#include <functional>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/expected.hpp>
#include <caf/replies_to.hpp>
#include <caf/timespan.hpp>
#include <caf/typed_actor.hpp>

#include "timecontrol/actors/atoms.hpp"
#include "timecontrol/core/time.hpp"

namespace tc {

class runtime;

/// What a command does with a call that comes too fast.
enum class on_throttle : uint8_t { wait, reject, drop };

/// When a command acts on a call relative to recording it (see above).
enum class admission_mode : uint8_t {
  /// Run a call, and answer a throttled one, once its events are written.
  persist_then_act,
  /// Run and answer at once; record on the side. A crash can lose the
  /// records of the last calls that ran.
  act_then_record,
};

struct command_config {
  /// The command's name: the source of its events, and how the Scheduler
  /// and Controllers name it. Must not be empty.
  std::string name{};
  /// A limiter spec (policies/spec.hpp); empty means no limit.
  std::string limiter{};
  on_throttle action = on_throttle::reject;
  admission_mode admission = admission_mode::persist_then_act;
  /// Most calls waiting (action wait).
  size_t queue_limit = 1024;
  /// Most calls running at once; 0 means no limit. Further admitted calls
  /// wait for a free slot, in order. A call answered timed_out frees its
  /// slot although its operation may still run.
  size_t max_in_flight = 0;
  /// A call running longer is answered with errc::timed_out and recorded as
  /// call_timed_out; zero means no limit. Its late end is still recorded as
  /// call_finished, and its late answer dropped. A sync callable cannot be
  /// interrupted: one that overruns is answered timed_out when it returns.
  duration timeout{0};
  /// In persist_then_act mode, the command saves its limiter's state (a
  /// snapshot, "command:<name>" in the log's snapshots) after this many
  /// admissions, at a moment when every admission so far is written; a
  /// restart then reads only the command's events after it. 0: never. In
  /// act_then_record mode it saves none (its admissions are not known to
  /// be written at any moment), so a restart reads all of its events. A
  /// command that holds more than 16 times this many keys (a limit per key)
  /// waits for a sixteenth as many admissions as it holds keys, as a
  /// snapshot writes them all.
  uint64_t snapshot_every = 10000;
};

/// An operation that answers at once (or throws).
using sync_operation = std::function<caf::expected<std::string>(std::string)>;

/// An operation that answers later by calling `done` exactly once, from any
/// thread (calls after the first are ignored). `done` only sends a message
/// to the command; it holds a reference to the command until it is
/// destroyed. An exception thrown by the operation itself counts as its
/// failure.
using async_operation = std::function<void(
    std::string args, std::function<void(caf::expected<std::string>)> done)>;

/// A max wait that sets no bound (the default of a plain call).
inline constexpr caf::timespan no_max_wait = caf::timespan::max();

/// The typed handle of a command around a callable: the messages above.
/// (A command in front of an actor forwards anything, so spawning one gives
/// a plain caf::actor; caf::actor_cast converts between the two.)
using command_actor = caf::typed_actor<
    caf::replies_to<call_atom, std::string>::with<std::string>,
    caf::replies_to<call_atom, std::string, uint64_t,
                    caf::timespan>::with<std::string>,
    caf::replies_to<call_atom, key_atom, std::string, std::string, uint64_t,
                    caf::timespan>::with<std::string>,
    caf::replies_to<policy_atom, std::string>::with<bool>,
    caf::replies_to<check_atom>::with<time_point>>;

/// Spawns a command in front of the actor `target`. Errors: errc::bad_config
/// (empty name, bad limiter spec, negative timeout, invalid target, a name
/// that a running command of this runtime has), and the store's error when
/// the log cannot be read; when events are still on their way to the Log
/// (the last ones of a stopped command of this name, say), it first waits
/// for the Log to write them (runtime::flush: it blocks the calling thread,
/// and returns the Log's error if the Log failed).
[[nodiscard]] caf::expected<caf::actor>
spawn_command(runtime& rt, command_config config, caf::actor target);

/// Spawns a command around a callable that answers at once.
[[nodiscard]] caf::expected<command_actor>
spawn_command(runtime& rt, command_config config, sync_operation op);

/// Spawns a command around a callable that answers later.
[[nodiscard]] caf::expected<command_actor>
spawn_command(runtime& rt, command_config config, async_operation op);

/// Calls `command` from non-actor code and waits for its answer, as a
/// plain function call would: (call_atom, args) -> std::string, or the
/// command's error. Blocks the calling thread on a scoped_actor: not for use
/// under CAF's test_coordinator (nothing would run the command, so it never
/// returns), not inside an actor, and not on hot paths (about 12k round
/// trips/s). It waits without limit, so it never returns for a command that
/// drops the call; errc::closed for an invalid handle.
[[nodiscard]] caf::expected<std::string>
call_blocking(caf::actor_system& sys, const caf::actor& command,
              std::string args);

[[nodiscard]] inline caf::expected<std::string>
call_blocking(caf::actor_system& sys, const command_actor& command,
              std::string args) {
  return call_blocking(sys, caf::actor_cast<caf::actor>(command),
                       std::move(args));
}

/// Like call_blocking above, for a call of `cost` units that waits at most
/// `max_wait` for admission (see "A call's cost and max wait"): answers
/// errc::bad_request (cost 0 or above the limiter's capacity) and
/// errc::expired (not admitted within max_wait) too. For a command around a
/// callable (a proxy does not take this shape).
[[nodiscard]] caf::expected<std::string>
call_blocking(caf::actor_system& sys, const caf::actor& command,
              std::string args, uint64_t cost,
              caf::timespan max_wait = no_max_wait);

[[nodiscard]] inline caf::expected<std::string>
call_blocking(caf::actor_system& sys, const command_actor& command,
              std::string args, uint64_t cost,
              caf::timespan max_wait = no_max_wait) {
  return call_blocking(sys, caf::actor_cast<caf::actor>(command),
                       std::move(args), cost, max_wait);
}

/// Like call_blocking above, for a call of the key `key` (see "A limit per
/// key"): (call_atom, key_atom, key, args, cost, max_wait). Answers
/// errc::bad_request for a key longer than 1024 bytes too.
[[nodiscard]] caf::expected<std::string>
call_blocking(caf::actor_system& sys, const caf::actor& command, key_atom,
              std::string key, std::string args, uint64_t cost = 1,
              caf::timespan max_wait = no_max_wait);

[[nodiscard]] inline caf::expected<std::string>
call_blocking(caf::actor_system& sys, const command_actor& command, key_atom k,
              std::string key, std::string args, uint64_t cost = 1,
              caf::timespan max_wait = no_max_wait) {
  return call_blocking(sys, caf::actor_cast<caf::actor>(command), k,
                       std::move(key), std::move(args), cost, max_wait);
}

} // namespace tc
