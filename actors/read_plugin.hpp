// Reading a plugin that runs live (spawn_plugin(), actors/plugin.hpp) from
// another actor.
//
// The plugin actor answers (status_atom) with the sequence number its state
// covers and the state as save() writes it. A reader loads those bytes into
// its own plugin object of the same type: a copy of the state as of that
// sequence number, which it may query as long as it likes without holding
// up the plugin actor (and without sharing mutable state with it).
//
//   auto view = tc::spawn_plugin(rt, std::make_shared<tc::schedule_view>());
//   ...
//   // in an event-based actor:
//   tc::read_plugin<tc::schedule_view>(
//       self, *view,
//       [=](tc::schedule_view& v) { auto next = v.next("api"); ... },
//       [=](caf::error& err) { ... });
//
// From a scoped_actor (tests, tools; not on a hot path), do the same by hand:
// request (status_atom), receive (seq_t covered, std::string bytes), then
// P::load(bytes) and covered(covered).

#pragma once

#include <string>
#include <utility>

#include <caf/error.hpp>

#include "timecontrol/actors/plugin.hpp"

namespace tc {

/// Asks `hdl` for its plugin's state and calls `on_loaded(P&)` with a fresh
/// `P` (default-constructed, then loaded; covered() set to what the state
/// covers), or `on_error(caf::error&)` if the request fails or the bytes do
/// not load (e.g. `hdl` runs another kind of plugin). `Self` is an
/// event-based actor (typed or not); the answer arrives as a message, like
/// any request's.
template <class P, class Self, class OnLoaded, class OnError>
void read_plugin(Self* self, const plugin_actor& hdl, OnLoaded on_loaded,
                 OnError on_error) {
  self->request(hdl, caf::infinite, status_atom::value)
      .then(
          [=](seq_t covered, std::string& bytes) mutable {
            P p;
            if (auto err = p.load(bytes)) {
              on_error(err);
              return;
            }
            p.covered(covered);
            on_loaded(p);
          },
          [=](caf::error& err) mutable { on_error(err); });
}

} // namespace tc
