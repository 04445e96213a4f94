// Running a plugin (plugins/plugin.hpp) live: an actor that owns it.
//
// spawn_plugin() first brings the plugin up to date from the store (its
// snapshot, then the events after it), then attaches it to the Bus from the
// next event on, so it sees every event once, in order, and goes on live.
// Now and then it saves the plugin's snapshot, so the next start replays
// only what came after.
//
//   auto st = tc::spawn_plugin(*rt, std::make_shared<tc::stats>(), {});
//   // later, from an actor or a scoped_actor:
//   self->request(*st, caf::infinite, tc::status_atom::value)
//       .then([](tc::seq_t covered, std::string bytes) {
//         tc::stats s;
//         s.load(bytes);   // a copy of the state, as of `covered`
//       });
//
// A plugin that acts on what it learns does so in `act`, called in the
// actor after each event once the plugin has caught up with the log as it
// was at the start: acting on old events would only repeat what the log
// shows was done already.

#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <tuple>

#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "timecontrol/actors/atoms.hpp"
#include "timecontrol/events/event.hpp"
#include "timecontrol/plugins/plugin.hpp"

namespace tc {

class runtime;

struct plugin_options {
  /// Save a snapshot after this many events; 0 only when asked.
  uint64_t snapshot_every = 0;
  /// Start from the saved snapshot, if any. A snapshot that does not load
  /// is ignored (it is derived data): the plugin is rebuilt from the whole
  /// log and the next save replaces it.
  bool from_snapshot = true;
  /// Called in the actor after each event once it is live (see above).
  std::function<void(plugin&, const envelope&)> act = nullptr;
};

using plugin_actor = caf::typed_actor<
    // The state as save() writes it, and the sequence number it covers.
    caf::replies_to<status_atom>::with<seq_t, std::string>,
    // Saves the snapshot now; answers the sequence number it covers.
    caf::replies_to<snapshot_atom>::with<seq_t>,
    // From the Bus.
    caf::reacts_to<deliver_atom, uint64_t, envelope>>;

/// Brings `p` up to date from the runtime's store and spawns the actor that
/// runs it. The actor exits when the Bus does (at runtime::shutdown()), or
/// with the error of an exception thrown by the plugin. Errors: reading the
/// log (e.g. a corrupt record, naming its seq).
[[nodiscard]] caf::expected<plugin_actor>
spawn_plugin(runtime& rt, std::shared_ptr<plugin> p,
             plugin_options options = {});

} // namespace tc
