#include "timecontrol/actors/plugin.hpp"

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "timecontrol/actors/runtime.hpp"

namespace tc {

namespace {

struct plugin_state {
  static inline const char* name = "tc.plugin";
  std::shared_ptr<plugin> p;
  std::shared_ptr<event_store> store;
  plugin_options options;
  /// The last seq of the log when the plugin was rebuilt: events up to it
  /// are history, acted upon already.
  seq_t live_after = 0;
  uint64_t since_snapshot = 0;
  size_t unacked = 0;
};

constexpr size_t ack_every = 16;

plugin_actor::behavior_type
plugin_impl(plugin_actor::stateful_pointer<plugin_state> self, bus_actor bus,
            std::shared_ptr<plugin> p, std::shared_ptr<event_store> store,
            plugin_options options, seq_t live_after) {
  auto& st = self->state;
  st.p = std::move(p);
  st.store = std::move(store);
  st.options = std::move(options);
  st.live_after = live_after;
  auto filter = st.p->filter();
  filter.from = std::max(filter.from, st.p->covered() + 1);
  self->request(bus, caf::infinite, attach_atom::value,
                caf::actor_cast<caf::actor>(self), std::move(filter))
      .then([](uint64_t) {}, [=](caf::error& err) { self->quit(err); });
  self->monitor(bus);
  self->set_down_handler([=](caf::down_msg& msg) { self->quit(msg.reason); });
  auto snapshot = [=]() -> caf::result<seq_t> {
    auto& st = self->state;
    st.since_snapshot = 0;
    if (auto err = save_snapshot(*st.store, *st.p))
      return err;
    return st.p->covered();
  };
  return {
      [=](status_atom) -> caf::result<seq_t, std::string> {
        auto& st = self->state;
        return caf::result<seq_t, std::string>(st.p->covered(), st.p->save());
      },
      [=](snapshot_atom) -> caf::result<seq_t> { return snapshot(); },
      [=](deliver_atom, uint64_t id, const envelope& x) {
        auto& st = self->state;
        if (++st.unacked >= ack_every) {
          st.unacked = 0;
          self->send(bus, ack_atom::value, id, x.seq);
        }
        if (x.seq <= st.p->covered())
          return;
        st.p->consume(x);
        if (st.options.act && x.seq > st.live_after)
          st.options.act(*st.p, x);
        if (st.options.snapshot_every != 0 &&
            ++st.since_snapshot >= st.options.snapshot_every) {
          // A failed save costs only a longer replay at the next start.
          (void)save_snapshot(*st.store, *st.p);
          st.since_snapshot = 0;
        }
      },
  };
}

} // namespace

caf::expected<plugin_actor> spawn_plugin(runtime& rt, std::shared_ptr<plugin> p,
                                         plugin_options options) {
  if (!p)
    return make_error(errc::bad_config, "spawn_plugin: no plugin");
  auto up_to = rt.store().last_seq();
  auto err = rebuild(rt.store(), *p,
                     {.from_snapshot = options.from_snapshot, .to = up_to});
  if (err && options.from_snapshot && p->covered() == 0) {
    // The snapshot did not load: rebuild from the whole log instead.
    err = rebuild(rt.store(), *p, {.from_snapshot = false, .to = up_to});
  }
  if (err)
    return err;
  return rt.system().spawn(plugin_impl, rt.bus(), std::move(p), rt.store_ptr(),
                           std::move(options), up_to);
}

} // namespace tc
