// bench.scheduler: the Scheduler actor's memory per pending intent and its
// throughput, in a real actor system (threads, wall clock) over an in-memory
// store.
//
//   scheduler_memory/N     schedules N intents (every 1h, first fire an hour
//                          away, 100 targets, fixed args "args") through the
//                          actor with anon_send, then reports:
//                            bytes_per_intent   heap in use (mallinfo2) with
//                                               the schedule, minus heap in
//                                               use after the Scheduler is
//                                               stopped (the log's own events
//                                               stay in the store), over N
//                            rebuilt_per_intent the same for the schedule
//                                               the next Scheduler rebuilds
//                                               from the log on start
//                            rss_per_intent     growth of the resident set
//                                               while scheduling, over N
//                                               (includes the stored events)
//                            schedule_per_s     intents scheduled per second
//                            rebuild_per_s      intents rebuilt per second
//   scheduler_fire/B       10 000 "now" intents fired into one command that
//                          admits everything, budget B calls in flight;
//                          items/s are fires per second
//   baseline_request/B     the same 10 000 calls sent straight to the
//                          command by one actor, B in flight at a time: what
//                          the Scheduler adds on top of bare CAF messaging
//
// Run in a release build:
//   bench.scheduler
//   bench.scheduler --benchmark_filter=scheduler_memory   (about a minute)

#include <benchmark/benchmark.h>

#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "timecontrol/actors/runtime.hpp"
#include "timecontrol/actors/scheduler.hpp"
#include "timecontrol/events/register.hpp"

using namespace tc;

namespace {

size_t heap_in_use() {
  ::malloc_trim(0);
  return ::mallinfo2().uordblks;
}

size_t rss_bytes() {
  std::ifstream in{"/proc/self/statm"};
  size_t pages = 0;
  size_t resident = 0;
  in >> pages >> resident;
  return resident * static_cast<size_t>(::sysconf(_SC_PAGESIZE));
}

struct system_holder {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;

  system_holder() {
    register_types(cfg);
    cfg.set("logger.file-verbosity", caf::atom("quiet"));
    sys = std::make_unique<caf::actor_system>(cfg);
  }
};

std::unique_ptr<runtime> start(caf::actor_system& sys,
                               std::shared_ptr<event_store> store,
                               size_t budget = 16) {
  runtime_config cfg;
  cfg.scheduler.max_in_flight = budget;
  auto rt = runtime::start(sys, std::move(store), std::move(cfg));
  if (!rt) {
    std::fprintf(stderr, "runtime: %s\n", render(rt.error()).c_str());
    std::abort();
  }
  return std::move(*rt);
}

// Stops the benchmark if the runtime's Log failed: the figures would not be
// of what they say.
void shut_down(runtime& rt) {
  if (auto err = rt.shutdown()) {
    std::fprintf(stderr, "runtime: %s\n", render(err).c_str());
    std::abort();
  }
}

std::shared_ptr<event_store> memory_store() {
  auto store = event_store::open("bench", {.mode = durability::memory});
  if (!store)
    std::abort();
  return std::shared_ptr<event_store>{std::move(*store)};
}

uint64_t pending(caf::actor_system& sys, const scheduler_actor& s) {
  caf::scoped_actor self{sys};
  uint64_t n = 0;
  self->request(s, caf::infinite, status_atom::value)
      .receive([&](uint64_t x) { n = x; }, [](caf::error&) { std::abort(); });
  return n;
}

void scheduler_memory(benchmark::State& state) {
  auto n = static_cast<uint64_t>(state.range(0));
  for (auto _ : state) {
    system_holder h;
    auto store = memory_store();
    auto rt = start(*h.sys, store);
    auto first = rt->time().now() + std::chrono::hours{1};
    auto trigger = "every 1h from " + std::to_string(to_nanos(first));
    auto heap0 = heap_in_use();
    auto rss0 = rss_bytes();
    auto t0 = std::chrono::steady_clock::now();
    for (uint64_t i = 0; i < n; ++i)
      caf::anon_send(rt->scheduler(), schedule_atom::value,
                     intent{"cmd-" + std::to_string(i % 100), trigger, "",
                            static_cast<int32_t>(i % 10), "args", 0});
    if (pending(*h.sys, rt->scheduler()) != n)
      std::abort();
    auto t1 = std::chrono::steady_clock::now();
    auto heap1 = heap_in_use();
    auto rss1 = rss_bytes();
    shut_down(*rt);
    rt.reset();
    auto heap2 = heap_in_use();
    // A new runtime rebuilds the schedule from the log.
    auto t2 = std::chrono::steady_clock::now();
    rt = start(*h.sys, store);
    if (pending(*h.sys, rt->scheduler()) != n)
      std::abort();
    auto t3 = std::chrono::steady_clock::now();
    auto heap3 = heap_in_use();
    shut_down(*rt);
    rt.reset();
    auto secs = [](auto d) { return std::chrono::duration<double>(d).count(); };
    auto dn = static_cast<double>(n);
    state.counters["bytes_per_intent"] =
        (static_cast<double>(heap1) - static_cast<double>(heap2)) / dn;
    state.counters["rebuilt_per_intent"] =
        (static_cast<double>(heap3) - static_cast<double>(heap2)) / dn;
    state.counters["rss_per_intent"] =
        (static_cast<double>(rss1) - static_cast<double>(rss0)) / dn;
    state.counters["log_bytes_per_intent"] =
        (static_cast<double>(heap2) - static_cast<double>(heap0)) / dn;
    state.counters["schedule_per_s"] = dn / secs(t1 - t0);
    state.counters["rebuild_per_s"] = dn / secs(t3 - t2);
  }
}

BENCHMARK(scheduler_memory)
    ->Arg(10'000)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// A command that admits every call at once and counts them.
caf::behavior counting_command(caf::event_based_actor*,
                               std::shared_ptr<std::atomic<uint64_t>> calls,
                               std::shared_ptr<tc::clock> clk) {
  return {
      [=](check_atom) { return clk->now(); },
      [=](call_atom, const std::string&) {
        calls->fetch_add(1, std::memory_order_relaxed);
        return std::string{"ok"};
      },
  };
}

constexpr uint64_t fire_count = 10'000;

void scheduler_fire(benchmark::State& state) {
  system_holder h;
  auto budget = static_cast<size_t>(state.range(0));
  auto rt = start(*h.sys, memory_store(), budget);
  auto calls = std::make_shared<std::atomic<uint64_t>>(0);
  auto cmd = h.sys->spawn(counting_command, calls, rt->time_ptr());
  rt->commands().add("cmd", cmd);
  for (auto _ : state) {
    auto goal = calls->load() + fire_count;
    for (uint64_t i = 0; i < fire_count; ++i)
      caf::anon_send(rt->scheduler(), schedule_atom::value,
                     intent{"cmd", "now", "", 0, "args", 0});
    while (calls->load() < goal)
      std::this_thread::yield();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(fire_count));
  caf::anon_send_exit(cmd, caf::exit_reason::user_shutdown);
  shut_down(*rt);
}

BENCHMARK(scheduler_fire)
    ->Arg(1)
    ->Arg(16)
    ->Arg(64)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// One actor keeps B requests to the command in flight until it has made
// fire_count calls.
struct driver_state {
  uint64_t sent = 0;
  uint64_t done = 0;
};

caf::behavior driver(caf::stateful_actor<driver_state>* self, caf::actor cmd,
                     uint64_t budget, std::shared_ptr<std::atomic<bool>> fin) {
  auto send_one = std::make_shared<std::function<void()>>();
  *send_one = [=] {
    ++self->state.sent;
    self->request(cmd, caf::infinite, check_atom::value).then([=](time_point) {
      self->request(cmd, caf::infinite, call_atom::value, std::string{"args"})
          .then([=](const std::string&) {
            if (++self->state.done == fire_count) {
              fin->store(true);
              self->quit();
            } else if (self->state.sent < fire_count) {
              (*send_one)();
            }
          });
    });
  };
  for (uint64_t i = 0; i < budget && i < fire_count; ++i)
    (*send_one)();
  return {[](int) {}};
}

void baseline_request(benchmark::State& state) {
  system_holder h;
  auto clk = make_wall_clock();
  auto calls = std::make_shared<std::atomic<uint64_t>>(0);
  auto cmd = h.sys->spawn(counting_command, calls, clk);
  for (auto _ : state) {
    auto fin = std::make_shared<std::atomic<bool>>(false);
    h.sys->spawn(driver, cmd, static_cast<uint64_t>(state.range(0)), fin);
    while (!fin->load())
      std::this_thread::yield();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(fire_count));
  caf::anon_send_exit(cmd, caf::exit_reason::user_shutdown);
}

BENCHMARK(baseline_request)
    ->Arg(1)
    ->Arg(16)
    ->Arg(64)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

} // namespace

BENCHMARK_MAIN();
