// The runtime: one per actor system. It opens (or takes) an event store and
// starts the Log, the Bus and the Scheduler over it, with the one clock every
// actor of the runtime reads.
//
//   caf::actor_system_config cfg;
//   tc::register_types(cfg);
//   caf::actor_system sys{cfg};
//   auto rt = tc::runtime::start(sys, {.path = "/var/lib/app/log"});
//   if (!rt) { std::cerr << tc::render(rt.error()); return 1; }
//   (*rt)->observe({}, [](const tc::envelope& x) { ... });
//   ...
//   (*rt)->shutdown();   // records node_stopped, waits for the log to write
//
// Under CAF's test_coordinator (scheduler.policy = testing) pass a clock from
// make_actor_clock and set log.detached = false; shutdown() then runs the
// coordinator itself instead of blocking.

#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include "timecontrol/actors/bus.hpp"
#include "timecontrol/actors/clock.hpp"
#include "timecontrol/actors/log.hpp"
#include "timecontrol/actors/registry.hpp"
#include "timecontrol/actors/scheduler.hpp"
#include "timecontrol/storage/event_store.hpp"

namespace tc {

struct runtime_config {
  /// The log's folder (with durability::memory only a name).
  std::string path = "timecontrol.log";
  store_options store = {};
  /// The clock of every actor; the wall clock when empty.
  std::shared_ptr<clock> time = nullptr;
  /// This process's name in node_started and node_stopped.
  std::string node = "node";
  log_config log = {};
  bus_config bus = {};
  /// The Scheduler, started after the Log; it rebuilds its schedule from
  /// the log on start.
  scheduler_config scheduler = {};
};

class runtime {
public:
  // -- construction -----------------------------------------------------------

  /// Opens the store at `config.path` and starts the Log and the Bus.
  /// Errors: those of event_store::open.
  [[nodiscard]] static caf::expected<std::unique_ptr<runtime>>
  start(caf::actor_system& sys, runtime_config config);

  /// Starts over a store the caller opened.
  [[nodiscard]] static caf::expected<std::unique_ptr<runtime>>
  start(caf::actor_system& sys, std::shared_ptr<event_store> store,
        runtime_config config);

  /// Shuts down if shutdown() was not called.
  ~runtime();

  runtime(const runtime&) = delete;
  runtime& operator=(const runtime&) = delete;

  // -- properties -------------------------------------------------------------

  caf::actor_system& system() const noexcept { return sys_; }

  const log_actor& log() const noexcept { return log_; }

  const bus_actor& bus() const noexcept { return bus_; }

  /// The clock every actor of this runtime reads.
  clock& time() const noexcept { return *clock_; }

  std::shared_ptr<clock> time_ptr() const noexcept { return clock_; }

  /// The store, for reads (replay, snapshots). Writes go through the Log.
  const event_store& store() const noexcept { return *store_; }

  std::shared_ptr<event_store> store_ptr() const noexcept { return store_; }

  const std::string& node() const noexcept { return node_; }

  /// The commands of this runtime by name.
  command_registry& commands() const noexcept { return *commands_; }

  std::shared_ptr<command_registry> commands_ptr() const noexcept {
    return commands_;
  }

  /// The Scheduler (invalid while start() spawns it).
  const scheduler_actor& scheduler() const noexcept { return scheduler_; }

  /// Bytes of events handed to the Log and not yet written (its backlog).
  /// After the Log failed (failure()) it stays at what was pending then:
  /// those events were never acknowledged and will not be written.
  uint64_t backlog() const noexcept;

  /// Internal: the backlog's counter, shared with the Log and the recorders.
  const std::shared_ptr<detail::log_backlog>& backlog_ptr() const noexcept {
    return backlog_;
  }

  // -- operations -----------------------------------------------------------

  /// Sends `body` from `source`, stamped with the clock's now, to the Log,
  /// without waiting for it to be written. Refused, and not sent, with
  /// errc::queue_full while the Log's backlog is over log_config::max_backlog
  /// (the caller may retry after flush()).
  [[nodiscard]] caf::error record(std::string source, event body);

  /// Waits until the Log has written everything it received before, and
  /// answers the last seq. That covers every event the library's actors
  /// recorded before they answered anything the caller has seen: after a
  /// command's answer, flush() makes its call durable (in sync mode:
  /// fsynced). Blocks the calling thread; under CAF's test_coordinator it
  /// runs the coordinator instead. Errors: the Log's write error, or
  /// errc::closed after shutdown().
  [[nodiscard]] caf::expected<seq_t> flush();

  /// Attaches `f` to the Bus as an observer (see spawn_observer).
  caf::actor observe(replay_query filter,
                     std::function<void(const envelope&)> f);

  /// Makes the runtime stop `recorder` (an actor that records into the Log:
  /// a command, a controller) in shutdown(), before the final flush, so
  /// that nothing it recorded is lost. spawn_command and spawn_controller
  /// call it.
  void adopt(caf::actor recorder);

  /// Stops the Scheduler, then the adopted commands and controllers,
  /// records node_stopped, waits until the Log has written everything, then
  /// stops the Log and the Bus. Returns the Log's error, if any (the one it
  /// stopped with, see failure()). Safe to call twice.
  [[nodiscard]] caf::error shutdown(std::string reason = "shutdown");

  /// The error the Log stopped with after a failed write (fail-stop: e.g.
  /// storage_failure naming the path and "No space left on device"), or
  /// none while it runs. Thread-safe. Once set, the runtime records
  /// nothing more: its commands answered their callers with this error and
  /// exited, and the log holds everything that was acknowledged.
  [[nodiscard]] caf::error failure() const;

private:
  runtime(caf::actor_system& sys, std::shared_ptr<event_store> store,
          std::shared_ptr<clock> time, std::string node, uint64_t max_backlog);

  /// record() without the checks.
  void send_to_log(std::string source, event body);

  caf::actor_system& sys_;
  std::shared_ptr<event_store> store_;
  std::shared_ptr<clock> clock_;
  std::string node_;
  std::shared_ptr<detail::log_backlog> backlog_;
  std::shared_ptr<command_registry> commands_ =
      std::make_shared<command_registry>();
  bus_actor bus_;
  log_actor log_;
  scheduler_actor scheduler_;
  struct failure_slot {
    mutable std::mutex mutex;
    caf::error error;
  };
  std::shared_ptr<failure_slot> failure_ = std::make_shared<failure_slot>();
  std::mutex adopted_mutex_;
  std::vector<caf::actor> adopted_;
  bool stopped_ = false;
};

} // namespace tc
