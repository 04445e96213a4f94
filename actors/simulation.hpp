// simulation: test your own code that uses timecontrol on simulated time.
//
// A simulation is an actor system on CAF's test_coordinator (nothing runs
// until the simulation runs it; time moves only when it is advanced) with a
// runtime over an in-memory log, so rate limits, deadlines and schedules
// can be tested to the nanosecond without sleeping and without learning
// CAF's test internals:
//
//   tc::simulation sim;                              // starts at 2026-01-01
//   auto api = tc::spawn_command(sim.rt(), {.name = "api",
//                                           .limiter = "min 500ms",
//                                           .action = tc::on_throttle::wait},
//                                my_operation);
//   auto first = sim.call(*api, "a");                 // answered at once
//   auto second = sim.call(*api, "b");                // waits 500 ms...
//   sim.advance(500ms);                              // ...and is answered
//   assert(sim.events({.source = "api"}).size() > 0);
//
// ask() and call() send a request and run the system until it is answered;
// if nothing is left to run first, the answer needs time to pass and they
// give errc::timed_out ("no answer without time passing"): use call_later()
// and advance() for those. advance(d) moves time from one timer to the
// next, so every timer fires at its own instant and whatever it starts runs
// before the next one; a timer due exactly at the end fires too.
//
// The log lives as long as the simulation, across restart(), which stops
// the runtime (as at the end of a process) and starts a new one on the same
// log with the clock going on: what a restarted program rebuilds from its
// log can be tested too.
//
// Not thread-safe: one thread drives a simulation. Its actors must not be
// detached (the runtime's Log is not) or block.

#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>

#include "timecontrol/actors/command.hpp"
#include "timecontrol/actors/runtime.hpp"
#include "timecontrol/core/error.hpp"

namespace caf::scheduler {
class test_coordinator;
} // namespace caf::scheduler

namespace tc {

class simulation {
public:
  struct options {
    /// The simulated time at the start.
    time_point start = from_nanos(1'767'225'600'000'000'000); // 2026-01-01
    /// The runtime's configuration; its path names the in-memory log, and
    /// its store mode, clock and log.detached are set by the simulation.
    runtime_config runtime = {};
    /// Called with the actor system's configuration before the system is
    /// made, e.g. to register types of one's own.
    std::function<void(caf::actor_system_config&)> configure = nullptr;
  };

  // -- construction -----------------------------------------------------------

  /// Starts the system and the runtime. Throws std::runtime_error if the
  /// runtime does not start (it cannot, over an in-memory log, unless
  /// `options.runtime` is invalid).
  simulation();
  explicit simulation(options opts);

  /// Shuts the runtime down and runs what that leaves.
  ~simulation();

  simulation(const simulation&) = delete;
  simulation& operator=(const simulation&) = delete;

  // -- access -----------------------------------------------------------------

  caf::actor_system& system() noexcept { return *sys_; }

  /// The runtime (a new one after restart()).
  runtime& rt() noexcept { return *rt_; }

  /// The simulated time now.
  time_point now() const noexcept { return clock_->now(); }

  /// The events the log holds that `query` selects, in order.
  std::vector<envelope> events(replay_query query = {}) const;

  // -- driving ----------------------------------------------------------------

  /// Runs every actor until none has anything left to do (time stands
  /// still). Returns the number of messages handled.
  size_t run();

  /// Moves time forward by `d`, timer by timer, running after each.
  void advance(duration d);

  /// Sends (xs...) to `dest` as a request, runs until nothing is left to
  /// run, and gives the answer (of type R), the error it was answered with,
  /// or errc::timed_out if none came.
  template <class R, class Handle, class... Ts>
  [[nodiscard]] caf::expected<R> ask(const Handle& dest, Ts... xs) {
    auto out = std::make_shared<std::optional<caf::expected<R>>>();
    sys_->spawn(
        [out](caf::event_based_actor* self, Handle dest,
              std::tuple<Ts...> msg) {
          std::apply(
              [&](auto&... ys) {
                self->request(dest, caf::infinite, std::move(ys)...)
                    .then([out](R& x) { *out = std::move(x); },
                          [out](caf::error& err) { *out = std::move(err); });
              },
              msg);
        },
        dest, std::tuple<Ts...>{std::move(xs)...});
    run();
    if (!*out)
      return make_error(errc::timed_out,
                        "simulation: no answer without time passing");
    return std::move(**out);
  }

  /// Calls a command ((call_atom, args) -> std::string) and runs until it
  /// answers. A call that must wait for time to pass answers errc::timed_out
  /// here; use call_later() for those.
  [[nodiscard]] caf::expected<std::string> call(const caf::actor& command,
                                                std::string args);
  [[nodiscard]] caf::expected<std::string> call(const command_actor& command,
                                                std::string args) {
    return call(caf::actor_cast<caf::actor>(command), std::move(args));
  }

  /// Calls a command and hands its answer, whenever it comes (after later
  /// run()s or advance()s), to `then`.
  void call_later(const caf::actor& command, std::string args,
                  std::function<void(caf::expected<std::string>)> then);
  void call_later(const command_actor& command, std::string args,
                  std::function<void(caf::expected<std::string>)> then) {
    call_later(caf::actor_cast<caf::actor>(command), std::move(args),
               std::move(then));
  }

  /// Stops the runtime as at the end of a process (everything recorded is
  /// written), lets `pause` pass, and starts a new runtime on the same log.
  void restart(duration pause = duration{0});

private:
  caf::actor_system_config cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  caf::scheduler::test_coordinator* sched_ = nullptr;
  std::shared_ptr<event_store> store_;
  std::shared_ptr<clock> clock_;
  runtime_config runtime_config_;
  std::unique_ptr<runtime> rt_;
};

} // namespace tc
