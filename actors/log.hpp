// The Log: the one writer of the event store.
//
// Every fact of a runtime reaches the Log as an envelope. The Log numbers it,
// writes it with group commit (what arrives while a write is prepared goes
// into the same write, and in sync mode shares its fsync), answers requests
// only once their events are written (durably, in sync mode), then hands the
// written events to the Bus in sequence order.
//
// When a write fails the Log answers the waiting requests with the error and
// exits with it (fail-stop): events that were not acknowledged may be lost,
// acknowledged ones never are. Monitor the Log to learn of it.
//
// Order and durability a caller can rely on: the Log answers append and
// flush in the order it received them, and a flush answers once everything
// it received before is written. The library's actors hand an event to the
// Log before they answer anyone about it, so a flush sent after an answer
// covers the events of that answer.
//
// Back-pressure: the bytes handed to the Log and not yet written (its
// backlog) are counted; while they exceed log_config::max_backlog, the
// library's recorders hold back (see runtime::record and command.hpp).

#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "timecontrol/actors/atoms.hpp"
#include "timecontrol/actors/bus.hpp"
#include "timecontrol/events/event.hpp"

namespace tc {

class event_store;

using log_actor = caf::typed_actor<
    // Records one event; no answer.
    caf::reacts_to<record_atom, envelope>,
    // Records events in order; answers the last one's seq once written.
    caf::replies_to<append_atom, std::vector<envelope>>::with<seq_t>,
    // Answers the last seq once everything received before is written.
    caf::replies_to<flush_atom>::with<seq_t>>;

struct log_config {
  /// Most events in one write; a fuller batch is written at once.
  size_t max_batch = 8192;
  /// Run on a thread of its own, so that fsyncs block no other actor. Must
  /// be false under CAF's test_coordinator.
  bool detached = true;
  /// Most bytes of events (envelopes and their strings) handed to the Log
  /// and not yet written before recorders hold back.
  uint64_t max_backlog = 64 << 20;
};

namespace detail {
class log_backlog;
} // namespace detail

/// Spawns the Log over `store`, publishing to `bus`. `backlog` counts what
/// recorders handed to it (a fresh one if null).
log_actor spawn_log(caf::actor_system& sys, std::shared_ptr<event_store> store,
                    bus_actor bus, log_config config = {},
                    std::shared_ptr<detail::log_backlog> backlog = nullptr);

} // namespace tc
