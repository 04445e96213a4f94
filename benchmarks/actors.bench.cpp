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
//                    does the same
//   command_proxy/W  the driver calls a Command that proxies to the bare actor
//   command_sync_memlog/W  command_sync with the Log over the in-memory store:
//                    what the Command costs without RocksDB's share of the
//                    two cores (diagnostic; the goal is for buffered)
//
// The commands' limiter is "10000000/s burst 10000000": checked on every call
// and never hit. Logging is on: every call records call_requested,
// call_admitted, call_started and call_finished through the Log into a
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
// (goal: >= 0.5, and >= 300k calls/s).
//
// Run: build/benchmarks/bench.actors [--benchmark_filter=...]

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "timecontrol/actors/command.hpp"
#include "timecontrol/actors/runtime.hpp"
#include "timecontrol/core/error.hpp"
#include "timecontrol/events/register.hpp"

namespace fs = std::filesystem;
using namespace tc;

namespace {

using go_atom = caf::atom_constant<caf::atom("go")>;

constexpr uint64_t calls_per_iteration = 200'000;

const char* never_hit = "10000000/s burst 10000000";

enum class mode { direct, command_sync, command_proxy, command_sync_memlog };

const char* name_of(mode m) {
  switch (m) {
    case mode::direct:
      return "direct";
    case mode::command_sync:
      return "command_sync";
    case mode::command_sync_memlog:
      return "command_sync_memlog";
    default:
      return "command_proxy";
  }
}

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
};

struct driver_state {
  static inline const char* name = "bench.driver";
  caf::actor dest;
  size_t window = 0;
  uint64_t total = 0;
  uint64_t sent = 0;
  uint64_t received = 0;
  std::shared_ptr<run_control> control;
};

using driver_actor = caf::stateful_actor<driver_state>;

void send_call(driver_actor* self) {
  ++self->state.sent;
  self->send(self->state.dest, call_atom::value, std::string{"x"});
}

void answered(driver_actor* self) {
  auto& st = self->state;
  if (++st.received == st.total) {
    st.control->done.set_value();
    return;
  }
  if (st.sent < st.total)
    send_call(self);
}

caf::behavior driver_impl(driver_actor* self, caf::actor dest, size_t window,
                          std::shared_ptr<run_control> control) {
  self->state.dest = std::move(dest);
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
    rt->shutdown();
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

void run(benchmark::State& state, mode m) {
  using clock = std::chrono::steady_clock;
  auto window = static_cast<size_t>(state.range(0));
  environment env{m == mode::command_sync_memlog ? durability::memory
                                                 : durability::buffered};
  auto bare = env.sys->spawn(bare_impl);
  caf::actor dest = bare;
  command_config config{.name = "bench", .limiter = never_hit};
  if (m != mode::direct) {
    auto cmd = m != mode::command_proxy
                   ? spawn_command(
                         *env.rt, config,
                         sync_operation{
                             [](std::string x) -> caf::expected<std::string> {
                               return x;
                             }})
                   : spawn_command(*env.rt, config, bare);
    if (!cmd) {
      state.SkipWithError(render(cmd.error()).c_str());
      return;
    }
    dest = *cmd;
  }
  auto control = std::make_shared<run_control>();
  auto driver = env.sys->spawn(driver_impl, dest, window, control);
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
  results()[std::string{name_of(m)} + "/" + std::to_string(window)] =
      calls / answering;
  caf::anon_send_exit(driver, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(bare, caf::exit_reason::user_shutdown);
  if (m != mode::direct)
    caf::anon_send_exit(dest, caf::exit_reason::user_shutdown);
}

void direct(benchmark::State& state) {
  run(state, mode::direct);
}

void command_sync(benchmark::State& state) {
  run(state, mode::command_sync);
}

void command_proxy(benchmark::State& state) {
  run(state, mode::command_proxy);
}

void command_sync_memlog(benchmark::State& state) {
  run(state, mode::command_sync_memlog);
}

void windows(benchmark::internal::Benchmark* b) {
  b->Arg(64)->Arg(1024)->Iterations(5)->UseManualTime()->Unit(
      benchmark::kMillisecond);
}

BENCHMARK(direct)->Apply(windows);
BENCHMARK(command_sync)->Apply(windows);
BENCHMARK(command_proxy)->Apply(windows);
BENCHMARK(command_sync_memlog)->Apply(windows);

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
    std::printf("  %-20s %9.0f calls/s  direct %9.0f calls/s  ratio %.2f\n",
                key.c_str(), rate, base->second, rate / base->second);
  }
  return 0;
}
