// The Bus: delivers written events to observers, in log order, each once.
//
// An observer is any actor. It attaches with a filter (a replay_query: from a
// sequence number, optionally one source and/or one event type) and from then
// on receives
//
//   (deliver_atom, uint64_t subscription, envelope)
//
// for every matching event, in sequence order, without gaps or duplicates:
// events already in the log are read from the store first ("catch-up"), then
// live events follow. An observer acknowledges what it has handled with
//
//   (ack_atom, uint64_t subscription, seq_t last_handled)
//
// sent to the Bus. At most `window` events are in flight to one observer; an
// observer that has not acknowledged them stops receiving live events and is
// caught up from the store once it acknowledges again. So a slow or stuck
// observer costs the others nothing, and nothing is dropped silently. An
// observer that exits is detached. spawn_observer() makes an observer from a
// plain function, acknowledgements included.

#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "timecontrol/actors/atoms.hpp"
#include "timecontrol/events/event.hpp"
#include "timecontrol/storage/event_store.hpp"

namespace tc {

using bus_actor = caf::typed_actor<
    // From the Log: events just written, in sequence order.
    caf::reacts_to<publish_atom, std::vector<envelope>>,
    // Attaches an observer; answers the subscription id.
    caf::replies_to<attach_atom, caf::actor, replay_query>::with<uint64_t>,
    caf::reacts_to<detach_atom, uint64_t>,
    caf::reacts_to<ack_atom, uint64_t, seq_t>,
    // Answers the last seq published, once everything that reached the Bus
    // before is handed to the live observers (runtime::shutdown waits for
    // it). An observer that is behind gets the rest only when it acks, so a
    // shutdown can leave it short of the last events; they are in the log.
    caf::replies_to<flush_atom>::with<seq_t>>;

struct bus_config {
  /// Events in flight to one observer before it counts as behind (at least
  /// 64; spawn_observer acknowledges every 16 events).
  size_t window = 1024;
};

/// Spawns a Bus over `store`, whose events up to `published` count as
/// already published.
bus_actor spawn_bus(caf::actor_system& sys,
                    std::shared_ptr<const event_store> store, seq_t published,
                    bus_config config = {});

/// Spawns an observer that attaches to `bus` with `filter` and calls `f`
/// once per matching event, in order, acknowledging as it goes. It runs
/// until the Bus exits or it is killed. An exception from `f` ends it (and
/// so detaches it).
caf::actor spawn_observer(caf::actor_system& sys, bus_actor bus,
                          replay_query filter,
                          std::function<void(const envelope&)> f);

} // namespace tc
