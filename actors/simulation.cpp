#include "timecontrol/actors/simulation.hpp"

#include <stdexcept>

#include <caf/scheduler/test_coordinator.hpp>

#include "timecontrol/actors/atoms.hpp"
#include "timecontrol/events/register.hpp"
#include "timecontrol/storage/event_store.hpp"

namespace tc {

simulation::simulation() : simulation(options{}) {
  // nop
}

simulation::simulation(options opts) {
  register_types(cfg_);
  cfg_.set("scheduler.policy", caf::atom("testing"));
  cfg_.set("logger.file-verbosity", caf::atom("quiet"));
  if (opts.configure)
    opts.configure(cfg_);
  sys_ = std::make_unique<caf::actor_system>(cfg_);
  sched_ = &dynamic_cast<caf::scheduler::test_coordinator&>(sys_->scheduler());
  auto store =
      event_store::open(opts.runtime.path, {.mode = durability::memory});
  if (!store)
    throw std::runtime_error(render(store.error()));
  store_ = std::move(*store);
  clock_ = make_actor_clock(*sys_, opts.start);
  runtime_config_ = std::move(opts.runtime);
  runtime_config_.time = clock_;
  runtime_config_.log.detached = false;
  restart();
}

simulation::~simulation() {
  // A destructor cannot report the Log's error; the simulation's runtime
  // (rt()) answers failure() and shutdown() to a test that asks.
  if (rt_)
    static_cast<void>(rt_->shutdown("simulation over"));
  rt_.reset();
  run();
}

std::vector<envelope> simulation::events(replay_query query) const {
  std::vector<envelope> result;
  auto err = store_->replay(query, [&](const envelope& x) {
    result.push_back(x);
    return true;
  });
  if (err)
    throw std::runtime_error(render(err));
  return result;
}

size_t simulation::run() {
  return sched_->run();
}

void simulation::advance(duration d) {
  auto& clk = sched_->clock();
  auto end = clk.current_time + std::chrono::duration_cast<caf::timespan>(d);
  run();
  while (!clk.schedule().empty() && clk.schedule().begin()->first <= end) {
    auto next = clk.schedule().begin()->first;
    sched_->advance_time(std::max(next - clk.current_time, caf::timespan{0}));
    run();
  }
  if (end > clk.current_time)
    sched_->advance_time(end - clk.current_time);
  run();
}

caf::expected<std::string> simulation::call(const caf::actor& command,
                                            std::string args) {
  return ask<std::string>(command, call_atom::value, std::move(args));
}

void simulation::call_later(
    const caf::actor& command, std::string args,
    std::function<void(caf::expected<std::string>)> then) {
  sys_->spawn(
      [](caf::event_based_actor* self, caf::actor command, std::string args,
         std::function<void(caf::expected<std::string>)> then) {
        self->request(command, caf::infinite, call_atom::value, std::move(args))
            .then([then](std::string& x) { then(std::move(x)); },
                  [then](caf::error& err) { then(std::move(err)); });
      },
      command, std::move(args), std::move(then));
  run();
}

void simulation::restart(duration pause) {
  if (rt_) {
    if (auto err = rt_->shutdown("simulated restart"))
      throw std::runtime_error(render(err));
    rt_.reset();
    run();
    advance(pause);
  }
  auto started = runtime::start(*sys_, store_, runtime_config_);
  if (!started)
    throw std::runtime_error(render(started.error()));
  rt_ = std::move(*started);
  run();
}

} // namespace tc
