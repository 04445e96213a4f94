// bench.actors: what a Command costs on the hot path, against the same
// operation called directly, in one run.
//
// A driver actor keeps W calls in flight: it sends (call_atom, "x") as plain
// messages and takes the answers as ordinary messages (no `request`, no
// per-call timeout; see CAF-0.17.md), sending the next call for each answer,
// until N calls are answered.
//
//   direct/W         the driver calls a bare actor (call, string) -> string:
//                    the baseline
//   command_sync/W   the driver calls a Command around a sync callable that
//                    does the same (persist, then act: each call runs once
//                    its call_admitted is written)
//   command_act/W    the same with admission_mode::act_then_record: the
//                    call runs at once, the events are recorded on the side
//   command_proxy/W  the driver calls a Command that proxies to the bare actor
//   command_sync_fsync/W, command_act_fsync/W
//                    command_sync and command_act over a `sync` store (every
//                    write fsynced)
//   command_sync_memlog/W  command_sync with the Log over the in-memory store:
//                    what the Command costs without RocksDB's share of the
//                    two cores (diagnostic; the goal is for buffered)
//   latency/M        one call in flight (W = 1): the time from sending a call
//                    to its answer, p50 and p99, for M = direct, persist
//                    (command_sync) and act (command_act); the lines printed
//                    at the end give what a Command adds to direct
//   scale_commands/N one driver keeps 1024 calls in flight over N commands
//                    in turn (N = 1, 16, 1024), command_sync's settings
//   scale_callers/K  K drivers each keep 64 calls in flight on one command
//                    (K = 1, 4, 16)
//   dashboard_cost/W what the dashboard (http/dashboard.hpp) costs a runtime
//                    under load: command_sync/W without a dashboard, with
//                    one served (its observer folds every event), and with
//                    one served and scraped (GET /metrics and /api/state
//                    every second, one /api/events stream open), each on a
//                    fresh runtime, the three in turn 5 times; the medians
//                    and their ratios to the run without are printed
//
// The commands' limiter is "10000000/s burst 10000000": checked on every call
// and never hit. Logging is on: every call records call_admitted and
// call_finished (the compact call record) through the Log into a
// RocksDB store in `buffered` mode under $TC_BENCH_DIR (default
// /tmp/timecontrol-bench-actors, removed afterwards). A real actor system
// (CAF's work-stealing scheduler) runs it all.
//
// Counters:
//   calls/s   answered calls per second (the benchmark's time)
//   logged/s  calls per second counted until the Log has also written every
//             event of the run (a flush after the last answer)
//   failed    calls answered with an error (should be 0)
// After the runs, each command's calls/s is printed as a ratio of direct/W
// (goal: >= 0.5, and >= 300k calls/s), and persist, then act as a ratio of
// act, then record at the same window and durability (goal: >= 0.7 with
// `buffered`).
//
// Run: build/benchmarks/bench.actors [--benchmark_filter=...]

#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "timecontrol/actors/command.hpp"
#include "timecontrol/actors/runtime.hpp"
#include "timecontrol/core/error.hpp"
#include "timecontrol/events/register.hpp"
#include "timecontrol/http/dashboard.hpp"

namespace fs = std::filesystem;
using namespace tc;

namespace {

using go_atom = caf::atom_constant<caf::atom("go")>;

constexpr uint64_t calls_per_iteration = 200'000;

const char* never_hit = "10000000/s burst 10000000";

/// What the driver calls, over which store.
struct mode {
  const char* name;
  bool command = true;
  bool proxy = false;
  admission_mode admission = admission_mode::persist_then_act;
  durability store = durability::buffered;
};

const mode direct_mode{"direct", false};
const mode sync_mode{"command_sync"};
const mode act_mode{"command_act", true, false,
                    admission_mode::act_then_record};
const mode proxy_mode{"command_proxy", true, true};
const mode sync_fsync_mode{"command_sync_fsync", true, false,
                           admission_mode::persist_then_act, durability::sync};
const mode act_fsync_mode{"command_act_fsync", true, false,
                          admission_mode::act_then_record, durability::sync};
const mode memlog_mode{"command_sync_memlog", true, false,
                       admission_mode::persist_then_act, durability::memory};

/// calls/s by "mode/W", for the ratios printed at the end.
std::map<std::string, double>& results() {
  static std::map<std::string, double> x;
  return x;
}

fs::path bench_dir() {
  auto env = std::getenv("TC_BENCH_DIR");
  return env ? fs::path{env} : fs::path{"/tmp/timecontrol-bench-actors"};
}

// -- the actors ---------------------------------------------------------------

caf::behavior bare_impl() {
  return {[](call_atom, std::string& x) { return std::move(x); }};
}

/// Shared between the driver and the benchmark thread; `done` is replaced
/// before each `go`, which the mailbox orders.
struct run_control {
  std::promise<void> done;
  uint64_t failed = 0;
  /// Per-call latencies in ns, when asked for (window 1).
  std::vector<int64_t> latencies;
  bool measure = false;
};

struct driver_state {
  static inline const char* name = "bench.driver";
  // Called in turn, one call each.
  std::vector<caf::actor> dests;
  size_t next = 0;
  size_t window = 0;
  uint64_t total = 0;
  uint64_t sent = 0;
  uint64_t received = 0;
  std::chrono::steady_clock::time_point sent_at;
  std::shared_ptr<run_control> control;
};

using driver_actor = caf::stateful_actor<driver_state>;

void send_call(driver_actor* self) {
  ++self->state.sent;
  if (self->state.control->measure)
    self->state.sent_at = std::chrono::steady_clock::now();
  auto& st = self->state;
  auto& dest = st.dests[st.next];
  st.next = st.next + 1 == st.dests.size() ? 0 : st.next + 1;
  self->send(dest, call_atom::value, std::string{"x"});
}

void answered(driver_actor* self) {
  auto& st = self->state;
  if (st.control->measure)
    st.control->latencies.push_back(
        std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::steady_clock::now() - st.sent_at)
            .count());
  if (++st.received == st.total) {
    st.control->done.set_value();
    return;
  }
  if (st.sent < st.total)
    send_call(self);
}

caf::behavior driver_impl(driver_actor* self, std::vector<caf::actor> dests,
                          size_t window, std::shared_ptr<run_control> control) {
  self->state.dests = std::move(dests);
  self->state.window = window;
  self->state.control = std::move(control);
  return {
      [self](go_atom, uint64_t n) {
        auto& st = self->state;
        st.total = n;
        st.sent = 0;
        st.received = 0;
        for (size_t i = 0; i < st.window && st.sent < n; ++i)
          send_call(self);
      },
      [self](std::string&) { answered(self); },
      [self](caf::error&) {
        ++self->state.control->failed;
        answered(self);
      },
  };
}

// -- the environment ----------------------------------------------------------

/// An actor system and a runtime over a fresh buffered RocksDB store.
struct environment {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::unique_ptr<runtime> rt;
  fs::path dir;

  explicit environment(durability mode) {
    register_types(cfg);
    cfg.set("logger.file-verbosity", caf::atom("quiet"));
    sys = std::make_unique<caf::actor_system>(cfg);
    dir = bench_dir() / "run";
    fs::remove_all(dir);
    fs::create_directories(dir.parent_path());
    runtime_config config;
    config.path = dir.string();
    config.store.mode = mode;
    auto started = runtime::start(*sys, std::move(config));
    if (!started) {
      std::fprintf(stderr, "bench.actors: %s\n",
                   render(started.error()).c_str());
      std::exit(1);
    }
    rt = std::move(*started);
  }

  ~environment() {
    // A Log that failed makes the figures void.
    if (auto err = rt->shutdown()) {
      std::fprintf(stderr, "bench.actors: %s\n", render(err).c_str());
      std::abort();
    }
    rt.reset();
    sys.reset();
    fs::remove_all(dir);
  }

  /// Waits until the Log has written everything sent to it before.
  void flush() {
    caf::scoped_actor self{*sys};
    self->request(rt->log(), caf::infinite, flush_atom::value)
        .receive([](seq_t) {}, [](caf::error&) {});
  }
};

// -- the benchmark ------------------------------------------------------------

/// The destination of the driver's calls in `env` for `m`.
[[nodiscard]] caf::expected<caf::actor>
destination(environment& env, const mode& m, const caf::actor& bare) {
  if (!m.command)
    return bare;
  command_config config{
      .name = "bench", .limiter = never_hit, .admission = m.admission};
  if (m.proxy)
    return spawn_command(*env.rt, config, bare);
  auto cmd = spawn_command(
      *env.rt, config,
      sync_operation{
          [](std::string x) -> caf::expected<std::string> { return x; }});
  if (!cmd)
    return std::move(cmd.error());
  return caf::actor_cast<caf::actor>(*cmd);
}

void run(benchmark::State& state, const mode& m) {
  using clock = std::chrono::steady_clock;
  auto window = static_cast<size_t>(state.range(0));
  environment env{m.store};
  auto bare = env.sys->spawn(bare_impl);
  auto dest = destination(env, m, bare);
  if (!dest) {
    state.SkipWithError(render(dest.error()).c_str());
    return;
  }
  auto control = std::make_shared<run_control>();
  auto driver =
      env.sys->spawn(driver_impl, std::vector{*dest}, window, control);
  double answering = 0;
  double logging = 0;
  for (auto _ : state) {
    control->done = std::promise<void>{};
    auto finished = control->done.get_future();
    auto t0 = clock::now();
    caf::anon_send(driver, go_atom::value, calls_per_iteration);
    finished.wait();
    auto t1 = clock::now();
    env.flush();
    auto t2 = clock::now();
    auto secs = std::chrono::duration<double>(t1 - t0).count();
    state.SetIterationTime(secs);
    answering += secs;
    logging += std::chrono::duration<double>(t2 - t0).count();
  }
  auto calls = static_cast<double>(state.iterations() * calls_per_iteration);
  state.SetItemsProcessed(static_cast<int64_t>(calls));
  state.counters["calls/s"] = benchmark::Counter(calls / answering);
  state.counters["logged/s"] = benchmark::Counter(calls / logging);
  state.counters["failed"] =
      benchmark::Counter(static_cast<double>(control->failed));
  results()[std::string{m.name} + "/" + std::to_string(window)] =
      calls / answering;
  caf::anon_send_exit(driver, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(bare, caf::exit_reason::user_shutdown);
  if (m.command)
    caf::anon_send_exit(*dest, caf::exit_reason::user_shutdown);
}

/// p50 and p99 of one call in flight, in microseconds, by mode name.
std::map<std::string, std::pair<double, double>>& latencies() {
  static std::map<std::string, std::pair<double, double>> x;
  return x;
}

void latency(benchmark::State& state, const mode& m) {
  environment env{m.store};
  auto bare = env.sys->spawn(bare_impl);
  auto dest = destination(env, m, bare);
  if (!dest) {
    state.SkipWithError(render(dest.error()).c_str());
    return;
  }
  auto control = std::make_shared<run_control>();
  control->measure = true;
  auto driver =
      env.sys->spawn(driver_impl, std::vector{*dest}, size_t{1}, control);
  constexpr uint64_t calls = 20'000;
  for (auto _ : state) {
    control->done = std::promise<void>{};
    auto finished = control->done.get_future();
    caf::anon_send(driver, go_atom::value, calls);
    finished.wait();
  }
  auto& xs = control->latencies;
  std::sort(xs.begin(), xs.end());
  auto at = [&](double q) {
    return static_cast<double>(xs[static_cast<size_t>(q * (xs.size() - 1))]) /
           1000.0;
  };
  state.counters["p50_us"] = at(0.5);
  state.counters["p99_us"] = at(0.99);
  latencies()[m.name] = {at(0.5), at(0.99)};
  caf::anon_send_exit(driver, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(bare, caf::exit_reason::user_shutdown);
  if (m.command)
    caf::anon_send_exit(*dest, caf::exit_reason::user_shutdown);
}

/// Median calls/s by "dashboard setting/W" (none, served, scraped).
std::map<std::string, double>& dashboard_results() {
  static std::map<std::string, double> x;
  return x;
}

/// Reads /metrics and /api/state every second and keeps an /api/events
/// stream open, until destroyed.
class scraper {
public:
  explicit scraper(uint16_t port) : port_(port) {
    periodic_ = std::thread{[this] {
      httplib::Client client{"127.0.0.1", port_};
      while (!stop_) {
        auto metrics = client.Get("/metrics");
        auto state = client.Get("/api/state");
        if (!metrics || metrics->status != 200 || !state ||
            state->status != 200)
          ++failed;
        std::unique_lock<std::mutex> lock{mtx_};
        tick_.wait_for(lock, std::chrono::seconds{1},
                       [this] { return stop_.load(); });
      }
    }};
    stream_ = std::thread{[this] {
      httplib::Client client{"127.0.0.1", port_};
      (void)client.Get("/api/events",
                       [this](const char*, size_t) { return !stop_; });
    }};
  }

  ~scraper() {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      stop_ = true;
    }
    tick_.notify_all();
    periodic_.join();
  }

  /// The stream ends when the dashboard stops.
  void join_stream() { stream_.join(); }

  std::atomic<int> failed = 0;

private:
  uint16_t port_;
  std::atomic<bool> stop_ = false;
  std::mutex mtx_;
  std::condition_variable tick_;
  std::thread periodic_;
  std::thread stream_;
};

/// calls/s of sync_mode at `window` on a fresh runtime: 0 without a
/// dashboard, 1 served, 2 served and scraped.
double one_dashboard_run(size_t window, int setting) {
  using clock = std::chrono::steady_clock;
  environment env{durability::buffered};
  std::unique_ptr<dashboard> dash;
  std::unique_ptr<scraper> scrape;
  if (setting > 0) {
    auto served = dashboard::serve(*env.rt, {.listen = "127.0.0.1:0"});
    if (!served) {
      std::fprintf(stderr, "bench.actors: %s\n",
                   render(served.error()).c_str());
      std::exit(1);
    }
    dash = std::move(*served);
    if (setting > 1)
      scrape = std::make_unique<scraper>(dash->port());
  }
  auto bare = env.sys->spawn(bare_impl);
  auto dest = destination(env, sync_mode, bare);
  if (!dest) {
    std::fprintf(stderr, "bench.actors: %s\n", render(dest.error()).c_str());
    std::exit(1);
  }
  auto control = std::make_shared<run_control>();
  auto driver =
      env.sys->spawn(driver_impl, std::vector{*dest}, window, control);
  auto finished = control->done.get_future();
  auto t0 = clock::now();
  caf::anon_send(driver, go_atom::value, calls_per_iteration);
  finished.wait();
  auto secs = std::chrono::duration<double>(clock::now() - t0).count();
  caf::anon_send_exit(driver, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(bare, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(*dest, caf::exit_reason::user_shutdown);
  int failed = 0;
  if (scrape) {
    failed = scrape->failed.load();
    if (dash)
      dash->stop();
    scrape->join_stream();
    scrape.reset();
  }
  if (control->failed != 0 || failed != 0) {
    std::fprintf(stderr, "bench.actors: %llu calls and %d scrapes failed\n",
                 static_cast<unsigned long long>(control->failed), failed);
    std::exit(1);
  }
  return static_cast<double>(calls_per_iteration) / secs;
}

void dashboard_cost(benchmark::State& state) {
  auto window = static_cast<size_t>(state.range(0));
  constexpr const char* settings[] = {"none", "served", "scraped"};
  std::vector<double> rates[3];
  for (auto _ : state)
    for (int round = 0; round < 5; ++round)
      for (int setting = 0; setting < 3; ++setting)
        rates[setting].push_back(one_dashboard_run(window, setting));
  for (int setting = 0; setting < 3; ++setting) {
    auto& xs = rates[setting];
    std::sort(xs.begin(), xs.end());
    auto median = xs[xs.size() / 2];
    state.counters[std::string{settings[setting]} + "_calls/s"] = median;
    dashboard_results()[std::string{settings[setting]} + "/" +
                        std::to_string(window)] = median;
  }
}

/// calls/s by "commands/N" and "callers/K", for the scaling table.
std::map<std::string, double>& scaling_results() {
  static std::map<std::string, double> x;
  return x;
}

/// A command around the sync callable of sync_mode, named `name`.
caf::actor bench_command(environment& env, std::string name) {
  auto cmd = spawn_command(
      *env.rt, {.name = std::move(name), .limiter = never_hit},
      sync_operation{
          [](std::string x) -> caf::expected<std::string> { return x; }});
  if (!cmd) {
    std::fprintf(stderr, "bench.actors: %s\n", render(cmd.error()).c_str());
    std::exit(1);
  }
  return caf::actor_cast<caf::actor>(*cmd);
}

/// Sends `go` to each driver with its share of calls_per_iteration and
/// waits for them all: the seconds it took.
double drive(const std::vector<caf::actor>& drivers,
             const std::vector<std::shared_ptr<run_control>>& controls) {
  std::vector<std::future<void>> finished;
  for (auto& c : controls) {
    c->done = std::promise<void>{};
    finished.push_back(c->done.get_future());
  }
  auto t0 = std::chrono::steady_clock::now();
  for (auto& d : drivers)
    caf::anon_send(d, go_atom::value, calls_per_iteration / drivers.size());
  for (auto& f : finished)
    f.wait();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
      .count();
}

/// One driver keeps 1024 calls in flight over N commands in turn (persist,
/// then act, buffered): how calls/s changes with the number of commands
/// called at once.
void scale_commands(benchmark::State& state) {
  auto n = static_cast<size_t>(state.range(0));
  environment env{durability::buffered};
  std::vector<caf::actor> commands;
  for (size_t i = 0; i < n; ++i)
    commands.push_back(bench_command(env, "bench-" + std::to_string(i)));
  auto control = std::make_shared<run_control>();
  std::vector drivers{
      env.sys->spawn(driver_impl, commands, size_t{1024}, control)};
  double total = 0;
  for (auto _ : state) {
    auto secs = drive(drivers, {control});
    state.SetIterationTime(secs);
    total += secs;
  }
  auto rate =
      static_cast<double>(state.iterations() * calls_per_iteration) / total;
  state.counters["calls/s"] = rate;
  scaling_results()["commands/" + std::to_string(n)] = rate;
  for (auto& x : drivers)
    caf::anon_send_exit(x, caf::exit_reason::user_shutdown);
  for (auto& x : commands)
    caf::anon_send_exit(x, caf::exit_reason::user_shutdown);
}

/// K drivers, each keeping 64 calls in flight on one command (persist,
/// then act, buffered): how calls/s changes with the number of callers.
void scale_callers(benchmark::State& state) {
  auto k = static_cast<size_t>(state.range(0));
  environment env{durability::buffered};
  auto command = bench_command(env, "bench");
  std::vector<caf::actor> drivers;
  std::vector<std::shared_ptr<run_control>> controls;
  for (size_t i = 0; i < k; ++i) {
    controls.push_back(std::make_shared<run_control>());
    drivers.push_back(env.sys->spawn(driver_impl, std::vector{command},
                                     size_t{64}, controls.back()));
  }
  double total = 0;
  for (auto _ : state) {
    auto secs = drive(drivers, controls);
    state.SetIterationTime(secs);
    total += secs;
  }
  auto calls =
      static_cast<double>(state.iterations() * (calls_per_iteration / k * k));
  state.counters["calls/s"] = calls / total;
  scaling_results()["callers/" + std::to_string(k)] = calls / total;
  for (auto& x : drivers)
    caf::anon_send_exit(x, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(command, caf::exit_reason::user_shutdown);
}

void windows(benchmark::internal::Benchmark* b) {
  b->Arg(64)->Arg(1024)->Iterations(5)->UseManualTime()->Unit(
      benchmark::kMillisecond);
}

BENCHMARK_CAPTURE(run, direct, direct_mode)->Apply(windows);
BENCHMARK_CAPTURE(run, command_sync, sync_mode)->Apply(windows);
BENCHMARK_CAPTURE(run, command_act, act_mode)->Apply(windows);
BENCHMARK_CAPTURE(run, command_proxy, proxy_mode)->Apply(windows);
BENCHMARK_CAPTURE(run, command_sync_fsync, sync_fsync_mode)->Apply(windows);
BENCHMARK_CAPTURE(run, command_act_fsync, act_fsync_mode)->Apply(windows);
BENCHMARK_CAPTURE(run, command_sync_memlog, memlog_mode)->Apply(windows);
BENCHMARK_CAPTURE(latency, direct, direct_mode)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(latency, persist, sync_mode)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(latency, act, act_mode)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(scale_commands)
    ->Arg(1)
    ->Arg(16)
    ->Arg(1024)
    ->Iterations(3)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(scale_callers)
    ->Arg(1)
    ->Arg(4)
    ->Arg(16)
    ->Iterations(3)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(dashboard_cost)
    ->Arg(64)
    ->Arg(1024)
    ->Iterations(1)
    ->Unit(benchmark::kSecond);

} // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::printf("\nratio to direct calls at the same window (goal >= 0.5):\n");
  for (auto& [key, rate] : results()) {
    if (key.rfind("direct/", 0) == 0)
      continue;
    auto w = key.substr(key.find('/') + 1);
    auto base = results().find("direct/" + w);
    if (base == results().end())
      continue;
    std::printf("  %-24s %9.0f calls/s  direct %9.0f calls/s  ratio %.2f\n",
                key.c_str(), rate, base->second, rate / base->second);
  }
  std::printf("\npersist, then act against act, then record (goal >= 0.7 "
              "buffered):\n");
  for (auto [persist, act] :
       {std::pair{"command_sync/", "command_act/"},
        std::pair{"command_sync_fsync/", "command_act_fsync/"}})
    for (auto w : {"64", "1024"}) {
      auto p = results().find(std::string{persist} + w);
      auto a = results().find(std::string{act} + w);
      if (p != results().end() && a != results().end())
        std::printf("  %-24s %9.0f calls/s  %-20s %9.0f calls/s  ratio "
                    "%.2f\n",
                    p->first.c_str(), p->second, a->first.c_str(), a->second,
                    p->second / a->second);
    }
  auto base = latencies().find("direct");
  if (base != latencies().end()) {
    std::printf("\nadded to a call's answer, one call in flight (against "
                "direct: p50 %.1f us, p99 %.1f us):\n",
                base->second.first, base->second.second);
    for (auto& [name, q] : latencies())
      if (name != "direct")
        std::printf("  %-24s p50 +%.1f us  p99 +%.1f us\n", name.c_str(),
                    q.first - base->second.first,
                    q.second - base->second.second);
  }
  if (!scaling_results().empty()) {
    std::printf(
        "\nscaling, persist, then act (ratio to 1 command, 1 caller):\n");
    for (auto base_key : {"commands/1", "callers/1"}) {
      auto base = scaling_results().find(base_key);
      for (auto& [key, rate] : scaling_results())
        if (base != scaling_results().end() &&
            key.substr(0, key.find('/')) ==
                std::string_view{base_key}.substr(0, key.find('/')))
          std::printf("  %-16s %9.0f calls/s  ratio %.2f\n", key.c_str(), rate,
                      rate / base->second);
    }
  }
  if (!dashboard_results().empty()) {
    std::printf("\nthe dashboard's cost, median of 5 runs each, persist, "
                "then act (ratio to none):\n");
    for (auto w : {"64", "1024"}) {
      auto none = dashboard_results().find(std::string{"none/"} + w);
      if (none == dashboard_results().end())
        continue;
      for (auto setting : {"served", "scraped"}) {
        auto x = dashboard_results().find(std::string{setting} + "/" + w);
        std::printf("  W = %-5s %-8s %9.0f calls/s  none %9.0f calls/s  "
                    "ratio %.2f\n",
                    w, setting, x->second, none->second,
                    x->second / none->second);
      }
    }
  }
  return 0;
}
