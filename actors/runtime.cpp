#include "timecontrol/actors/runtime.hpp"

#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/system_messages.hpp>

#include "timecontrol/actors/detail/backlog.hpp"
#include "timecontrol/version.hpp"

namespace tc {

runtime::runtime(caf::actor_system& sys, std::shared_ptr<event_store> store,
                 std::shared_ptr<clock> time, std::string node,
                 uint64_t max_backlog)
    : sys_(sys), store_(std::move(store)), clock_(std::move(time)),
      node_(std::move(node)),
      backlog_(std::make_shared<detail::log_backlog>(max_backlog)) {}

caf::expected<std::unique_ptr<runtime>> runtime::start(caf::actor_system& sys,
                                                       runtime_config config) {
  auto store = event_store::open(config.path, config.store);
  if (!store)
    return store.error();
  return start(sys, std::shared_ptr<event_store>{std::move(*store)},
               std::move(config));
}

caf::expected<std::unique_ptr<runtime>>
runtime::start(caf::actor_system& sys, std::shared_ptr<event_store> store,
               runtime_config config) {
  if (!store)
    return make_error(errc::bad_config, "runtime: no event store");
  auto time = config.time ? config.time : make_wall_clock();
  std::unique_ptr<runtime> rt{new runtime(sys, store, std::move(time),
                                          config.node, config.log.max_backlog)};
  rt->bus_ = spawn_bus(sys, store, store->last_seq(), config.bus);
  rt->log_ = spawn_log(sys, store, rt->bus_, config.log, rt->backlog_);
  // Remember why the Log stopped, if it failed.
  caf::actor_cast<caf::abstract_actor*>(rt->log_)->attach_functor(
      [slot = rt->failure_](const caf::error& reason) {
        if (!reason || reason == caf::exit_reason::user_shutdown)
          return;
        std::lock_guard guard{slot->mutex};
        slot->error = reason;
      });
  rt->send_to_log(rt->node_,
                  node_started{static_cast<uint32_t>(::getpid()), version});
  auto scheduler = spawn_scheduler(*rt, std::move(config.scheduler));
  if (!scheduler) {
    // The Scheduler's error is what start() reports; what the shutdown
    // could add (a Log that failed meanwhile) is not why start() failed.
    static_cast<void>(rt->shutdown("scheduler failed to start"));
    return scheduler.error();
  }
  rt->scheduler_ = std::move(*scheduler);
  return rt;
}

runtime::~runtime() {
  // A destructor cannot report the Log's error: a caller that wants it
  // calls shutdown() first (then this one does nothing), or failure().
  static_cast<void>(shutdown("runtime destroyed"));
}

uint64_t runtime::backlog() const noexcept {
  return backlog_->bytes();
}

caf::error runtime::record(std::string source, event body) {
  if (stopped_)
    return make_error(errc::closed, "runtime: shut down; cannot record");
  if (auto err = failure())
    return err;
  if (backlog_->full())
    return make_error(errc::queue_full,
                      "runtime: the Log's backlog holds " +
                          std::to_string(backlog_->bytes()) + " bytes (limit " +
                          std::to_string(backlog_->limit()) +
                          "); record refused, retry after flush()");
  send_to_log(std::move(source), std::move(body));
  return caf::none;
}

void runtime::send_to_log(std::string source, event body) {
  envelope x{0, clock_->now(), std::move(source), std::move(body)};
  backlog_->add(detail::weight_of(x));
  caf::anon_send(log_, record_atom::value, std::move(x));
}

caf::error runtime::failure() const {
  std::lock_guard guard{failure_->mutex};
  return failure_->error;
}

caf::expected<seq_t> runtime::flush() {
  if (stopped_)
    return make_error(errc::closed, "runtime: shut down; nothing to flush");
  if (auto err = failure())
    return err;
  caf::scoped_actor self{sys_};
  auto pending = self->request(log_, caf::infinite, flush_atom::value);
  if (auto* test =
          dynamic_cast<caf::scheduler::test_coordinator*>(&sys_.scheduler()))
    test->run();
  caf::expected<seq_t> result{seq_t{0}};
  pending.receive([&](seq_t last) { result = last; },
                  [&](caf::error& err) { result = std::move(err); });
  return result;
}

caf::actor runtime::observe(replay_query filter,
                            std::function<void(const envelope&)> f) {
  return spawn_observer(sys_, bus_, std::move(filter), std::move(f));
}

void runtime::adopt(caf::actor recorder) {
  std::lock_guard guard{adopted_mutex_};
  adopted_.push_back(std::move(recorder));
}

caf::error runtime::shutdown(std::string reason) {
  if (stopped_)
    return caf::none;
  stopped_ = true;
  caf::error result;
  caf::scoped_actor self{sys_};
  auto* test =
      dynamic_cast<caf::scheduler::test_coordinator*>(&sys_.scheduler());
  // The Scheduler first, so that everything it records precedes the flush.
  if (scheduler_) {
    self->monitor(scheduler_);
    self->send_exit(scheduler_, caf::exit_reason::user_shutdown);
    if (test)
      test->run();
    self->receive([](caf::down_msg&) {});
    scheduler_ = scheduler_actor{};
  }
  // Then commands and controllers: each hands what it has not yet sent to
  // the Log as it exits.
  std::vector<caf::actor> adopted;
  {
    std::lock_guard guard{adopted_mutex_};
    adopted.swap(adopted_);
  }
  for (auto& recorder : adopted) {
    self->monitor(recorder);
    self->send_exit(recorder, caf::exit_reason::user_shutdown);
  }
  if (test)
    test->run();
  for (size_t i = 0; i < adopted.size(); ++i)
    self->receive([](caf::down_msg&) {});
  send_to_log(node_, node_stopped{std::move(reason)});
  auto pending = self->request(log_, caf::infinite, flush_atom::value);
  // Under the test coordinator nothing runs unless the caller runs it.
  if (test)
    test->run();
  pending.receive([](seq_t) {}, [&](caf::error& err) { result = err; });
  // The Log published the last batch before it answered: once the Bus
  // answers too, that batch is on its way to every live observer.
  auto published = self->request(bus_, caf::infinite, flush_atom::value);
  if (test)
    test->run();
  published.receive([](seq_t) {}, [](caf::error&) {});
  self->send_exit(log_, caf::exit_reason::user_shutdown);
  self->send_exit(bus_, caf::exit_reason::user_shutdown);
  if (test)
    test->run();
  // A Log that failed answers nothing: say why it stopped instead of
  // "request receiver down".
  if (auto err = failure())
    return err;
  return result;
}

} // namespace tc
