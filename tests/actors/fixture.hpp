// An actor system on CAF's test_coordinator (simulated time, run on demand)
// with a runtime over an in-memory store that outlives restarts.

#pragma once

#include <boost/test/unit_test.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/scoped_actor.hpp>

#include <memory>

#include "tests/support/faulty_store.hpp"
#include "tests/support/sample_events.hpp"
#include "timecontrol/actors/runtime.hpp"
#include "timecontrol/events/register.hpp"

namespace tc::test {

struct actor_fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;
  std::shared_ptr<faulty_store> store;
  /// One clock for the whole test, so that time goes on across restarts.
  std::shared_ptr<clock> time;
  std::unique_ptr<runtime> rt;

  actor_fixture() {
    register_types(cfg);
    cfg.set("scheduler.policy", caf::atom("testing"));
    cfg.set("logger.file-verbosity", caf::atom("quiet"));
    sys = std::make_unique<caf::actor_system>(cfg);
    sched = &dynamic_cast<caf::scheduler::test_coordinator&>(sys->scheduler());
    auto inner = event_store::open("test", {.mode = durability::memory});
    store = std::make_shared<faulty_store>(std::move(*inner));
    time = make_actor_clock(*sys, sample_time());
    start();
  }

  ~actor_fixture() {
    rt.reset();
    run();
  }

  /// Starts a runtime over the store (again, after stop()).
  void start(runtime_config config = {}) {
    config.time = time;
    config.log.detached = false;
    auto started = runtime::start(*sys, store, std::move(config));
    if (!started)
      BOOST_FAIL(render(started.error()));
    rt = std::move(*started);
    run();
  }

  /// Shuts the runtime down, as at the end of a process.
  void stop() {
    auto err = rt->shutdown();
    BOOST_TEST(!err, render(err));
    rt.reset();
    run();
  }

  /// Runs every actor until nothing is left to do.
  void run() { sched->run(); }

  /// Moves simulated time and runs what that wakes up. Jumps: every timer
  /// due within `d` fires at the end time (see step() for the other way).
  void advance(duration d) {
    sched->advance_time(std::chrono::duration_cast<caf::timespan>(d));
    run();
  }

  /// Moves simulated time by `d` from one timer to the next, so that every
  /// timer fires at its own time.
  void step(duration d) {
    auto& clk = sched->clock();
    auto end = clk.current_time + std::chrono::duration_cast<caf::timespan>(d);
    run();
    while (!clk.schedule().empty() && clk.schedule().begin()->first <= end) {
      auto next = clk.schedule().begin()->first;
      sched->advance_time(std::max(next - clk.current_time, caf::timespan{0}));
      run();
    }
    if (end > clk.current_time)
      sched->advance_time(end - clk.current_time);
    run();
  }

  time_point now() const { return rt->time().now(); }

  /// Sends a request and waits for its answer by running the coordinator.
  template <class R, class Handle, class... Ts>
  [[nodiscard]] caf::expected<R> ask(const Handle& dest, Ts&&... xs) {
    caf::scoped_actor self{*sys};
    auto pending = self->request(dest, caf::infinite, std::forward<Ts>(xs)...);
    run();
    caf::expected<R> result{caf::error{}};
    pending.receive([&](R& x) { result = std::move(x); },
                    [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  /// The stored events that `query` selects.
  std::vector<envelope> stored(replay_query query = {}) {
    std::vector<envelope> result;
    auto err = store->replay(query, [&](const envelope& x) {
      result.push_back(x);
      return true;
    });
    if (err)
      BOOST_FAIL(render(err));
    return result;
  }

  /// The types of stored events from `source`, in order.
  std::vector<event_type> types_of(const std::string& source) {
    std::vector<event_type> result;
    for (auto& x : stored({.source = source}))
      result.push_back(x.type());
    return result;
  }
};

} // namespace tc::test
