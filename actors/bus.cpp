#include "timecontrol/actors/bus.hpp"

#include <deque>
#include <map>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/system_messages.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace tc {

namespace {

struct subscription {
  caf::actor observer;
  replay_query filter;
  // The next sequence number this observer may receive: everything before
  // it was delivered or did not match.
  seq_t next = 1;
  // Delivered, not yet acknowledged.
  std::deque<seq_t> in_flight;
  // Receives live events; false while it is behind.
  bool live = false;
};

struct bus_state {
  static inline const char* name = "tc.bus";

  std::shared_ptr<const event_store> store;
  bus_config config;
  seq_t published = 0;
  uint64_t next_id = 1;
  std::map<uint64_t, subscription> subscriptions;
};

using bus_pointer = bus_actor::stateful_pointer<bus_state>;

bool matches(const replay_query& q, const envelope& x) {
  return x.seq >= q.from && x.seq <= q.to &&
         (!q.source || x.source == *q.source) &&
         (!q.type || x.type() == *q.type);
}

void deliver(uint64_t id, subscription& s, const envelope& x) {
  // anon_send: a typed actor may not send() to an untyped one.
  caf::anon_send(s.observer, deliver_atom::value, id, x);
  s.in_flight.push_back(x.seq);
}

bool window_full(bus_pointer self, const subscription& s) {
  return s.in_flight.size() >= self->state.config.window;
}

// Delivers from the store until the observer is caught up (then it goes
// live) or its window is full.
void catch_up(bus_pointer self, uint64_t id, subscription& s) {
  auto& st = self->state;
  auto to = std::min(s.filter.to, st.published);
  while (!window_full(self, s) && s.next <= to) {
    auto query = s.filter;
    query.from = s.next;
    query.to = to;
    bool stopped = false;
    auto err = st.store->replay(query, [&](const envelope& x) {
      deliver(id, s, x);
      s.next = x.seq + 1;
      stopped = window_full(self, s);
      return !stopped;
    });
    if (err) {
      // The store cannot serve this observer: tell it and end the
      // subscription rather than deliver with a gap.
      caf::anon_send(s.observer, err);
      self->state.subscriptions.erase(id);
      return;
    }
    if (!stopped)
      s.next = to + 1;
  }
  s.live = s.next > to;
}

} // namespace

namespace {

bus_actor::behavior_type bus_impl(bus_pointer self,
                                  std::shared_ptr<const event_store> store,
                                  seq_t published, bus_config config) {
  auto& st = self->state;
  st.store = std::move(store);
  st.published = published;
  st.config = config;
  st.config.window = std::max<size_t>(config.window, 64);
  self->set_down_handler([=](caf::down_msg& msg) {
    auto& subs = self->state.subscriptions;
    for (auto i = subs.begin(); i != subs.end();)
      i = i->second.observer.address() == msg.source ? subs.erase(i)
                                                     : std::next(i);
  });
  return {
      [=](publish_atom, std::vector<envelope>& xs) {
        if (xs.empty())
          return;
        auto& st = self->state;
        st.published = xs.back().seq;
        for (auto& [id, s] : st.subscriptions) {
          if (!s.live)
            continue;
          for (auto& x : xs) {
            if (x.seq < s.next)
              continue;
            if (window_full(self, s)) {
              s.live = false; // caught up from the store on its next ack
              break;
            }
            if (matches(s.filter, x))
              deliver(id, s, x);
            s.next = x.seq + 1;
          }
        }
      },
      [=](attach_atom, caf::actor& observer,
          replay_query& filter) -> caf::result<uint64_t> {
        auto& st = self->state;
        auto id = st.next_id++;
        self->monitor(observer);
        auto& s = st.subscriptions[id];
        s.observer = std::move(observer);
        s.next = std::max<seq_t>(filter.from, 1);
        s.filter = std::move(filter);
        catch_up(self, id, s);
        return id;
      },
      [=](detach_atom, uint64_t id) { self->state.subscriptions.erase(id); },
      [=](flush_atom) { return self->state.published; },
      [=](ack_atom, uint64_t id, seq_t last) {
        auto& subs = self->state.subscriptions;
        auto i = subs.find(id);
        if (i == subs.end())
          return;
        auto& s = i->second;
        while (!s.in_flight.empty() && s.in_flight.front() <= last)
          s.in_flight.pop_front();
        if (!s.live)
          catch_up(self, id, s);
      },
  };
}

// -- spawn_observer -----------------------------------------------------------

struct observer_state {
  static inline const char* name = "tc.observer";
  uint64_t subscription = 0;
  size_t unacked = 0;
};

constexpr size_t ack_every = 16;

caf::behavior observer_impl(caf::stateful_actor<observer_state>* self,
                            bus_actor bus, replay_query filter,
                            std::function<void(const envelope&)> f) {
  self->request(bus, caf::infinite, attach_atom::value,
                caf::actor_cast<caf::actor>(self), std::move(filter))
      .then([=](uint64_t id) { self->state.subscription = id; },
            [=](caf::error& err) { self->quit(err); });
  self->monitor(bus);
  self->set_down_handler([=](caf::down_msg& msg) { self->quit(msg.reason); });
  return {
      [=](deliver_atom, uint64_t id, const envelope& x) {
        f(x);
        if (++self->state.unacked >= ack_every) {
          self->state.unacked = 0;
          self->send(bus, ack_atom::value, id, x.seq);
        }
      },
  };
}

} // namespace

bus_actor spawn_bus(caf::actor_system& sys,
                    std::shared_ptr<const event_store> store, seq_t published,
                    bus_config config) {
  return sys.spawn(bus_impl, std::move(store), published, config);
}

caf::actor spawn_observer(caf::actor_system& sys, bus_actor bus,
                          replay_query filter,
                          std::function<void(const envelope&)> f) {
  return sys.spawn(observer_impl, std::move(bus), std::move(filter),
                   std::move(f));
}

} // namespace tc
