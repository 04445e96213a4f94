// The operator's view of a log over HTTP: a live dashboard, Prometheus
// metrics and JSON, either inside a running runtime or fed by hand (the
// `timecontrol serve` program feeds it from a follower of a log another
// process writes).
//
//   auto rt = tc::runtime::start(sys, {.path = "/var/lib/app/log"});
//   auto dash = tc::dashboard::serve(**rt, {.listen = "127.0.0.1:8080"});
//   if (!dash) { std::cerr << tc::render(dash.error()); return 1; }
//   ...                      // http://127.0.0.1:8080/ while the app runs
//   dash->reset();           // stops serving (before rt->shutdown() or after)
//
// The view is built only from events: it folds every event of the log from
// seq 1 (inside a runtime an observer on the Bus, which catches up from the
// store and then follows live) into, per command, its limiter, calls by
// outcome (the stats plugin's rules), throttles by action, the calls queued
// and running, the keys admitted in the last minute, histograms of waits and
// durations; per watch its status and since when, last call, next due time
// (the Controller's own deadline rule fed the same facts) and misses; the
// Scheduler's next runs; the latest 50 events. Its memory grows with the
// number of commands, watches and keys, not with the log.
//
// Paths (GET or HEAD; POST, PUT, DELETE, PATCH and OPTIONS are 405 with
// Allow, but cpp-httplib itself answers 400 to methods it does not know and
// to a POST, PUT or PATCH without a Content-Length; any other path 404):
//
//   /             the dashboard: one self-contained page (no external
//                 scripts, fonts or styles; works offline) that renders
//                 /api/state and updates itself from /api/events
//   /metrics      Prometheus' text exposition format 0.0.4: a timecontrol_
//                 prefix, base units (seconds), _total for counters, a
//                 watch's status as a state set (one series per status, 1
//                 for the current one); inside a runtime also the Log's
//                 backlog (timecontrol_log_backlog_bytes)
//   /api/state    the view as one JSON object (the program's JSON
//                 conventions: ISO 8601 times in UTC, durations as integer
//                 nanoseconds under names ending in _ns, null for none)
//   /api/events   server-sent events: "state" with /api/state's JSON at
//                 once and after the view changed, at most once per
//                 `refresh`; a comment after each second without a write
//                 keeps it open (a stream whose client went away ends at
//                 that write, freeing its slot). At most 32 streams at once
//                 (each holds a server thread), more are answered 503 with
//                 Retry-After.
//
// One request per connection (Connection: close): a connection never
// waits for a next request, so stop() is not held up by one.
//
// Names that are not valid UTF-8 have their bad bytes replaced by U+FFFD in
// the JSON and the metrics. The page and the metrics have no
// authentication: the address must be loopback unless `insecure` says
// otherwise, and on loopback a request whose Host header names anything
// but a loopback address or the configured host is answered 403 (a page
// of another site could otherwise read it through DNS rebinding). A Range
// request is answered 416: every answer is the whole view. Not hardened
// against slow clients: 64 connections that send a byte now and then hold every
// server thread, and pipelined requests are not answered; keep it on loopback
// or put a proxy in front.
//
// The server is cpp-httplib (Debian's libcpp-httplib-dev): a pool of 64
// threads, a thread per connection. The view is guarded by one mutex, held
// while an event is folded in and while a request renders.
//
// Thread-safety: every member function may be called from any thread.

#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "timecontrol/events/event.hpp"
#include "timecontrol/events/intent.hpp"

namespace tc {

class runtime;

struct dashboard_config {
  /// HOST:PORT to listen on: an IPv4 address, a host name, or an IPv6
  /// address in brackets ("[::1]:8080"). Port 0 takes a free port (see
  /// dashboard::port()).
  std::string listen = "127.0.0.1:8080";
  /// Allows an address that is not loopback (the page and the metrics have
  /// no authentication).
  bool insecure = false;
  /// The Scheduler whose upcoming runs to show: the source of its events.
  std::string scheduler{default_scheduler_name};
  /// An event stream sends the state at most this often (10 ms to 15 s).
  std::chrono::milliseconds refresh{200};
};

class dashboard {
public:
  /// A dashboard whose view the caller feeds with fold(); it does not
  /// listen until listen(). Errors: errc::bad_config naming the field, for
  /// a `listen` that is not HOST:PORT with a port up to 65535, an address
  /// that is not loopback (127.0.0.0/8, ::1, either mapped, or "localhost")
  /// without `insecure`, or a `refresh` outside 10 ms to 15 s.
  [[nodiscard]] static caf::expected<std::unique_ptr<dashboard>>
  create(dashboard_config config);

  /// A dashboard of `rt`'s log, listening: create(), follow(rt), listen().
  /// Errors: theirs.
  [[nodiscard]] static caf::expected<std::unique_ptr<dashboard>>
  serve(runtime& rt, dashboard_config config);

  /// Stops serving (stop()).
  ~dashboard();

  dashboard(const dashboard&) = delete;
  dashboard& operator=(const dashboard&) = delete;

  /// Binds the address and serves from a thread of its own. Answers the
  /// port it listens on. Errors: errc::operation_failed, "cannot listen on
  /// HOST:PORT" and why (the host does not resolve; or the port is in use,
  /// the address is not this machine's, or the port needs privileges);
  /// errc::closed after stop(); a second call answers the port of the
  /// first.
  [[nodiscard]] caf::expected<uint16_t> listen();

  /// Feeds the view from `rt`: an observer on the runtime's Bus folds every
  /// event from seq 1 (the log so far, then live), and /metrics gains the
  /// Log's backlog. The dashboard may stop before or after the runtime
  /// (once the runtime has shut down it shows the log as it was then), but
  /// must stop (or be destroyed) before the runtime's caf::actor_system is:
  /// it holds a handle to its observer, an actor of that system. Follow a
  /// runtime that runs: one that has shut down has no Bus, and the view
  /// stays as it was (empty, for a new dashboard). (To
  /// learn that the address can be listened on before a log is opened:
  /// create(), listen(), then follow().) Errors: errc::closed after stop();
  /// errc::bad_config when it follows a runtime already.
  [[nodiscard]] caf::error follow(runtime& rt);

  /// Folds one event into the view. Events must come in sequence order,
  /// each once; an event whose seq is not above the last one's is ignored.
  void fold(const envelope& x);

  /// The seq of the latest event folded in (0 before the first).
  [[nodiscard]] seq_t last_seq() const;

  /// The port listened on (0 before listen()).
  [[nodiscard]] uint16_t port() const;

  /// "http://HOST:PORT/" (IPv6 hosts in brackets); empty before listen().
  [[nodiscard]] std::string url() const;

  /// Stops serving: ends the event streams, asks the observer of a runtime
  /// to stop (it may fold a few more events before it does), closes the
  /// listening socket and waits up to a second for the server's threads. True
  /// when they all ended; false when a client keeps a connection open past that
  /// second: its thread then ends with the connection (cpp-httplib's read
  /// timeout, 5 s, between two bytes) and keeps what it needs alive until then,
  /// or the process exits first
  /// (`timecontrol serve` ends with _Exit in that case). Safe to call
  /// twice.
  bool stop();

  struct state;

private:
  explicit dashboard(std::shared_ptr<state> s);

  std::shared_ptr<state> state_;
};

} // namespace tc
