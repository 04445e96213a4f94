#include "timecontrol/net/node.hpp"

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <random>
#include <set>
#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/middleman_actor.hpp>
#include <caf/make_message.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/openssl/publish.hpp>
#include <caf/openssl/remote_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/system_messages.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "timecontrol/actors/detail/backlog.hpp"
#include "timecontrol/actors/runtime.hpp"
#include "timecontrol/core/address.hpp"
#include "timecontrol/core/error.hpp"
#include "timecontrol/core/time.hpp"
#include "timecontrol/events/register.hpp"
#include "timecontrol/net/detail/tls.hpp"
#include "timecontrol/net/protocol.hpp"

namespace tc {

namespace {

/// The longest pause between two attempts to reconnect.
constexpr auto max_retry = std::chrono::seconds{2};
constexpr auto first_retry = std::chrono::milliseconds{50};

/// An observer acknowledges every this many events (as spawn_observer).
constexpr size_t ack_every = 16;

/// The longest node name a process may join with.
constexpr size_t max_node_name = 64;

using retry_atom = caf::atom_constant<caf::atom("tc_retry")>;
using resend_atom = caf::atom_constant<caf::atom("tc_resend")>;

/// How long a join may take. Short: a join that gets no answer was most
/// likely sent on a connection that had just died (CAF's middleman hands out
/// its handle until it has noticed), and the next attempt makes a new one.
caf::timespan join_timeout(const remote_config& config) {
  return std::min<caf::timespan>(config.timeout, std::chrono::seconds{5});
}

caf::error unreachable(const std::string& address, const std::string& why) {
  return make_error(errc::unreachable, "node " + address + ": " + why);
}

// -- the serving side ---------------------------------------------------------

struct entry_state {
  static inline const char* name = "tc.node";

  std::string node;
  log_actor log;
  bus_actor bus;
  scheduler_actor scheduler;
  std::shared_ptr<command_registry> commands;
  std::shared_ptr<detail::log_backlog> backlog;
  std::shared_ptr<clock> time;
  // Per producer, the producer sequence number of the next event it has not
  // handed over yet (absent: none seen since this process started).
  std::map<std::string, uint64_t> next;
  // The processes joined, by their link actor, and how many of its joins
  // are watched (a link that rejoins before the notice of its last loss
  // arrives is watched twice): node_lost for each notice.
  struct joined_link {
    std::string node;
    size_t watched = 0;
  };
  std::map<caf::actor_addr, joined_link> joined;
};

using entry_pointer = node_actor::stateful_pointer<entry_state>;

/// Why a joined process is gone, for node_lost.
std::string lost_reason(const caf::error& reason) {
  // CAF reports a connection that ended without an exit of the peer's actor
  // as no reason (or remote_link_unreachable).
  if (!reason || reason == caf::exit_reason::remote_link_unreachable)
    return "connection lost";
  if (reason == caf::exit_reason::user_shutdown ||
      reason == caf::exit_reason::normal)
    return "left";
  // CAF's "unknown": the peer's actor is gone, and CAF does not know how.
  if (reason == caf::exit_reason::unknown)
    return "ended";
  return render(reason);
}

/// An event of the serving node, stamped now; counted in the Log's backlog.
envelope make_envelope(entry_pointer self, event body) {
  auto& st = self->state;
  envelope x{0, st.time->now(), st.node, std::move(body)};
  if (st.backlog)
    st.backlog->add(detail::weight_of(x));
  return x;
}

/// Records an event of the serving node without waiting.
void record(entry_pointer self, event body) {
  self->send(self->state.log, record_atom::value,
             make_envelope(self, std::move(body)));
}

/// Asks the Log and answers with what it answers. Not a delegation: the
/// answer then comes from the entry. A delegated answer would come from the
/// Log, and CAF would keep a reference to the Log for the peer, which may
/// outlive the runtime and keep the actor system from shutting down.
template <class... Ts>
caf::result<seq_t> ask_log(entry_pointer self, Ts&&... xs) {
  auto rp = self->make_response_promise<seq_t>();
  self->request(self->state.log, caf::infinite, std::forward<Ts>(xs)...)
      .then([=](seq_t last) mutable { rp.deliver(last); },
            [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

node_actor::behavior_type entry_impl(entry_pointer self, runtime* rt) {
  auto& st = self->state;
  st.node = rt->node();
  st.log = rt->log();
  st.bus = rt->bus();
  st.scheduler = rt->scheduler();
  st.commands = rt->commands_ptr();
  st.backlog = rt->backlog_ptr();
  st.time = rt->time_ptr();
  self->set_down_handler([=](caf::down_msg& msg) {
    auto& st = self->state;
    auto i = st.joined.find(msg.source);
    if (i == st.joined.end())
      return;
    record(self, node_lost{i->second.node, lost_reason(msg.reason)});
    if (--i->second.watched == 0)
      st.joined.erase(i);
  });
  // Anything else a peer sends (a message of another shape, garbage that
  // decoded as some message) is answered with an error and changes nothing.
  self->set_default_handler(
      [](caf::scheduled_actor*,
         caf::message_view& x) -> caf::result<caf::message> {
        auto shape = x.content().stringify();
        if (shape.size() > 200)
          shape = shape.substr(0, 200) + "...";
        return make_error(errc::unexpected_message,
                          "node: no request of the shape " + shape);
      });
  return {
      [=](join_atom, std::string& node,
          uint32_t pid) -> caf::result<std::string, seq_t> {
        if (node.empty() || node.size() > max_node_name)
          return make_error(errc::bad_request, "node: a node name of " +
                                                   std::to_string(node.size()) +
                                                   " bytes; it has 1 to 64");
        // The joining link is watched: its end is recorded as node_lost.
        if (auto sender = self->current_sender()) {
          auto& link =
              self->state.joined[caf::actor_cast<caf::actor_addr>(sender)];
          link.node = node;
          ++link.watched;
          self->monitor(caf::actor_cast<caf::actor>(sender));
        }
        // Answered once node_joined is written (persist, then act).
        auto rp = self->make_response_promise<std::string, seq_t>();
        self->request(self->state.log, caf::infinite, append_atom::value,
                      std::vector<envelope>{
                          make_envelope(self, node_joined{node, pid})})
            .then(
                [=](seq_t last) mutable { rp.deliver(self->state.node, last); },
                [=](caf::error& err) mutable { rp.deliver(err); });
        return rp;
      },
      [=](append_atom, std::string& producer, uint64_t first,
          std::vector<envelope>& xs) -> caf::result<seq_t> {
        auto& st = self->state;
        if (xs.size() > max_remote_batch)
          return make_error(errc::bad_request,
                            "node: " + std::to_string(xs.size()) +
                                " events in one append; at most " +
                                std::to_string(max_remote_batch));
        if (first == 0 || producer.empty())
          return make_error(errc::bad_request,
                            "node: an append needs a producer and a first "
                            "number from 1");
        auto i = st.next.find(producer);
        if (i != st.next.end() && first > i->second)
          return make_error(errc::bad_request,
                            "node: producer '" + producer + "' sent " +
                                std::to_string(first) + " after " +
                                std::to_string(i->second - 1) +
                                "; the events between are missing");
        auto skip = i == st.next.end() ? 0 : i->second - first;
        if (skip >= xs.size()) // all of them taken before
          return ask_log(self, flush_atom::value);
        if (st.backlog && st.backlog->full())
          return make_error(errc::queue_full,
                            "node " + st.node +
                                ": the log's backlog is full; try again");
        xs.erase(xs.begin(), xs.begin() + static_cast<ptrdiff_t>(skip));
        st.next[producer] = first + skip + xs.size();
        for (auto& x : xs) {
          x.seq = 0;
          if (st.backlog)
            st.backlog->add(detail::weight_of(x));
        }
        return ask_log(self, append_atom::value, std::move(xs));
      },
      [=](attach_atom, caf::actor& observer,
          replay_query& filter) -> caf::result<uint64_t> {
        if (!observer)
          return make_error(errc::bad_request, "node: attach without observer");
        return self->delegate(self->state.bus, attach_atom::value,
                              std::move(observer), std::move(filter));
      },
      [=](detach_atom, uint64_t id) {
        self->send(self->state.bus, detach_atom::value, id);
      },
      [=](ack_atom, uint64_t id, seq_t last) {
        self->send(self->state.bus, ack_atom::value, id, last);
      },
      [=](call_atom, std::string& name, std::string& key, std::string& args,
          uint64_t cost, caf::timespan max_wait) -> caf::result<std::string> {
        auto found = self->state.commands->lookup(name);
        if (!found.command)
          return make_error(errc::not_found, "node " + self->state.node +
                                                 ": no command '" + name + "'");
        // Around a callable: its own call shape. In front of an actor: that
        // actor gets (call_atom, args), under the command's limiter.
        auto rp = self->make_response_promise();
        if (found.proxy)
          rp.delegate(found.command, call_with_atom::value, key_atom::value,
                      std::move(key), cost, max_wait,
                      caf::make_message(call_atom::value, std::move(args)));
        else
          rp.delegate(found.command, call_atom::value, key_atom::value,
                      std::move(key), std::move(args), cost, max_wait);
        return caf::delegated<std::string>{};
      },
      [=](commands_atom) { return self->state.commands->names(); },
      [=](schedule_atom, intent& x) -> caf::result<uint64_t> {
        if (!self->state.scheduler)
          return make_error(errc::not_found,
                            "node " + self->state.node + ": no scheduler");
        return self->delegate(self->state.scheduler, schedule_atom::value,
                              std::move(x));
      },
      [=](cancel_atom, uint64_t id) -> caf::result<bool> {
        if (!self->state.scheduler)
          return make_error(errc::not_found,
                            "node " + self->state.node + ": no scheduler");
        return self->delegate(self->state.scheduler, cancel_atom::value, id);
      },
      [=](flush_atom) -> caf::result<seq_t> {
        return ask_log(self, flush_atom::value);
      },
  };
}

// -- the connecting side ------------------------------------------------------

struct flush_waiter {
  uint64_t id;
  uint64_t until; // the producer number that must be acknowledged
  caf::response_promise promise;
};

struct link_state {
  static inline const char* name = "tc.remote";

  caf::io::middleman_actor mm;
  host_port where;
  std::string address;
  std::string producer;
  remote_config config;
  std::shared_ptr<std::atomic<size_t>> counter;

  node_actor entry; // valid while connected
  bool connecting = false;
  caf::timespan retry = first_retry;
  // Increases with every connection and every loss of one, so that answers
  // of an earlier connection are told apart.
  uint64_t epoch = 0;

  // Recorded and not acknowledged: the producer numbers first_pending,
  // first_pending + 1, ...
  std::deque<envelope> pending;
  uint64_t first_pending = 1;
  // Whether an append is in flight on this connection.
  bool appending = false;
  std::vector<flush_waiter> flushes;
  // Requests forwarded to the node and not answered, failed when the
  // connection is lost (CAF never fails them itself).
  std::map<uint64_t, caf::response_promise> requests;
  uint64_t next_request = 1;
  // Observers waiting for a connection (get_atom).
  std::vector<caf::response_promise> waiting_for_entry;
};

using link_pointer = caf::stateful_actor<link_state>*;

void send_pending(link_pointer self);
void reconnect(link_pointer self);

void connected(link_pointer self, node_actor entry) {
  auto& st = self->state;
  st.entry = std::move(entry);
  st.connecting = false;
  st.retry = first_retry;
  ++st.epoch;
  st.appending = false; // what was in flight before goes again
  self->monitor(st.entry);
  auto handle = caf::actor_cast<caf::actor>(st.entry);
  for (auto& rp : st.waiting_for_entry)
    rp.deliver(handle);
  st.waiting_for_entry.clear();
  send_pending(self);
}

void retry_later(link_pointer self) {
  auto& st = self->state;
  st.connecting = false;
  self->delayed_send(self, st.retry, retry_atom::value);
  st.retry = std::min<caf::timespan>(st.retry * 2, max_retry);
}

void reconnect(link_pointer self) {
  auto& st = self->state;
  if (st.entry || st.connecting)
    return;
  st.connecting = true;
  self->request(st.mm, st.config.timeout, caf::connect_atom::value,
                st.where.host, st.where.port)
      .then(
          [=](caf::node_id&, caf::strong_actor_ptr& ptr,
              std::set<std::string>& ifs) {
            auto mine = self->system().message_types<node_actor>();
            if (!ptr || !std::includes(ifs.begin(), ifs.end(), mine.begin(),
                                       mine.end())) {
              retry_later(self);
              return;
            }
            auto entry = caf::actor_cast<node_actor>(std::move(ptr));
            auto& st = self->state;
            self->request(entry, join_timeout(st.config), join_atom::value,
                          st.config.node, static_cast<uint32_t>(::getpid()))
                .then([=](std::string&, seq_t) { connected(self, entry); },
                      [=](caf::error&) { retry_later(self); });
          },
          [=](caf::error&) { retry_later(self); });
}

void lost(link_pointer self) {
  auto& st = self->state;
  st.entry = nullptr;
  st.appending = false;
  ++st.epoch;
  auto requests = std::move(st.requests);
  st.requests.clear();
  for (auto& [id, rp] : requests)
    rp.deliver(unreachable(st.address, "the connection was lost before it "
                                       "answered"));
  // Not at once: CAF's middleman learns of the loss by its own message and
  // until then answers a connect with the dead connection's handle.
  retry_later(self);
}

void acknowledged(link_pointer self, uint64_t upto, seq_t last) {
  auto& st = self->state;
  size_t n = 0;
  while (st.first_pending <= upto && !st.pending.empty()) {
    st.pending.pop_front();
    ++st.first_pending;
    ++n;
  }
  st.counter->fetch_sub(n, std::memory_order_relaxed);
  auto& fs = st.flushes;
  for (auto i = fs.begin(); i != fs.end();) {
    if (i->until <= upto) {
      i->promise.deliver(last);
      i = fs.erase(i);
    } else {
      ++i;
    }
  }
}

void send_pending(link_pointer self) {
  auto& st = self->state;
  if (!st.entry || st.appending || st.pending.empty())
    return;
  auto n = std::min(st.pending.size(), max_remote_batch);
  std::vector<envelope> batch(st.pending.begin(),
                              st.pending.begin() + static_cast<ptrdiff_t>(n));
  st.appending = true;
  auto first = st.first_pending;
  auto epoch = st.epoch;
  self->request(st.entry, st.config.timeout, append_atom::value, st.producer,
                first, std::move(batch))
      .then(
          [=](seq_t last) {
            auto& st = self->state;
            acknowledged(self, first + n - 1, last);
            if (epoch == st.epoch) {
              st.appending = false;
              send_pending(self);
            }
          },
          [=](caf::error& err) {
            // Refused for a full backlog, or timed out: the same events go
            // again after a pause, and the node skips what it already
            // took. (A lost connection sends them again on reconnect.) Any
            // other error (the node's Log failed) is also the answer of
            // the flushes waiting; the records stay pending and are tried
            // again, slowly.
            auto& st = self->state;
            if (epoch != st.epoch)
              return;
            auto pause = st.retry;
            if (!is(err, errc::queue_full) &&
                err != caf::sec::request_timeout) {
              for (auto& w : st.flushes)
                w.promise.deliver(err);
              st.flushes.clear();
              pause = max_retry;
            }
            self->delayed_send(self, pause, resend_atom::value, epoch);
          });
}

/// Forwards a request to the node and its answer (of type T) back; fails
/// it with errc::unreachable at once while disconnected or when the
/// connection is lost.
template <class T, class... Ts>
caf::result<T> forward(link_pointer self, Ts... xs) {
  auto& st = self->state;
  if (!st.entry)
    return unreachable(st.address, "not connected; reconnecting");
  auto id = st.next_request++;
  st.requests.emplace(id, self->make_response_promise());
  self->request(st.entry, st.config.timeout, std::move(xs)...)
      .then(
          [=](T& x) {
            auto& rs = self->state.requests;
            if (auto i = rs.find(id); i != rs.end()) {
              i->second.deliver(std::move(x));
              rs.erase(i);
            }
          },
          [=](caf::error& err) {
            auto& rs = self->state.requests;
            auto i = rs.find(id);
            if (i == rs.end())
              return;
            if (err == caf::sec::request_timeout)
              err = make_error(errc::timed_out,
                               "node " + self->state.address +
                                   ": no answer within the timeout");
            else if (err.category() != error_category())
              err = unreachable(self->state.address, render(err));
            i->second.deliver(std::move(err));
            rs.erase(i);
          });
  return caf::delegated<T>{};
}

caf::behavior link_impl(link_pointer self, caf::io::middleman_actor mm,
                        host_port where, remote_config config,
                        std::string producer, node_actor entry,
                        std::shared_ptr<std::atomic<size_t>> counter) {
  auto& st = self->state;
  st.mm = std::move(mm);
  st.address = where.host + ":" + std::to_string(where.port);
  st.where = std::move(where);
  st.config = std::move(config);
  st.producer = std::move(producer);
  st.counter = std::move(counter);
  // The first join is the caller's (join_atom below): the node watches the
  // actor that joins, so it must be this one.
  st.connecting = true;
  self->set_down_handler([=](caf::down_msg& msg) {
    if (self->state.entry && msg.source == self->state.entry.address())
      lost(self);
  });
  return {
      [=](record_atom, envelope& x) {
        self->state.pending.push_back(std::move(x));
        send_pending(self);
      },
      [=](flush_atom a) -> caf::result<seq_t> {
        auto& st = self->state;
        if (st.pending.empty())
          return forward<seq_t>(self, a);
        auto id = st.next_request++;
        auto until = st.first_pending + st.pending.size() - 1;
        st.flushes.push_back({id, until, self->make_response_promise()});
        // Answered with an error if the records are not written in time.
        self->delayed_send(self, st.config.timeout, a, id);
        return caf::delegated<seq_t>{};
      },
      [=](flush_atom, uint64_t id) {
        auto& st = self->state;
        auto i = std::find_if(st.flushes.begin(), st.flushes.end(),
                              [&](auto& w) { return w.id == id; });
        if (i == st.flushes.end())
          return;
        auto why = "records not acknowledged within the timeout; they stay "
                   "pending";
        i->promise.deliver(
            st.entry
                ? make_error(errc::timed_out, "node " + st.address + ": " + why)
                : unreachable(st.address, why));
        st.flushes.erase(i);
      },
      [=](call_atom a, std::string& name, std::string& key, std::string& args,
          uint64_t cost, caf::timespan max_wait) {
        return forward<std::string>(self, a, std::move(name), std::move(key),
                                    std::move(args), cost, max_wait);
      },
      [=](commands_atom a) {
        return forward<std::vector<std::string>>(self, a);
      },
      [=](schedule_atom a, intent& x) {
        return forward<uint64_t>(self, a, std::move(x));
      },
      [=](cancel_atom a, uint64_t id) { return forward<bool>(self, a, id); },
      [=](caf::get_atom) -> caf::result<caf::actor> {
        auto& st = self->state;
        if (st.entry)
          return caf::actor_cast<caf::actor>(st.entry);
        st.waiting_for_entry.push_back(self->make_response_promise());
        return caf::delegated<caf::actor>{};
      },
      [=](join_atom) -> caf::result<std::string> {
        auto rp = self->make_response_promise();
        auto& st = self->state;
        self->request(entry, join_timeout(st.config), join_atom::value,
                      st.config.node, static_cast<uint32_t>(::getpid()))
            .then(
                [=](std::string& peer, seq_t) mutable {
                  connected(self, entry);
                  rp.deliver(std::move(peer));
                },
                [=](caf::error& err) mutable {
                  rp.deliver(err);
                  self->quit(err);
                });
        return caf::delegated<std::string>{};
      },
      [=](retry_atom) { reconnect(self); },
      [=](resend_atom, uint64_t epoch) {
        auto& st = self->state;
        if (epoch != st.epoch || !st.entry)
          return;
        st.appending = false;
        send_pending(self);
      },
  };
}

// An observer of a remote node's Bus that resumes after a lost connection.
struct remote_observer_state {
  static inline const char* name = "tc.remote_observer";
  caf::actor entry;
  seq_t last = 0; // the last event handled (acks name the subscription
                  // each delivery carries)
  size_t unacked = 0;
};

using remote_observer_pointer = caf::stateful_actor<remote_observer_state>*;

void attach(remote_observer_pointer self, caf::actor link, replay_query filter,
            caf::timespan timeout) {
  self->request(link, caf::infinite, caf::get_atom::value)
      .then(
          [=](caf::actor& entry) mutable {
            auto& st = self->state;
            st.entry = entry;
            self->monitor(entry);
            filter.from = std::max(filter.from, st.last + 1);
            self->request(entry, timeout, attach_atom::value,
                          caf::actor_cast<caf::actor>(self), filter)
                .then([](uint64_t) {},
                      [=](caf::error&) {
                        // Refused or timed out while connected: again after
                        // a pause. (If the connection went down, the down
                        // handler attaches again.)
                        if (self->state.entry == entry)
                          self->delayed_send(self, max_retry,
                                             retry_atom::value);
                      });
          },
          [=](caf::error& err) { self->quit(err); });
}

caf::behavior remote_observer_impl(remote_observer_pointer self,
                                   caf::actor link, replay_query filter,
                                   caf::timespan timeout,
                                   std::function<void(const envelope&)> f) {
  self->monitor(link);
  self->set_down_handler([=](caf::down_msg& msg) {
    if (msg.source == link.address()) {
      self->quit(msg.reason);
      return;
    }
    if (msg.source == self->state.entry.address()) {
      self->state.entry = nullptr;
      attach(self, link, filter, timeout);
    }
  });
  attach(self, link, filter, timeout);
  return {
      [=](deliver_atom, uint64_t id, const envelope& x) {
        auto& st = self->state;
        if (x.seq <= st.last)
          return; // already handled before a reconnect
        f(x);
        st.last = x.seq;
        if (++st.unacked >= ack_every && st.entry) {
          st.unacked = 0;
          self->send(st.entry, ack_atom::value, id, x.seq);
        }
      },
      [=](retry_atom) {
        auto& st = self->state;
        if (!st.entry)
          return; // the down handler attaches
        self->demonitor(st.entry);
        st.entry = nullptr;
        attach(self, link, filter, timeout);
      },
      [=](caf::error& err) { self->quit(err); },
  };
}

} // namespace

// -- configure_node -----------------------------------------------------------

caf::error configure_node(caf::actor_system_config& cfg,
                          const network_config& config) {
  if (config.heartbeat <= caf::timespan::zero() ||
      config.connection_timeout < 2 * config.heartbeat)
    return make_error(errc::bad_config,
                      "node: connection_timeout must be at least twice the "
                      "heartbeat, which must be positive");
  auto& tls = config.tls;
  if (tls.enabled()) {
    if (auto err = detail::check_tls_files(tls.certificate, tls.key, tls.ca,
                                           tls.passphrase))
      return err;
  }
  register_types(cfg);
  cfg.add_message_type<replay_query>("tc::replay_query");
  cfg.add_message_type<std::vector<envelope>>("tc::envelopes");
  cfg.add_message_type<intent>("tc::intent");
  cfg.load<caf::io::middleman>();
  cfg.set("middleman.heartbeat-interval", config.heartbeat);
  cfg.set("middleman.connection-timeout", config.connection_timeout);
  if (tls.enabled()) {
    cfg.load<caf::openssl::manager>();
    cfg.openssl_certificate = tls.certificate;
    cfg.openssl_key = tls.key;
    cfg.openssl_cafile = tls.ca;
    cfg.openssl_passphrase = tls.passphrase;
  }
  return {};
}

// -- serve_node ---------------------------------------------------------------

caf::expected<uint16_t> serve_node(runtime& rt, node_config config) {
  auto& sys = rt.system();
  auto address = parse_host_port(config.listen);
  if (!address)
    return make_error(errc::bad_config,
                      "node: listen '" + config.listen +
                          "': expected HOST:PORT with a port from 0 to 65535 "
                          "(an IPv6 address in brackets), e.g. "
                          "127.0.0.1:4242 or [::1]:4242");
  if (!sys.has_middleman())
    return make_error(errc::bad_config,
                      "node: the actor system has no middleman; prepare its "
                      "config with tc::configure_node");
  bool tls = sys.has_openssl_manager();
  if (!tls && !config.insecure && !is_loopback(address->host))
    return make_error(errc::bad_config,
                      "node: listen '" + config.listen +
                          "': not a loopback address, and no TLS; CAF's plain "
                          "protocol authenticates no peer, so listening on "
                          "the network without TLS needs insecure = true");
  auto entry = sys.spawn(entry_impl, &rt);
  auto port = tls ? caf::openssl::publish(entry, address->port,
                                          address->host.c_str(), true)
                  : sys.middleman().publish(entry, address->port,
                                            address->host.c_str(), true);
  if (!port) {
    caf::anon_send_exit(entry, caf::exit_reason::user_shutdown);
    return make_error(errc::bad_config, "node: cannot listen on " +
                                            config.listen + ": " +
                                            render(port.error()));
  }
  // Closing the port when the entry ends (runtime::shutdown stops it).
  auto mm = tls ? sys.openssl_manager().actor_handle()
                : sys.middleman().actor_handle();
  auto addr = entry.address();
  auto bound = *port;
  caf::actor_cast<caf::abstract_actor*>(entry)->attach_functor(
      [mm, addr, bound] {
        caf::anon_send(mm, caf::unpublish_atom::value, addr, bound);
      });
  rt.adopt(caf::actor_cast<caf::actor>(entry));
  return bound;
}

// -- remote_node --------------------------------------------------------------

remote_node::remote_node(caf::actor_system& sys, std::string address,
                         std::string peer, caf::actor link,
                         remote_config config,
                         std::shared_ptr<std::atomic<size_t>> pending)
    : sys_(sys), address_(std::move(address)), peer_(std::move(peer)),
      link_(std::move(link)), config_(std::move(config)),
      pending_(std::move(pending)) {}

remote_node::~remote_node() {
  // Stops the link and the observers, and waits until they have stopped,
  // so that no observer's function runs after this returns.
  std::vector<caf::actor> actors;
  {
    std::lock_guard guard{observers_mutex_};
    actors = std::move(observers_);
  }
  actors.push_back(link_);
  caf::scoped_actor self{sys_};
  for (auto& x : actors) {
    self->monitor(x);
    self->send_exit(x, caf::exit_reason::user_shutdown);
  }
  for (size_t i = 0; i < actors.size(); ++i)
    self->receive([](caf::down_msg&) {});
}

caf::expected<std::unique_ptr<remote_node>>
remote_node::connect(caf::actor_system& sys, std::string host, uint16_t port,
                     remote_config config) {
  auto address = host + ":" + std::to_string(port);
  if (!sys.has_middleman())
    return make_error(errc::bad_config,
                      "node: the actor system has no middleman; prepare its "
                      "config with tc::configure_node");
  if (config.node.empty() || config.node.size() > max_node_name)
    return make_error(errc::bad_config,
                      "node: remote_config::node must have 1 to 64 bytes");
  bool tls = sys.has_openssl_manager();
  auto entry = tls ? caf::openssl::remote_actor<node_actor>(sys, host, port)
                   : sys.middleman().remote_actor<node_actor>(host, port);
  if (!entry) {
    if (entry.error() == caf::sec::unexpected_actor_messaging_interface)
      return make_error(errc::unexpected_message,
                        "node " + address +
                            ": not a timecontrol node of this version");
    return unreachable(address, render(entry.error()));
  }
  // A producer id no earlier process used: the node name and 64 random bits.
  std::random_device rd;
  auto id = (uint64_t{rd()} << 32) ^ rd();
  auto producer = config.node + "/" + std::to_string(id);
  auto pending = std::make_shared<std::atomic<size_t>>(0);
  auto mm = tls ? sys.openssl_manager().actor_handle()
                : sys.middleman().actor_handle();
  auto link = sys.spawn(link_impl, mm, host_port{host, port}, config, producer,
                        *entry, pending);
  // The link joins (the node watches the actor that joined).
  std::string peer;
  caf::error failed;
  caf::scoped_actor self{sys};
  self->request(link, join_timeout(config) + std::chrono::seconds{1},
                join_atom::value)
      .receive([&](std::string& name) { peer = std::move(name); },
               [&](caf::error& err) { failed = std::move(err); });
  if (failed) {
    self->send_exit(link, caf::exit_reason::user_shutdown);
    return failed.category() == error_category()
               ? failed
               : unreachable(address, render(failed));
  }
  return std::unique_ptr<remote_node>{
      new remote_node(sys, std::move(address), std::move(peer), std::move(link),
                      std::move(config), std::move(pending))};
}

template <class T, class... Ts>
caf::expected<T> remote_node::ask(Ts&&... xs) {
  caf::expected<T> result = make_error(errc::timed_out);
  caf::scoped_actor self{sys_};
  // The link answers within config_.timeout; the margin covers its hop.
  self->request(link_, config_.timeout + std::chrono::seconds{1},
                std::forward<Ts>(xs)...)
      .receive([&](T& x) { result = std::move(x); },
               [&](caf::error& err) {
                 result = err == caf::sec::request_timeout
                              ? make_error(errc::timed_out,
                                           "node " + address_ +
                                               ": no answer within the "
                                               "timeout")
                              : std::move(err);
               });
  return result;
}

caf::expected<std::string> remote_node::call(const std::string& name,
                                             std::string args,
                                             remote_call options) {
  // A call must not run after its caller was told it timed out: it expires
  // on the node (errc::expired) before this side gives up.
  auto max_wait = std::min(options.max_wait, config_.timeout);
  return ask<std::string>(call_atom::value, name, std::move(options.key),
                          std::move(args), options.cost, max_wait);
}

caf::expected<std::vector<std::string>> remote_node::commands() {
  return ask<std::vector<std::string>>(commands_atom::value);
}

caf::expected<uint64_t> remote_node::schedule(intent x) {
  return ask<uint64_t>(schedule_atom::value, std::move(x));
}

caf::expected<bool> remote_node::cancel(uint64_t id) {
  return ask<bool>(cancel_atom::value, id);
}

caf::error remote_node::record(std::string source, event body) {
  if (pending_->fetch_add(1, std::memory_order_relaxed) >=
      config_.max_pending) {
    pending_->fetch_sub(1, std::memory_order_relaxed);
    return make_error(errc::queue_full,
                      "node " + address_ + ": " +
                          std::to_string(config_.max_pending) +
                          " records are not acknowledged yet");
  }
  auto now =
      std::chrono::time_point_cast<duration>(std::chrono::system_clock::now());
  caf::anon_send(link_, record_atom::value,
                 envelope{0, now, std::move(source), std::move(body)});
  return {};
}

caf::expected<seq_t> remote_node::flush() {
  return ask<seq_t>(flush_atom::value);
}

caf::actor remote_node::observe(replay_query filter,
                                std::function<void(const envelope&)> f) {
  auto observer = sys_.spawn(remote_observer_impl, link_, std::move(filter),
                             config_.timeout, std::move(f));
  std::lock_guard guard{observers_mutex_};
  observers_.push_back(observer);
  return observer;
}

} // namespace tc
