// bench.runtime: the Log, the Bus and the Controller in a real actor system,
// each against a baseline measured in the same run.
//
//   log_append_actor          events recorded through the Log actor
//                             (fire-and-forget, then one flush), RocksDB
//                             buffered; group commit batches them
//   log_append_actor_batched  the same, handed to the Log in vectors of 64
//                             (append_atom), as recorders send them
//   store_append_single       the same events appended to the store directly,
//                             one append each (what code without the Log does)
//   store_append_batched      the same, in batches of 1000 (the ceiling)
//   bus_latency/T             from record to delivery at an observer, at
//                             10 000 events/s; p50 and p99 in microseconds;
//                             T = 1: CAF's workers tuned for latency (poll
//                             5 us apart, no timer slack), T = 0: defaults
//   hop_latency/D             bus_latency's hops apart: 10 events appended
//                             to a store directly, and through a request to
//                             the Log (answered when written); p50 and p99;
//                             D = 1: the Log on a thread of its own (the
//                             default), D = 0: on CAF's workers
//   controller_memory/N       bytes per watched command, N = 10 000,
//                             100 000 and 1 000 000 commands:
//                             bytes/command, the growth of the resident set
//                             while the Controller starts (with the watches'
//                             records on their way to the log), and
//                             heap/command, heap in use with it running
//                             minus heap in use after it stopped and the
//                             runtime flushed (the Controller's own state),
//                             and log/command, the heap the runtime holds
//                             after it stopped (the watches' records in
//                             RocksDB's memtable) minus before it started
//   command_memory/N          bytes per Command, N = 10 000 and 100 000
//                             commands on one runtime: rss/command and
//                             heap/command, growth while they run (with
//                             what their spawns recorded, in RocksDB's
//                             memtable)
//   restart                   starting a runtime and a Command, or a
//                             Controller watching it, over a log of 10
//                             million events of that command (5 million
//                             calls, the compact call record): by replaying
//                             them all (the baseline), and from the actor's
//                             snapshot
//   restart_scheduler         the same for the Scheduler, over a log of 10
//                             million of its own events
//
// Run: build/benchmarks/bench.runtime. Data goes to $TC_BENCH_DIR (default
// /tmp/timecontrol-bench-runtime).

#include <benchmark/benchmark.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/thread_hook.hpp>

#include <malloc.h>
#include <sys/prctl.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "timecontrol/actors/command.hpp"
#include "timecontrol/actors/controller.hpp"
#include "timecontrol/actors/runtime.hpp"
#include "timecontrol/events/register.hpp"
#include "timecontrol/policies/histogram.hpp"

namespace fs = std::filesystem;
using namespace tc;
using namespace std::chrono_literals;

namespace {

std::string fresh_dir(const std::string& name) {
  auto env = std::getenv("TC_BENCH_DIR");
  fs::path dir = env ? env : "/tmp/timecontrol-bench-runtime";
  auto path = dir / name;
  fs::remove_all(path);
  fs::create_directories(dir);
  return path.string();
}

envelope sample(uint64_t i) {
  return envelope{0, from_nanos(static_cast<int64_t>(i)), "bench",
                  call_finished{i, duration{1234}, true, std::string(80, 'x')}};
}

/// Sets the timer slack of each thread CAF starts to 1 ns: a worker's
/// 50 us sleep between polls is then 50 us, not 100.
struct no_timer_slack : caf::thread_hook {
  void init(caf::actor_system&) override {}
  void thread_started() override { ::prctl(PR_SET_TIMERSLACK, 1UL); }
  void thread_terminates() override {}
};

struct system_fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  /// `tuned`: CAF's workers poll for work 5 us apart (instead of 50) once
  /// idle a moment, with no timer slack: lower latency, more CPU when idle.
  explicit system_fixture(bool tuned = false) {
    register_types(cfg);
    if (tuned) {
      cfg.set("work-stealing.moderate-sleep-duration",
              caf::timespan{std::chrono::microseconds{5}});
      cfg.add_thread_hook<no_timer_slack>();
    }
    sys = std::make_unique<caf::actor_system>(cfg);
  }
};

std::unique_ptr<runtime> start(caf::actor_system& sys, const std::string& name,
                               bool detached_log = true) {
  runtime_config config{.path = fresh_dir(name),
                        .store = {.mode = durability::buffered}};
  config.log.detached = detached_log;
  auto rt = runtime::start(sys, std::move(config));
  if (!rt) {
    std::fprintf(stderr, "%s\n", render(rt.error()).c_str());
    std::abort();
  }
  return std::move(*rt);
}

// Stops the benchmark at an error of the runtime (a refused record, a
// failed write): the figures would not be of what they say.
void check(const caf::error& err) {
  if (err) {
    std::fprintf(stderr, "%s\n", render(err).c_str());
    std::abort();
  }
}

seq_t flush(caf::actor_system& sys, const log_actor& log) {
  caf::scoped_actor self{sys};
  seq_t last = 0;
  self->request(log, caf::infinite, flush_atom::value)
      .receive([&](seq_t x) { last = x; },
               [](caf::error& err) {
                 std::fprintf(stderr, "%s\n", render(err).c_str());
                 std::abort();
               });
  return last;
}

constexpr uint64_t events_per_iteration = 100'000;

void log_append_actor(benchmark::State& state) {
  system_fixture f;
  auto rt = start(*f.sys, "log");
  uint64_t events = 0;
  for (auto _ : state) {
    for (uint64_t i = 0; i < events_per_iteration; ++i)
      caf::anon_send(rt->log(), record_atom::value, sample(i));
    flush(*f.sys, rt->log());
    events += events_per_iteration;
  }
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(events),
                                                  benchmark::Counter::kIsRate);
  auto stats = rt->store().stats();
  state.counters["events/write"] =
      static_cast<double>(stats.events) / static_cast<double>(stats.writes);
  check(rt->shutdown());
}
BENCHMARK(log_append_actor)->Unit(benchmark::kMillisecond)->UseRealTime();

void store_append(benchmark::State& state, size_t batch_size) {
  auto store =
      event_store::open(fresh_dir("store"), {.mode = durability::buffered});
  if (!store)
    std::abort();
  uint64_t events = 0;
  std::vector<envelope> batch;
  for (auto _ : state) {
    for (uint64_t i = 0; i < events_per_iteration; i += batch_size) {
      batch.clear();
      for (size_t k = 0; k < batch_size; ++k)
        batch.push_back(sample(i + k));
      if (!(*store)->append(batch))
        std::abort();
    }
    events += events_per_iteration;
  }
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(events),
                                                  benchmark::Counter::kIsRate);
}

// The same events handed to the Log in vectors of 64 (append_atom, as a
// recorder sends what one of its actor's passes recorded), fire and forget.
void log_append_actor_batched(benchmark::State& state) {
  system_fixture f;
  auto rt = start(*f.sys, "log");
  uint64_t events = 0;
  for (auto _ : state) {
    for (uint64_t i = 0; i < events_per_iteration; i += 64) {
      std::vector<envelope> batch;
      batch.reserve(64);
      for (uint64_t j = i; j < i + 64 && j < events_per_iteration; ++j)
        batch.push_back(sample(j));
      caf::anon_send(rt->log(), append_atom::value, std::move(batch));
    }
    flush(*f.sys, rt->log());
    events += events_per_iteration;
  }
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(events),
                                                  benchmark::Counter::kIsRate);
  check(rt->shutdown());
}
BENCHMARK(log_append_actor_batched)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void store_append_single(benchmark::State& state) {
  store_append(state, 1);
}
BENCHMARK(store_append_single)->Unit(benchmark::kMillisecond)->UseRealTime();

void store_append_batched(benchmark::State& state) {
  store_append(state, 1000);
}
BENCHMARK(store_append_batched)->Unit(benchmark::kMillisecond)->UseRealTime();

// The send time travels in call_id (steady-clock nanoseconds).
int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void bus_latency(benchmark::State& state) {
  system_fixture f{state.range(0) != 0};
  auto rt = start(*f.sys, "latency");
  auto latencies = std::make_shared<histogram>();
  auto mutex = std::make_shared<std::mutex>();
  rt->observe({.source = "latency"}, [=](const envelope& x) {
    auto sent = static_cast<int64_t>(std::get<call_requested>(x.body).call_id);
    std::lock_guard guard{*mutex};
    latencies->record(steady_ns() - sent);
  });
  for (auto _ : state) {
    // 2 000 events at 10 000 events/s: 10 every millisecond.
    for (int tick = 0; tick < 200; ++tick) {
      for (int i = 0; i < 10; ++i)
        check(rt->record("latency",
                         call_requested{static_cast<uint64_t>(steady_ns())}));
      std::this_thread::sleep_for(1ms);
    }
  }
  flush(*f.sys, rt->log());
  std::this_thread::sleep_for(50ms); // the last deliveries
  std::lock_guard guard{*mutex};
  state.counters["p50_us"] = static_cast<double>(latencies->p50()) / 1e3;
  state.counters["p99_us"] = static_cast<double>(latencies->p99()) / 1e3;
  state.counters["events"] = static_cast<double>(latencies->count());
  check(rt->shutdown());
}
BENCHMARK(bus_latency)
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(5)
    ->UseRealTime();

// The hops of bus_latency apart, at the same pace (10 events every
// millisecond): a direct append of the 10 to a store of its own (the
// write), and a request to the Log with them answered once written (the
// write, the Log's thread waking and the answer), p50 and p99 of each.
void hop_latency(benchmark::State& state) {
  system_fixture f;
  auto rt = start(*f.sys, "hops", state.range(0) != 0);
  auto direct = event_store::open(fresh_dir("hops-store"),
                                  {.mode = durability::buffered});
  if (!direct)
    check(direct.error());
  histogram store_ns;
  histogram log_ns;
  histogram flush_ns;
  caf::scoped_actor self{*f.sys};
  auto batch = [](uint64_t tick) {
    std::vector<envelope> xs;
    for (uint64_t i = 0; i < 10; ++i)
      xs.push_back(sample(tick * 10 + i));
    return xs;
  };
  for (auto _ : state) {
    for (uint64_t tick = 0; tick < 200; ++tick) {
      auto xs = batch(tick);
      auto t0 = steady_ns();
      if (auto written = (*direct)->append(xs); !written)
        check(written.error());
      store_ns.record(steady_ns() - t0);
      std::this_thread::sleep_for(1ms);
      auto t1 = steady_ns();
      self->request(rt->log(), caf::infinite, append_atom::value, batch(tick))
          .receive([](seq_t) {}, [](caf::error& err) { check(err); });
      log_ns.record(steady_ns() - t1);
      std::this_thread::sleep_for(1ms);
      // A flush with nothing to write: the Log's round trip alone.
      auto t2 = steady_ns();
      self->request(rt->log(), caf::infinite, flush_atom::value)
          .receive([](seq_t) {}, [](caf::error& err) { check(err); });
      flush_ns.record(steady_ns() - t2);
      std::this_thread::sleep_for(1ms);
    }
  }
  state.counters["store_p50_us"] = static_cast<double>(store_ns.p50()) / 1e3;
  state.counters["store_p99_us"] = static_cast<double>(store_ns.p99()) / 1e3;
  state.counters["log_p50_us"] = static_cast<double>(log_ns.p50()) / 1e3;
  state.counters["log_p99_us"] = static_cast<double>(log_ns.p99()) / 1e3;
  state.counters["flush_p50_us"] = static_cast<double>(flush_ns.p50()) / 1e3;
  check(rt->shutdown());
}
BENCHMARK(hop_latency)
    ->Arg(1)
    ->Arg(0)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(5)
    ->UseRealTime();

void flushed(runtime& rt) {
  if (auto seq = rt.flush(); !seq)
    check(seq.error());
}

size_t resident_bytes() {
  std::ifstream statm{"/proc/self/statm"};
  size_t pages = 0;
  size_t resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

void controller_memory(benchmark::State& state) {
  auto commands = static_cast<size_t>(state.range(0));
  for (auto _ : state) {
    system_fixture f;
    auto rt = start(*f.sys, "controller");
    controller_config cfg{"watchdog", {}, action_alarm, {}, {}};
    for (size_t i = 0; i < commands; ++i)
      cfg.watches.push_back({"command-" + std::to_string(i), 1h, 1min});
    auto before = resident_bytes();
    auto heap_before = ::mallinfo2().uordblks;
    auto controller = spawn_controller(*rt, std::move(cfg));
    if (!controller)
      std::abort();
    // Wait until it is running: it answers a status question.
    caf::scoped_actor self{*f.sys};
    self->request(*controller, caf::infinite, status_atom::value,
                  std::string{"command-0"})
        .receive([](deadline_status) {}, [](caf::error&) { std::abort(); });
    auto after = resident_bytes();
    flushed(*rt);
    auto heap_running = ::mallinfo2().uordblks;
    state.counters["bytes/command"] =
        static_cast<double>(after - before) / static_cast<double>(commands);
    self->send_exit(*controller, caf::exit_reason::user_shutdown);
    self->wait_for(*controller);
    flushed(*rt);
    auto heap_stopped = ::mallinfo2().uordblks;
    state.counters["heap/command"] = (static_cast<double>(heap_running) -
                                      static_cast<double>(heap_stopped)) /
                                     static_cast<double>(commands);
    state.counters["log/command"] =
        (static_cast<double>(heap_stopped) - static_cast<double>(heap_before)) /
        static_cast<double>(commands);
    check(rt->shutdown());
  }
}
BENCHMARK(controller_memory)
    ->Arg(10'000)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// Bytes per Command: N commands around a callable (no limit) spawned on one
// runtime; the growth of the resident set and of the heap in use while
// they run, per command.
void command_memory(benchmark::State& state) {
  auto n = static_cast<size_t>(state.range(0));
  for (auto _ : state) {
    system_fixture f;
    auto rt = start(*f.sys, "commands");
    flushed(*rt);
    auto rss0 = resident_bytes();
    auto heap0 = ::mallinfo2().uordblks;
    std::vector<command_actor> commands;
    commands.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      auto cmd = spawn_command(
          *rt, {.name = "command-" + std::to_string(i)},
          sync_operation{
              [](std::string x) -> caf::expected<std::string> { return x; }});
      if (!cmd)
        check(cmd.error());
      commands.push_back(std::move(*cmd));
    }
    flushed(*rt);
    auto rss1 = resident_bytes();
    auto heap1 = ::mallinfo2().uordblks;
    auto dn = static_cast<double>(n);
    state.counters["rss/command"] =
        (static_cast<double>(rss1) - static_cast<double>(rss0)) / dn;
    state.counters["heap/command"] =
        (static_cast<double>(heap1) - static_cast<double>(heap0)) / dn;
    commands.clear();
    check(rt->shutdown());
  }
}
BENCHMARK(command_memory)
    ->Arg(10'000)
    ->Arg(100'000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// Seconds to start a runtime over `path` and spawn the command "api" (which
// replays what it needs), with `snapshot_every`; then one call, and stop.
double restart_seconds(const std::string& path, uint64_t snapshot_every) {
  system_fixture f;
  auto t0 = std::chrono::steady_clock::now();
  auto rt = runtime::start(
      *f.sys, {.path = path, .store = {.mode = durability::buffered}});
  if (!rt)
    std::abort();
  auto cmd = spawn_command(
      **rt,
      {.name = "api",
       .limiter = "100000/s burst 100000",
       .snapshot_every = snapshot_every},
      sync_operation{
          [](std::string x) -> caf::expected<std::string> { return x; }});
  if (!cmd)
    std::abort();
  auto secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  caf::scoped_actor self{*f.sys};
  self->request(*cmd, caf::infinite, call_atom::value, std::string{"x"})
      .receive([](std::string&) {}, [](caf::error&) { std::abort(); });
  if ((*rt)->shutdown())
    std::abort();
  return secs;
}

// Seconds to start a runtime over `path` and spawn the controller
// "watchdog" watching "api" (which replays what it needs), with
// `snapshot_every`; then one event through the Bus, and stop.
double controller_restart_seconds(const std::string& path,
                                  uint64_t snapshot_every) {
  system_fixture f;
  auto t0 = std::chrono::steady_clock::now();
  auto rt = runtime::start(
      *f.sys, {.path = path, .store = {.mode = durability::buffered}});
  if (!rt)
    std::abort();
  controller_config cfg{"watchdog", {{"api", 1s, 1s}}, action_alarm};
  cfg.snapshot_every = snapshot_every;
  auto controller = spawn_controller(**rt, std::move(cfg));
  if (!controller)
    std::abort();
  auto secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  // Two events through the Bus: the second makes it save a snapshot that
  // covers the first.
  if ((*rt)->record("api", call_admitted{0, duration{0}}) ||
      (*rt)->record("api", call_finished{0, duration{0}, true, {}}))
    std::abort();
  caf::scoped_actor self{*f.sys};
  self->request(*controller, caf::infinite, status_atom::value,
                std::string{"api"})
      .receive([](deadline_status) {}, [](caf::error&) { std::abort(); });
  if ((*rt)->shutdown())
    std::abort();
  return secs;
}

// Seconds to start a runtime over `path`, whose Scheduler rebuilds its
// schedule (from its snapshot when there is one) with `snapshot_every`.
// Then the command "api" comes, every overdue intent runs once (coalesce),
// which saves a snapshot (those runs are past `snapshot_every` and the
// number of intents), and it stops.
double scheduler_restart_seconds(const std::string& path,
                                 uint64_t snapshot_every) {
  system_fixture f;
  auto t0 = std::chrono::steady_clock::now();
  auto rt =
      runtime::start(*f.sys, {.path = path,
                              .store = {.mode = durability::buffered},
                              .scheduler = {.snapshot_every = snapshot_every}});
  if (!rt)
    std::abort();
  auto secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  auto cmd = spawn_command(
      **rt, {.name = "api"},
      sync_operation{
          [](std::string x) -> caf::expected<std::string> { return x; }});
  if (!cmd)
    std::abort();
  caf::scoped_actor self{*f.sys};
  for (bool idle = false; !idle;) {
    // Until every intent has run once and the Scheduler has nothing due.
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
    auto fired = (*rt)->store().last_seq();
    if (!(*rt)->flush())
      std::abort();
    idle = (*rt)->store().last_seq() == fired;
  }
  if ((*rt)->shutdown())
    std::abort();
  return secs;
}

void restart(benchmark::State& state) {
  constexpr uint64_t calls = 5'000'000;
  auto path = fresh_dir("restart");
  {
    auto store = event_store::open(path, {.mode = durability::buffered});
    if (!store)
      std::abort();
    std::vector<envelope> batch;
    auto t = from_nanos(1'767'225'600'000'000'000);
    batch.push_back(
        envelope{0, t, "api", policy_changed{"100000/s burst 100000"}});
    for (uint64_t id = 1; id <= calls; ++id) {
      t += std::chrono::microseconds{20};
      batch.push_back(envelope{0, t, "api", call_admitted{id, duration{0}}});
      batch.push_back(envelope{0, t + std::chrono::microseconds{5}, "api",
                               call_finished{id, 5us, true, {}}});
      if (batch.size() >= 10'000 || id == calls) {
        if (!(*store)->append(batch))
          std::abort();
        batch.clear();
      }
    }
  }
  for (auto _ : state) {
    // The baseline: no snapshot, every event replayed. Its one call then
    // saves a snapshot covering the whole log (snapshot_every = 1).
    auto full = restart_seconds(path, 1);
    auto from_snapshot = restart_seconds(path, 1);
    state.counters["command_full_s"] = full;
    state.counters["command_snapshot_s"] = from_snapshot;
    state.counters["command_ratio"] = from_snapshot / full;
    full = controller_restart_seconds(path, 1);
    from_snapshot = controller_restart_seconds(path, 1);
    state.counters["controller_full_s"] = full;
    state.counters["controller_snapshot_s"] = from_snapshot;
    state.counters["controller_ratio"] = from_snapshot / full;
  }
  fs::remove_all(path);
}
BENCHMARK(restart)->Iterations(1)->Unit(benchmark::kMillisecond);

void restart_scheduler(benchmark::State& state) {
  // 1 000 intents "every 1s", each fired 10 000 times.
  constexpr uint64_t intents = 1000;
  constexpr uint64_t fires = 10'000;
  auto path = fresh_dir("restart-scheduler");
  {
    auto store = event_store::open(path, {.mode = durability::buffered});
    if (!store)
      std::abort();
    std::vector<envelope> batch;
    // The last fires are due about now: the restarts find a backlog of a
    // few seconds, not months (each missed fire time is looked at once).
    time_point t = std::chrono::time_point_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now()) -
                   std::chrono::seconds{fires};
    for (uint64_t id = 1; id <= intents; ++id)
      batch.push_back(
          envelope{0, t, "scheduler",
                   intent_scheduled{.intent_id = id,
                                    .target = "api",
                                    .trigger = "every 1s from " +
                                               std::to_string(to_nanos(t)),
                                    .misfire = "coalesce",
                                    .priority = 0,
                                    .args = "x",
                                    .key = {}}});
    for (uint64_t k = 1; k <= fires; ++k) {
      auto due = t + std::chrono::seconds{k - 1};
      for (uint64_t id = 1; id <= intents; ++id)
        batch.push_back(
            envelope{0, due, "scheduler", intent_fired{id, due, {}}});
      if (batch.size() >= 10'000 || k == fires) {
        if (!(*store)->append(batch))
          std::abort();
        batch.clear();
      }
    }
  }
  for (auto _ : state) {
    auto full = scheduler_restart_seconds(path, 1);
    auto from_snapshot = scheduler_restart_seconds(path, 1);
    state.counters["scheduler_full_s"] = full;
    state.counters["scheduler_snapshot_s"] = from_snapshot;
    state.counters["scheduler_ratio"] = from_snapshot / full;
  }
  fs::remove_all(path);
}
BENCHMARK(restart_scheduler)->Iterations(1)->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
