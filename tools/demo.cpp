// `timecontrol demo`: runs a small service on the real actors (Command,
// Controller, Scheduler, Log and Bus, wired by tc::runtime) on the wall clock
// for a while, shows its progress live, and summarises what the log recorded.
//
// The service:
//   api          a Command in front of a simulated remote API (a few ms per
//                call, 1 call in 20 fails), limited to "5/s burst 10"; a
//                call that comes too fast is rejected with a retry-after. A
//                load generator calls it at 20 calls/s for the first 2 s of
//                every 10 s and at 1 to 3 calls/s otherwise, so the rushes
//                are throttled.
//   market-data  a Command in front of a simulated price feed that now and
//                then stalls for 1.2 to 4 s. It polls once at a time (a poll
//                that comes while one runs is refused) and answers timed_out
//                after 2 s. The Scheduler calls it every second; a
//                Controller ("watchdog") wants a poll at least every 1.5 s
//                (grace 500 ms), records its status changes and misses, asks
//                the Scheduler to call it at once when it is late or down,
//                and raises alarms.
//   report       a job every 5 s (Scheduler) that prints what happened
//                since the last report.
//   cleanup      a job at the start of every minute ("cron * * * * *").
//
// What is printed: alarms and job reports as lines on stderr, under them one
// progress line redrawn 5 times a second (only when stderr is a terminal),
// and at the end a summary on stdout. The numbers come from one observer on
// the Bus (run_counts), not from polling the store.
//
// Running it again on the same log continues the log: the Scheduler rebuilds
// the jobs' intents (the demo schedules only those it does not find there)
// and applies their misfire rules to the time the demo did not run, and the
// watchdog reports what changed meanwhile.

#include <CLI/CLI.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/system_messages.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <random>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <unordered_map>

#include "timecontrol/actors/command.hpp"
#include "timecontrol/actors/controller.hpp"
#include "timecontrol/actors/runtime.hpp"
#include "timecontrol/actors/scheduler.hpp"
#include "timecontrol/core/address.hpp"
#include "timecontrol/events/call_requests.hpp"
#include "timecontrol/events/register.hpp"
#include "timecontrol/http/dashboard.hpp"
#include "timecontrol/net/node.hpp"
#include "timecontrol/plugins/schedule_view.hpp"
#include "timecontrol/policies/spec.hpp"
#include "timecontrol/storage/event_store.hpp"
#include "timecontrol/tools/commands.hpp"
#include "timecontrol/tools/numbers.hpp"
#include "timecontrol/tools/reading.hpp"

namespace tc::tool {

namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

/// A simulated service answers a call: (answer_atom, call number).
using answer_atom = caf::atom_constant<caf::atom("demo_answr")>;
/// The load generator's next call or phase: (tick_atom, bool call).
using tick_atom = caf::atom_constant<caf::atom("demo_tick")>;
/// The load generator stops calling (its answers still count).
using halt_atom = caf::atom_constant<caf::atom("demo_halt")>;

struct demo_options {
  std::string db = "timecontrol-demo.log";
  std::string duration_text = "20s";
  duration length = 20s;
  bool sync = false;
  uint64_t seed = 1;
  bool no_progress = false;
  // The dashboard of the running demo (http/dashboard.hpp), if asked for.
  std::string http;
  bool insecure = false;
  // With --nodes N: the API's callers run in N worker processes that reach
  // the demo's runtime over the network (net/node.hpp).
  int nodes = 0;
};

/// A worker process of `demo --nodes` (the hidden `demo-worker` command).
struct worker_options {
  std::string connect; // HOST:PORT of the demo's node
  std::string name = "worker";
  std::string duration_text = "20s";
  duration length = 20s;
  uint64_t seed = 1;
};

/// "20s", "1m", "500ms", or plain seconds ("20", "2.5"); between 100 ms and
/// a day.
std::optional<duration> parse_length(std::string text) {
  if (!text.empty() &&
      text.find_first_not_of("0123456789.") == std::string::npos)
    text += "s";
  auto d = parse_duration(text);
  if (!d || d.value() < 100ms || d.value() > 24h)
    return std::nullopt;
  return d.value();
}

std::string printf_string(const char* format, ...)
    __attribute__((format(printf, 1, 2)));

std::string printf_string(const char* format, ...) {
  va_list args;
  va_start(args, format);
  va_list again;
  va_copy(again, args);
  auto n = std::vsnprintf(nullptr, 0, format, args);
  va_end(args);
  std::string result(n > 0 ? static_cast<size_t>(n) : 0, '\0');
  if (n > 0)
    std::vsnprintf(result.data(), result.size() + 1, format, again);
  va_end(again);
  return result;
}

/// "1 call", "2 calls".
std::string count(uint64_t n, const char* noun) {
  return std::to_string(n) + ' ' + noun + (n == 1 ? "" : "s");
}

double seconds(duration d) {
  return std::chrono::duration<double>(d).count();
}

// -- counting what the log records --------------------------------------------

struct command_counts {
  /// Requests (tc::call_requests).
  uint64_t calls = 0;
  uint64_t admitted = 0;
  uint64_t throttled = 0;
  /// call_finished that did not end well.
  uint64_t failed = 0;
  uint64_t timed_out = 0;
};

struct watch_counts {
  /// deadline_missed
  uint64_t misses = 0;
  /// deadline_status_changed
  uint64_t changes = 0;
  deadline_status status = deadline_status::never_called;
};

/// What one run wrote, counted event by event in log order. The summary and
/// the progress line read only this (a `stats` plugin can take its place).
struct run_counts {
  seq_t first = 0;
  seq_t last = 0;
  uint64_t events = 0;
  std::map<std::string, command_counts> commands;
  /// By (controller, command).
  std::map<std::pair<std::string, std::string>, watch_counts> watches;
  uint64_t intents_scheduled = 0;
  uint64_t intents_fired = 0;
  uint64_t intents_misfired = 0;
  call_requests requests;

  void apply(const envelope& x) {
    if (first == 0)
      first = x.seq;
    last = x.seq;
    ++events;
    if (requests.request(x))
      ++commands[x.source].calls;
    std::visit(
        [&](const auto& body) {
          using type = std::decay_t<decltype(body)>;
          if constexpr (std::is_same_v<type, call_admitted>)
            ++commands[x.source].admitted;
          else if constexpr (std::is_same_v<type, call_throttled>)
            ++commands[x.source].throttled;
          else if constexpr (std::is_same_v<type, call_finished>)
            commands[x.source].failed += body.ok ? 0 : 1;
          else if constexpr (std::is_same_v<type, call_timed_out>)
            ++commands[x.source].timed_out;
          else if constexpr (std::is_same_v<type, deadline_missed>)
            ++watches[{x.source, body.command}].misses;
          else if constexpr (std::is_same_v<type, deadline_status_changed>) {
            auto& w = watches[{x.source, body.command}];
            ++w.changes;
            w.status = body.to;
          } else if constexpr (std::is_same_v<type, intent_scheduled>)
            ++intents_scheduled;
          else if constexpr (std::is_same_v<type, intent_fired>)
            ++intents_fired;
          else if constexpr (std::is_same_v<type, intent_misfired>)
            ++intents_misfired;
        },
        x.body);
  }

  command_counts command(const std::string& name) const {
    auto i = commands.find(name);
    return i == commands.end() ? command_counts{} : i->second;
  }
};

/// run_counts shared between the Bus observer (which writes) and the
/// progress line and the jobs (which read).
class shared_counts {
public:
  void apply(const envelope& x) {
    std::lock_guard guard{mutex_};
    counts_.apply(x);
  }

  run_counts get() const {
    std::lock_guard guard{mutex_};
    return counts_;
  }

private:
  mutable std::mutex mutex_;
  run_counts counts_;
};

// -- the terminal -------------------------------------------------------------

/// Lines on stderr (alarms, job reports), each with the time since the start,
/// and under them, when `live`, one progress line redrawn in place.
/// Thread-safe.
class console {
public:
  console(bool live, steady::time_point start) : live_(live), start_(start) {}

  void line(const std::string& text) {
    std::lock_guard guard{mutex_};
    auto elapsed = std::chrono::duration<double>(steady::now() - start_);
    if (live_)
      std::fputs("\r\033[K", stderr);
    std::fprintf(stderr, "%6.1fs  %s\n", elapsed.count(), text.c_str());
    if (live_)
      std::fputs(progress_.c_str(), stderr);
    std::fflush(stderr);
  }

  void progress(std::string text) {
    if (!live_)
      return;
    winsize size{};
    if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 1 &&
        text.size() >= size.ws_col)
      text.resize(size.ws_col - 1); // a wrapped line cannot be redrawn
    std::lock_guard guard{mutex_};
    progress_ = std::move(text);
    std::fputs("\r\033[K", stderr);
    std::fputs(progress_.c_str(), stderr);
    std::fflush(stderr);
  }

  /// Clears the progress line for good.
  void close() {
    std::lock_guard guard{mutex_};
    if (live_) {
      std::fputs("\r\033[K", stderr);
      std::fflush(stderr);
    }
    live_ = false;
    progress_.clear();
  }

private:
  std::mutex mutex_;
  bool live_;
  steady::time_point start_;
  std::string progress_;
};

/// " 13.5s of 20s | 443 events | api 65 admitted, 46 throttled |
/// market-data up, 1 missed, 1 timed out" (cut to the terminal's width).
std::string progress_line(const run_counts& c, duration elapsed,
                          duration total) {
  auto api = c.command("api");
  auto line = printf_string(
      "%5.1fs of %s | %llu events | api %llu admitted, %llu throttled | "
      "market-data ",
      seconds(elapsed), duration_to_string(total).c_str(),
      static_cast<unsigned long long>(c.events),
      static_cast<unsigned long long>(api.admitted),
      static_cast<unsigned long long>(api.throttled));
  auto w = c.watches.find({"watchdog", "market-data"});
  if (w == c.watches.end()) {
    line += to_string(deadline_status::never_called);
    return line;
  }
  line += to_string(w->second.status);
  if (w->second.misses > 0)
    line += ", " + std::to_string(w->second.misses) + " missed";
  if (auto timed_out = c.command("market-data").timed_out; timed_out > 0)
    line += ", " + std::to_string(timed_out) + " timed out";
  return line;
}

/// What the report job prints: what happened between two counts.
std::string report_text(const run_counts& now, const run_counts& was) {
  auto api = now.command("api");
  auto api_was = was.command("api");
  return "report: " + count(now.events - was.events, "event") +
         " since the last report; api: " +
         count(api.calls - api_was.calls, "call") + ", " +
         std::to_string(api.throttled - api_was.throttled) +
         " throttled; market-data: " +
         count(now.command("market-data").calls -
                   was.command("market-data").calls,
               "call");
}

// -- the simulated services ---------------------------------------------------

/// How a simulated remote service behaves.
struct service_profile {
  uint64_t seed = 1;
  duration min_latency{0};
  duration max_latency{0};
  /// The share of calls that fail, with `failure` as their error.
  double failure_rate = 0;
  std::string failure{};
  /// One call in every `stall_every_min` to `stall_every_max` (drawn anew
  /// after each stall) takes between `stall_min` and `stall_max`; 0: never.
  uint32_t stall_every_min = 0;
  uint32_t stall_every_max = 0;
  duration stall_min{0};
  duration stall_max{0};
};

struct service_state {
  static inline const char* name = "tc.demo.service";

  struct waiting {
    caf::typed_response_promise<std::string> promise;
    bool fails = false;
    std::string args;
  };

  std::mt19937_64 rng;
  uint64_t next = 1;
  uint32_t until_stall = 0;
  std::unordered_map<uint64_t, waiting> calls;
};

duration draw(std::mt19937_64& rng, duration lo, duration hi) {
  if (hi <= lo)
    return lo;
  std::uniform_int_distribution<int64_t> d{lo.count(), hi.count()};
  return duration{d(rng)};
}

uint32_t draw_stall(std::mt19937_64& rng, const service_profile& p) {
  if (p.stall_every_min == 0)
    return 0;
  std::uniform_int_distribution<uint32_t> d{
      p.stall_every_min, std::max(p.stall_every_min, p.stall_every_max)};
  return d(rng);
}

/// A remote service: answers (call_atom, std::string) after a latency,
/// sometimes with an error. Commands are proxies in front of it.
caf::behavior service_impl(caf::stateful_actor<service_state>* self,
                           service_profile p) {
  self->state.rng.seed(p.seed);
  self->state.until_stall = draw_stall(self->state.rng, p);
  return {
      [=](call_atom, std::string& args) -> caf::result<std::string> {
        auto& st = self->state;
        auto latency = draw(st.rng, p.min_latency, p.max_latency);
        if (st.until_stall != 0 && --st.until_stall == 0) {
          latency = draw(st.rng, p.stall_min, p.stall_max);
          st.until_stall = draw_stall(st.rng, p);
        }
        bool fails = std::bernoulli_distribution{p.failure_rate}(st.rng);
        auto id = st.next++;
        auto promise = self->make_response_promise<std::string>();
        st.calls.emplace(
            id, service_state::waiting{promise, fails, std::move(args)});
        self->delayed_send(self,
                           std::chrono::duration_cast<caf::timespan>(latency),
                           answer_atom::value, id);
        return promise;
      },
      [=](answer_atom, uint64_t id) {
        auto& calls = self->state.calls;
        auto i = calls.find(id);
        if (i == calls.end())
          return;
        auto& call = i->second;
        if (call.fails)
          call.promise.deliver(make_error(errc::operation_failed, p.failure));
        else
          call.promise.deliver("200 OK " + call.args);
        calls.erase(i);
      },
  };
}

// -- the load generator -------------------------------------------------------

struct load_state {
  static inline const char* name = "tc.demo.load";
  std::mt19937_64 rng;
  steady::time_point start;
  uint64_t sent = 0;
  bool halted = false;
};

/// The load in one phase of a 10 s cycle: `rate` calls per second until
/// `until` seconds into the cycle.
struct load_phase {
  double until;
  double rate;
};

/// A rush of 20 calls/s (the limiter admits about 20 of its 40), then
/// 3 calls/s (below the limit: the bucket fills up again), then a quiet 1/s.
constexpr load_phase load_cycle[] = {{2.0, 20.0}, {8.0, 3.0}, {10.0, 1.0}};

/// What a worker's calls came to (demo --nodes).
struct call_tally {
  // admitted counts the calls the limiter let through, answered or failed
  // by the service (failed); other: any other error (not admitted).
  std::atomic<uint64_t> calls{0}, admitted{0}, failed{0}, throttled{0},
      other{0}, unreachable{0};
};

/// Calls `api` at the rate of load_cycle: a Poisson process whose rate
/// changes at the phase boundaries (a gap that would cross one is drawn
/// again from the boundary, which is exact for exponential gaps). The
/// message (tick_atom, bool call) wakes it, with call = false at a boundary.
/// Answers and errors are ignored here (the log has them), unless `tally`
/// is given. With `tally`, `api` is a remote node's link (net/node.hpp)
/// and the calls name the command "api".
caf::behavior load_impl(caf::stateful_actor<load_state>* self, caf::actor api,
                        uint64_t seed, std::shared_ptr<call_tally> tally) {
  self->state.rng.seed(seed);
  self->state.start = steady::now();
  self->send(self, tick_atom::value, false);
  return {
      [=](halt_atom) { self->state.halted = true; },
      [=](tick_atom, bool call) {
        auto& st = self->state;
        if (st.halted)
          return;
        auto args = call ? "GET /orders?page=" + std::to_string(++st.sent)
                         : std::string{};
        if (call && !tally)
          self->request(api, caf::infinite, call_atom::value, std::move(args))
              .then([](std::string&) {}, [](caf::error&) {});
        if (call && tally) {
          ++tally->calls;
          self->request(api, caf::infinite, call_atom::value,
                        std::string{"api"}, std::string{}, std::move(args),
                        uint64_t{1}, no_max_wait)
              .then([=](std::string&) { ++tally->admitted; },
                    [=](caf::error& err) {
                      if (is(err, errc::operation_failed)) {
                        ++tally->admitted; // run, and failed by the service
                        ++tally->failed;
                      } else if (is(err, errc::throttled)) {
                        ++tally->throttled;
                      } else if (is(err, errc::unreachable)) {
                        ++tally->unreachable;
                      } else {
                        ++tally->other;
                      }
                    });
        }
        auto t = std::fmod(seconds(steady::now() - st.start), 10.0);
        auto phase = load_cycle[0];
        for (auto& x : load_cycle)
          if (t < x.until) {
            phase = x;
            break;
          }
        auto gap = std::exponential_distribution<double>{phase.rate}(st.rng);
        auto next = std::min(gap, phase.until - t);
        self->delayed_send(self,
                           std::chrono::duration_cast<caf::timespan>(
                               std::chrono::duration<double>(next)),
                           tick_atom::value, gap < phase.until - t);
      },
  };
}

// -- alarms -------------------------------------------------------------------

caf::behavior alarm_printer(caf::event_based_actor*,
                            std::shared_ptr<console> out) {
  return {
      [=](alarm_atom, const std::string& command, deadline_status status) {
        out->line("alarm: " + command + " is " +
                  std::string{to_string(status)});
      },
  };
}

// -- the schedule -------------------------------------------------------------

constexpr duration watch_period = 1500ms;
constexpr duration watch_grace = 500ms;

struct job {
  intent what;
  /// What the header says of its trigger.
  std::string shown;
  /// Pending in the log already (so scheduling it again under its key
  /// changes nothing).
  bool rebuilt = false;
};

// -- interruption -------------------------------------------------------------

volatile std::sig_atomic_t interrupted = 0;

extern "C" void on_interrupt(int) {
  interrupted = 1;
}

/// Ctrl-C (or SIGTERM) ends the run early but cleanly; a second one kills.
void catch_interrupts() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  action.sa_flags = SA_RESETHAND;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
}

// -- the run ------------------------------------------------------------------

int fail(const std::string& what, const caf::error& err, int code) {
  std::fprintf(stderr, "timecontrol demo: %s%s\n", what.c_str(),
               render(err).c_str());
  return code;
}

void print_summary(const run_counts& c, const demo_options& opt,
                   const std::string& log_holds, duration took) {
  auto ull = [](uint64_t x) { return static_cast<unsigned long long>(x); };
  std::printf("\nwrote %llu events in this run: seq %llu..%llu (the log now "
              "holds %s)\n",
              ull(c.events), ull(c.first), ull(c.last), log_holds.c_str());
  std::printf("\n%-12s %7s %9s %10s %7s %10s\n", "command", "calls", "admitted",
              "throttled", "failed", "timed out");
  for (auto& [name, x] : c.commands)
    std::printf("%-12s %7llu %9llu %10llu %7llu %10llu\n", name.c_str(),
                ull(x.calls), ull(x.admitted), ull(x.throttled), ull(x.failed),
                ull(x.timed_out));
  if (!c.watches.empty()) {
    std::printf("\n%-12s %-12s %7s %15s %7s\n", "controller", "command",
                "misses", "status changes", "now");
    for (auto& [key, w] : c.watches)
      std::printf("%-12s %-12s %7llu %15llu %7s\n", key.first.c_str(),
                  key.second.c_str(), ull(w.misses), ull(w.changes),
                  std::string{to_string(w.status)}.c_str());
  }
  std::printf("\nscheduler: %s scheduled, %llu fired, %llu misfired\n",
              count(c.intents_scheduled, "intent").c_str(),
              ull(c.intents_fired), ull(c.intents_misfired));
  std::printf("ran %s; check the log with: timecontrol verify %s\n",
              duration_to_text(took).c_str(), opt.db.c_str());
  std::printf("look into it with: timecontrol stats %s\n"
              "                   timecontrol plot %s -o demo.svg\n",
              opt.db.c_str(), opt.db.c_str());
}

// -- demo --nodes: worker processes ------------------------------------------

/// `timecontrol demo-worker`: calls the demo's command "api" through a
/// remote node for a while, then prints one line with what came of it.
int run_demo_worker(const worker_options& opt) {
  auto where = parse_host_port(opt.connect);
  if (!where) {
    std::fprintf(stderr,
                 "timecontrol demo-worker: --connect '%s': expected "
                 "HOST:PORT\n",
                 opt.connect.c_str());
    return exit_usage;
  }
  caf::actor_system_config cfg;
  if (auto err = configure_node(cfg))
    return fail("", err, exit_usage);
  caf::actor_system sys{cfg};
  auto node =
      remote_node::connect(sys, where->host, where->port, {.node = opt.name});
  if (!node)
    return fail("", node.error(), exit_open_failed);
  auto tally = std::make_shared<call_tally>();
  auto load = sys.spawn(load_impl, (*node)->link(), opt.seed, tally);
  catch_interrupts();
  auto end = steady::now() + opt.length;
  for (auto now = steady::now(); now < end && !interrupted; now = steady::now())
    std::this_thread::sleep_for(std::min<steady::duration>(100ms, end - now));
  // No new calls; the answers on their way still count (a few seconds).
  caf::anon_send(load, halt_atom::value);
  auto answered = [&] {
    return tally->admitted + tally->throttled + tally->other +
           tally->unreachable;
  };
  for (int i = 0; i < 50 && answered() < tally->calls; ++i)
    std::this_thread::sleep_for(100ms);
  caf::anon_send_exit(load, caf::exit_reason::user_shutdown);
  auto ull = [](uint64_t x) { return static_cast<unsigned long long>(x); };
  std::printf("%s: %llu calls, %llu admitted (%llu of them failed), %llu "
              "throttled, %llu other errors, %llu unreachable, %llu "
              "unanswered\n",
              opt.name.c_str(), ull(tally->calls), ull(tally->admitted),
              ull(tally->failed), ull(tally->throttled), ull(tally->other),
              ull(tally->unreachable), ull(tally->calls - answered()));
  return std::fflush(stdout) == 0 ? exit_ok : exit_data_error;
}

/// A worker process started by `demo --nodes`, its standard output piped.
struct worker_process {
  pid_t pid = -1;
  int out = -1;
  std::string name;
};

/// Starts this program as `demo-worker` (posix_spawn: safe beside the actor
/// system's threads).
std::optional<worker_process> start_worker(const std::string& name,
                                           uint16_t port, uint64_t seed,
                                           const std::string& length) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0)
    return std::nullopt;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[1]);
  std::vector<std::string> args{
      "timecontrol", "demo-worker",
      "--connect",   "127.0.0.1:" + std::to_string(port),
      "--name",      name,
      "--seed",      std::to_string(seed),
      "--duration",  length};
  std::vector<char*> argv;
  for (auto& x : args)
    argv.push_back(x.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  auto rc = posix_spawn(&pid, "/proc/self/exe", &actions, nullptr, argv.data(),
                        environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  if (rc != 0) {
    ::close(pipe_fds[0]);
    errno = rc; // posix_spawn answers its error instead of setting errno
    return std::nullopt;
  }
  return worker_process{pid, pipe_fds[0], name};
}

/// Waits for a worker (killing it after `limit`) and answers its line, or
/// what went wrong.
std::string finish_worker(worker_process& w, steady::duration limit) {
  auto end = steady::now() + limit;
  int status = 0;
  while (::waitpid(w.pid, &status, WNOHANG) == 0) {
    if (steady::now() > end) {
      ::kill(w.pid, SIGKILL);
      ::waitpid(w.pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(50ms);
  }
  std::string text;
  char buf[512];
  for (ssize_t n; (n = ::read(w.out, buf, sizeof buf)) > 0;)
    text.append(buf, static_cast<size_t>(n));
  ::close(w.out);
  while (!text.empty() && text.back() == '\n')
    text.pop_back();
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && !text.empty())
    return text;
  return w.name + ": ended " +
         (WIFSIGNALED(status)
              ? "by signal " + std::to_string(WTERMSIG(status))
              : "with exit code " + std::to_string(WEXITSTATUS(status))) +
         " before it could say what came of its calls";
}

int run_demo(const demo_options& opt) {
  // The dashboard listens before the log is touched: a bad --http is a bad
  // flag, an address it cannot listen on leaves no log behind.
  std::unique_ptr<dashboard> dash;
  if (!opt.http.empty()) {
    auto created =
        dashboard::create({.listen = opt.http, .insecure = opt.insecure});
    if (!created) {
      std::fprintf(stderr, "timecontrol demo: %s\n",
                   http_flag_error(created.error()).c_str());
      return exit_usage;
    }
    dash = std::move(*created);
    if (auto port = dash->listen(); !port)
      return fail("", port.error(), exit_open_failed);
  }
  store_options options;
  options.mode = opt.sync ? durability::sync : durability::buffered;
  auto opened = event_store::open(opt.db, options);
  if (!opened)
    return fail("", opened.error(), exit_code_of_open_error(opened.error()));
  std::shared_ptr<event_store> store{std::move(*opened)};
  auto before = store->last_seq();
  std::printf("log %s (%s), %s before this run\n", opt.db.c_str(),
              std::string{to_string(options.mode)}.c_str(),
              events_text(*store).c_str());

  caf::actor_system_config cfg;
  // With --nodes, configure_node registers the types and loads the network.
  if (opt.nodes == 0)
    register_types(cfg);
  else if (auto err = configure_node(cfg))
    return fail("", err, exit_usage);
  caf::actor_system sys{cfg};
  // The actors this function spawns itself; the runtime stops the others.
  std::vector<caf::actor> own;
  struct stopper {
    std::vector<caf::actor>& actors;
    ~stopper() {
      for (auto& x : actors)
        caf::anon_send_exit(x, caf::exit_reason::user_shutdown);
    }
  } stop_own{own};
  // The dashboard, if any, stops before the actor system goes (its
  // observer is an actor of it). If a client holds a connection past
  // stop()'s second, its server thread runs on, detached, until the
  // connection ends or the process exits; the demo does not end with _Exit
  // as serve does, since its log must still close.
  struct dashboard_stopper {
    std::unique_ptr<dashboard>& d;
    ~dashboard_stopper() {
      if (d)
        d->stop();
    }
  } stop_dash{dash};

  // The Scheduler starts before the commands are spawned; its rebuilt
  // intents wait for their commands to register.
  auto rt = runtime::start(sys, store, {.path = opt.db, .node = "demo"});
  if (!rt)
    return fail("", rt.error(), exit_data_error);

  auto start = steady::now();
  auto counts = std::make_shared<shared_counts>();
  auto out = std::make_shared<console>(
      !opt.no_progress && ::isatty(STDERR_FILENO) == 1, start);
  auto observer = (*rt)->observe({.from = before + 1},
                                 [counts](auto& x) { counts->apply(x); });
  if (dash) {
    if (auto err = dash->follow(**rt))
      return fail("", err, exit_data_error);
    std::printf("dashboard %s\n", dash->url().c_str());
    std::fflush(stdout);
  }

  // The simulated services, and the commands in front of them.
  auto api_service =
      sys.spawn(service_impl,
                service_profile{.seed = opt.seed * 2 + 1,
                                .min_latency = 5ms,
                                .max_latency = 40ms,
                                .failure_rate = 0.05,
                                .failure = "HTTP 503: service unavailable"});
  own.push_back(api_service);
  auto feed_service = sys.spawn(
      service_impl, service_profile{.seed = opt.seed * 2 + 2,
                                    .min_latency = 10ms,
                                    .max_latency = 60ms,
                                    .failure_rate = 0.02,
                                    .failure = "feed: connection reset",
                                    .stall_every_min = 4,
                                    .stall_every_max = 9,
                                    .stall_min = 1200ms,
                                    .stall_max = 4s});
  own.push_back(feed_service);
  auto api = spawn_command(
      **rt,
      {.name = "api", .limiter = "5/s burst 10", .action = on_throttle::reject},
      api_service);
  if (!api)
    return fail("api: ", api.error(), exit_data_error);
  // One poll at a time: a poll that comes while the last one still runs is
  // refused (queue_limit 0: recorded as throttled); a poll over 2 s is
  // answered timed_out and frees the slot.
  auto feed = spawn_command(**rt,
                            {.name = "market-data",
                             .queue_limit = 0,
                             .max_in_flight = 1,
                             .timeout = 2s},
                            feed_service);
  if (!feed)
    return fail("market-data: ", feed.error(), exit_data_error);
  auto last_report = std::make_shared<run_counts>();
  auto report = spawn_command(
      **rt, {.name = "report"},
      sync_operation{[=](std::string) -> caf::expected<std::string> {
        auto now = counts->get();
        auto was = std::exchange(*last_report, now);
        auto text = report_text(now, was);
        out->line(text);
        return text;
      }});
  if (!report)
    return fail("report: ", report.error(), exit_data_error);
  auto cleanup = spawn_command(
      **rt, {.name = "cleanup"},
      sync_operation{[=](std::string) -> caf::expected<std::string> {
        out->line("cleanup: the minute's job ran (cron * * * * *)");
        return std::string{"nothing to clean"};
      }});
  if (!cleanup)
    return fail("cleanup: ", cleanup.error(), exit_data_error);

  // Often enough. The Scheduler polls every second; the watchdog wants a
  // poll at least every 1.5 s: a period of exactly 1 s would see every poll
  // that starts a few microseconds later than the one before as late (and
  // its timer fires before the Bus has delivered the poll).
  auto watchdog = spawn_controller(
      **rt, {.name = "watchdog",
             .watches = {{"market-data", watch_period, watch_grace}},
             .actions = action_call | action_alarm});
  if (!watchdog)
    return fail("watchdog: ", watchdog.error(), exit_data_error);
  auto printer = sys.spawn(alarm_printer, out);
  own.push_back(printer);
  caf::anon_send(*watchdog, subscribe_atom::value, printer);

  // The plan, each job under a key: scheduled once, however often the demo
  // runs on the same log. The schedule view says which ones it held.
  auto in_5s = std::to_string(to_nanos((*rt)->time().now() + 5s));
  std::vector<job> jobs{
      {intent{"market-data", "every 1s", "skip", 1, "BTC-EUR", 0,
              "demo/market-data"},
       "every 1s"},
      {intent{"report", "every 5s from " + in_5s, "coalesce", 0, "", 0,
              "demo/report"},
       "every 5s"},
      {intent{"cleanup", "cron * * * * *", "coalesce", 0, "", 0,
              "demo/cleanup"},
       "cron * * * * *"},
  };
  schedule_view held;
  if (auto err = rebuild((*rt)->store(), held))
    return fail("", err, exit_data_error);
  caf::scoped_actor self{sys};
  for (auto& j : jobs) {
    j.rebuilt = held.keyed(j.what.key) != nullptr;
    caf::error err;
    self->request((*rt)->scheduler(), caf::infinite, schedule_atom::value,
                  j.what)
        .receive([](uint64_t) {}, [&](caf::error& x) { err = std::move(x); });
    if (err)
      return fail("schedule: ", err, exit_data_error);
  }
  // With --nodes, the callers of api are other processes: the runtime is
  // served on a loopback port, and each worker calls api there, through the
  // one limiter.
  std::vector<worker_process> workers;
  if (opt.nodes > 0) {
    auto port = serve_node(**rt);
    if (!port)
      return fail("", port.error(), exit_open_failed);
    for (int i = 1; i <= opt.nodes; ++i) {
      auto name = "worker-" + std::to_string(i);
      auto w =
          start_worker(name, *port, opt.seed * 100 + static_cast<uint64_t>(i),
                       opt.duration_text);
      if (!w) {
        auto why = std::string{std::strerror(errno)};
        for (auto& started : workers) {
          ::kill(started.pid, SIGKILL);
          finish_worker(started, 0s);
        }
        return fail("",
                    make_error(errc::operation_failed,
                               "cannot start " + name + ": " + why),
                    exit_data_error);
      }
      workers.push_back(std::move(*w));
    }
    std::printf("  api          limiter 5/s burst 10, rejects; called at "
                "1-20/s by each of %d worker processes, over the network "
                "(127.0.0.1:%u)\n",
                opt.nodes, static_cast<unsigned>(*port));
  } else {
    std::printf("  api          limiter 5/s burst 10, rejects; called by a "
                "load generator at 1-20/s\n");
  }
  for (auto& j : jobs)
    std::printf("  %-12s %s (Scheduler)%s\n", j.what.target.c_str(),
                j.shown.c_str(), j.rebuilt ? ", rebuilt from the log" : "");
  std::printf("  watchdog     wants market-data every %s (grace %s), a "
              "failed poll is down at once; when late or down: call it, "
              "alarm\n",
              duration_to_string(watch_period).c_str(),
              duration_to_string(watch_grace).c_str());
  std::printf("running for %s on the wall clock (Ctrl-C ends it early)\n",
              duration_to_string(opt.length).c_str());
  std::fflush(stdout);

  // The traffic (with --nodes, the workers make it).
  caf::actor load;
  if (workers.empty()) {
    load = sys.spawn(load_impl, *api, opt.seed, std::shared_ptr<call_tally>{});
    own.push_back(load);
  }

  catch_interrupts();
  auto end = start + opt.length;
  for (auto now = steady::now(); now < end && !interrupted && !(*rt)->failure();
       now = steady::now()) {
    std::this_thread::sleep_for(std::min<steady::duration>(200ms, end - now));
    out->progress(
        progress_line(counts->get(), steady::now() - start, opt.length));
  }
  out->close();
  if (interrupted)
    std::printf("interrupted after %s\n",
                duration_to_text(steady::now() - start).c_str());

  // Stop the traffic, then the runtime (it stops the commands, the
  // controller and the Scheduler, and waits for the Log), then the rest.
  // Workers end by themselves at the same time (or on Ctrl-C, which they
  // get too) and say what came of their calls.
  // A signal sent to the demo alone (not to its process group, as Ctrl-C
  // is) goes on to the workers, so that they stop now too.
  if (interrupted)
    for (auto& w : workers)
      ::kill(w.pid, SIGINT);
  std::vector<std::string> worker_lines;
  auto workers_end = steady::now() + (interrupted ? 10s : 15s);
  for (auto& w : workers)
    worker_lines.push_back(finish_worker(
        w, std::max<steady::duration>(workers_end - steady::now(), 0s)));
  if (load) {
    self->monitor(load);
    self->send_exit(load, caf::exit_reason::user_shutdown);
    self->receive([](caf::down_msg&) {});
  }
  self->monitor(observer);
  auto err =
      (*rt)->shutdown(interrupted ? "demo interrupted" : "demo finished");
  auto took = steady::now() - start;
  for (auto& x : own)
    self->send_exit(x, caf::exit_reason::user_shutdown);
  own.clear();
  // The observer ends with the Bus.
  self->receive([](caf::down_msg&) {});
  // The summary comes from the log itself, the source of truth (the
  // observer only fed the progress line).
  run_counts result;
  auto last = (*rt)->store().last_seq();
  auto read = (*rt)->store().replay({.from = before + 1, .to = last},
                                    [&](const envelope& x) {
                                      result.apply(x);
                                      return true;
                                    });
  if (err) {
    // The log stopped taking events (a full disk, say): what it holds is
    // what was acknowledged.
    std::printf("the log stopped after %s: %s\n",
                duration_to_text(took).c_str(), render(err).c_str());
    print_summary(result, opt, events_text((*rt)->store()), took);
    std::fflush(stdout);
    return fail("", err, exit_data_error);
  }
  if (read)
    return fail("reading the log: ", read, exit_data_error);
  print_summary(result, opt, events_text((*rt)->store()), took);
  if (!worker_lines.empty()) {
    std::printf("\nthe workers' calls of api, as each saw them (the table "
                "above counts them from the log):\n");
    for (auto& line : worker_lines)
      std::printf("  %s\n", line.c_str());
  }
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    std::fputs("timecontrol demo: writing to standard output failed\n", stderr);
    return exit_data_error;
  }
  return exit_ok;
}

} // namespace

void add_demo(CLI::App& app, int& result) {
  auto opt = std::make_shared<demo_options>();
  auto* cmd = app.add_subcommand(
      "demo", "Run a small service on the actors for a while (an API client "
              "under a rate limit, a watched poller, periodic jobs), record "
              "it into a log, and summarise it");
  cmd->add_option("--db", opt->db,
                  "Folder of the RocksDB log (created if "
                  "missing; appended to if it exists)")
      ->capture_default_str();
  cmd->add_option("--duration", opt->duration_text,
                  "How long to run on the wall clock: 20s, 1m, 500ms, or "
                  "plain seconds")
      ->check([opt](const std::string& text) -> std::string {
        auto length = parse_length(text);
        if (!length)
          return "expected a duration between 100ms and 1d, such as 20s, "
                 "1m or 30";
        opt->length = *length;
        return {};
      })
      ->capture_default_str();
  add_number_option(*cmd, "--seed", opt->seed,
                    "Seed of the simulated traffic, latencies and failures", 0,
                    std::numeric_limits<uint64_t>::max())
      ->capture_default_str();
  cmd->add_flag("--sync", opt->sync,
                "fsync every write (durability::sync) instead of buffered");
  cmd->add_flag("--no-progress", opt->no_progress,
                "No progress line, even on a terminal");
  cmd->add_option("--http", opt->http,
                  "Serve the running demo's dashboard, metrics and JSON on "
                  "HOST:PORT, as `serve` does (port 0: any free port)");
  cmd->add_flag("--insecure", opt->insecure,
                "Allow an --http address other than loopback (no "
                "authentication)");
  add_number_option(*cmd, "--nodes", opt->nodes,
                    "Call the API from this many worker processes that "
                    "share its limit over the network (a node on a loopback "
                    "port)",
                    1, 8);
  cmd->callback([opt, &result] { result = run_demo(*opt); });

  // The worker processes of --nodes; not for people (hidden).
  auto w = std::make_shared<worker_options>();
  auto* worker = app.add_subcommand("demo-worker", "");
  worker->group("");
  worker->add_option("--connect", w->connect, "HOST:PORT of the demo's node")
      ->required();
  worker->add_option("--name", w->name, "This process's node name");
  add_number_option(*worker, "--seed", w->seed, "Seed of the traffic", 0,
                    std::numeric_limits<uint64_t>::max());
  worker->add_option("--duration", w->duration_text, "How long to call")
      ->check([w](const std::string& text) -> std::string {
        auto length = parse_length(text);
        if (!length)
          return "expected a duration between 100ms and 1d";
        w->length = *length;
        return {};
      });
  worker->callback([w, &result] { result = run_demo_worker(*w); });
}

} // namespace tc::tool
