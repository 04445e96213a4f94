// Nodes: one process's runtime served to the other processes of a service
// over CAF's network layer (the middleman), with mutual TLS through CAF's
// openssl module. Link timecontrol::net (find_package(timecontrol
// COMPONENTS net)).
//
// The serving process:
//
//   caf::actor_system_config cfg;
//   if (auto err = tc::configure_node(cfg, {.tls = {.certificate = "node.pem",
//                                                   .key = "node.key",
//                                                   .ca = "ca.pem"}}))
//     ...;                        // a missing or unreadable file, named
//   caf::actor_system sys{cfg};
//   auto rt = tc::runtime::start(sys, {.path = "/var/lib/app/log",
//                                      .node = "primary"});  // its name
//   tc::spawn_command(**rt, {.name = "api", .limiter = "5/s burst 10"}, f);
//   auto port = tc::serve_node(**rt, {.listen = "10.0.0.5:4242"});
//
// Any other process (configure_node with the same authority):
//
//   auto node = tc::remote_node::connect(sys, "10.0.0.5", 4242);
//   auto answer = (*node)->call("api", "GET /quotes");   // the shared limit
//   (*node)->observe({.from = 1}, [](const tc::envelope& x) { ... });
//   (*node)->record("worker-3", tc::policy_changed{"..."});
//   (*node)->flush();             // everything recorded is written there
//
// What is shared and how. The commands, their limiters, the Scheduler and
// the Log live in the serving process; other processes call them by name,
// so every process's calls of one command pass one limiter, and the limit
// holds exactly for all of them together. A call through a remote node is
// answered once the serving node's Log has its admission, as a local call.
//
// Security. A node listens on loopback unless told otherwise. Off
// loopback, serve_node refuses to listen without TLS unless
// node_config::insecure is set: CAF's plain protocol authenticates nobody,
// and one forged header makes it allocate what the header announces (up
// to 4 GiB) before anything is checked. That holds on loopback too: any
// process of the machine can stall a plain node (one header of 4 GiB took
// about 4 GB and 19 s here) and so drop its peers. Where local users are
// not trusted, configure TLS on loopback as well: the TLS layer refuses
// such bytes before CAF reads them. With TLS, every peer must present
// a certificate signed by the configured authority, in both directions;
// CAF checks no host name, so the authority is the access list: use one
// made for the service. Any peer it admits may call, record and observe.
//
// The log says who came and went: the serving node records node_joined
// when a remote_node connects (or connects again) and node_lost when it goes
// (events/node.hpp). `timecontrol serve LOG --listen HOST:PORT` is a node
// without a program of one's own.
//
// Failures. Heartbeats are on (configure_node): a peer that stops
// answering is taken as lost after network_config::connection_timeout. A
// remote_node reconnects by itself, with a growing pause (50 ms to 2 s);
// meanwhile calls fail at once with errc::unreachable, records are kept
// (up to remote_config::max_pending, then errc::queue_full) and sent again
// on reconnect, and observers resume from the last event they handled.
// Resent records are written once: the serving node remembers, per
// producer, the last one it took. It remembers that in memory only, so a
// batch written just before the serving node crashed, whose answer was lost
// with it, is written again after its restart (the one case of a
// duplicate; the events carry their original time and source).

#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/timespan.hpp>

#include "timecontrol/events/event.hpp"
#include "timecontrol/storage/event_store.hpp"

namespace tc {

class runtime;
struct intent;

/// The files of mutual TLS, all PEM. Either all of certificate, key and ca
/// are set, or none (plain).
struct tls_files {
  /// This node's certificate (chain), signed by `ca`. Used to accept and to
  /// connect, so it should allow both (no extended key usage, or serverAuth
  /// and clientAuth).
  std::string certificate{};
  /// Its private key.
  std::string key{};
  /// The authority a peer's certificate must be signed by.
  std::string ca{};
  /// The key's passphrase, if it is encrypted.
  std::string passphrase{};

  bool enabled() const noexcept {
    return !certificate.empty() || !key.empty() || !ca.empty();
  }
};

/// Settings of a process that serves or connects, applied by
/// configure_node before the actor system is built.
struct network_config {
  tls_files tls{};
  /// How often a connection is probed when idle.
  caf::timespan heartbeat = std::chrono::milliseconds{500};
  /// A peer silent for this long is taken as lost (at least twice the
  /// heartbeat).
  caf::timespan connection_timeout = std::chrono::seconds{5};
};

/// Prepares `cfg` for nodes, on every process of a service: registers
/// timecontrol's message types (register_types included), loads CAF's
/// middleman with heartbeats, and with TLS its openssl module. TLS files are
/// read now (CAF itself reads them only at the first connection, where a bad
/// one aborts the process): errc::bad_config naming the file and OpenSSL's
/// reason for a missing or unreadable file, a key that does not match the
/// certificate, a wrong passphrase, or only some of the three set;
/// errc::bad_config for a timeout shorter than twice the heartbeat.
[[nodiscard]] caf::error configure_node(caf::actor_system_config& cfg,
                                        const network_config& config = {});

struct node_config {
  /// HOST:PORT to listen on (an IPv6 address in brackets); port 0 takes a
  /// free one (serve_node answers it).
  std::string listen = "127.0.0.1:0";
  /// Listen off loopback without TLS.
  bool insecure = false;
};

/// Publishes `rt` to other processes on `config.listen` (TLS when the
/// system was configured with it) and answers the port. The entry actor is
/// stopped by rt.shutdown(). Errors: errc::bad_config for a malformed
/// address, a non-loopback one without TLS or `insecure`, a system not
/// prepared by configure_node, or a port in use (with CAF's reason).
///
/// The node remembers, per producer, the last record it took (to write a
/// resent one once) for as long as it runs: a few dozen bytes for each
/// remote_node that ever recorded.
[[nodiscard]] caf::expected<uint16_t> serve_node(runtime& rt,
                                                 node_config config = {});

struct remote_config {
  /// This process's name (1 to 64 bytes), in its producer id.
  std::string node = "node";
  /// Records kept while not acknowledged (sent, or waiting for a
  /// connection); record() beyond it is errc::queue_full.
  size_t max_pending = 1 << 20;
  /// How long call(), commands(), schedule() and flush() wait for an answer.
  caf::timespan timeout = std::chrono::seconds{30};
};

/// Options of one remote call (actors/command.hpp: cost, max wait, key).
struct remote_call {
  std::string key{};
  uint64_t cost = 1;
  caf::timespan max_wait = caf::timespan::max();
};

/// A connection to a node, kept up while this object lives. Thread-safe:
/// its blocking calls may come from any thread but an actor's (they wait).
class remote_node {
public:
  /// Connects to the node at host:port (TLS when the system is configured
  /// with it) and joins. Errors: errc::unreachable naming host:port and
  /// CAF's reason (no listener, refused TLS handshake, another protocol),
  /// errc::bad_config if the system was not prepared by configure_node,
  /// errc::unexpected_message if the peer is not a timecontrol node of this
  /// version.
  [[nodiscard]] static caf::expected<std::unique_ptr<remote_node>>
  connect(caf::actor_system& sys, std::string host, uint16_t port,
          remote_config config = {});

  /// Stops reconnecting and stops the observers, waiting until they have
  /// stopped (no observer function runs after it). Records not yet
  /// acknowledged are lost (flush() first). CAF keeps the connection
  /// itself while the actor system has other handles on that node.
  ~remote_node();

  remote_node(const remote_node&) = delete;
  remote_node& operator=(const remote_node&) = delete;

  /// The serving node's name.
  const std::string& peer() const noexcept { return peer_; }

  /// "host:port".
  const std::string& address() const noexcept { return address_; }

  /// The local actor that keeps the connection (for actors that send it
  /// (call_atom, command, key, args, cost, max_wait) themselves).
  const caf::actor& link() const noexcept { return link_; }

  /// Calls the command `name` of the node with `args` and waits for its
  /// answer. A command in front of an actor hands that actor (call_atom,
  /// args), and its answer must be a string. The max wait
  /// is at most remote_config::timeout, so that a call still queued on the
  /// node when this side gives up expires there and never runs. Errors: the
  /// command's own (throttled, expired, queue_full, its operation's),
  /// errc::not_found for no such command, errc::unreachable while disconnected,
  /// errc::timed_out after remote_config::timeout.
  [[nodiscard]] caf::expected<std::string>
  call(const std::string& name, std::string args, remote_call options = {});

  /// The names of the node's commands.
  [[nodiscard]] caf::expected<std::vector<std::string>> commands();

  /// Adds an intent to the node's Scheduler; answers its id.
  [[nodiscard]] caf::expected<uint64_t> schedule(intent x);

  /// Cancels one; false if it is not pending.
  [[nodiscard]] caf::expected<bool> cancel(uint64_t id);

  /// Records `body` from `source`, stamped with the system clock's now, in
  /// the node's log, without waiting. Kept and resent until acknowledged.
  /// errc::queue_full when max_pending records are unacknowledged.
  /// Anyone the node admits may record under any source.
  [[nodiscard]] caf::error record(std::string source, event body);

  /// Waits until every record() before it is written by the node; answers
  /// the node's last seq. Not written within remote_config::timeout:
  /// errc::unreachable while disconnected, errc::timed_out otherwise; the
  /// node's own error (its Log failed) at once; the records stay pending.
  [[nodiscard]] caf::expected<seq_t> flush();

  /// Calls `f` for every event of the node's log that matches `filter`, in
  /// order, each once: what the log holds from filter.from, then live, on an
  /// actor of this process. Across a lost connection it resumes after the
  /// last event it handled. Runs until the remote_node is destroyed or the
  /// returned actor is killed; an exception from `f` ends it.
  caf::actor observe(replay_query filter,
                     std::function<void(const envelope&)> f);

private:
  remote_node(caf::actor_system& sys, std::string address, std::string peer,
              caf::actor link, remote_config config,
              std::shared_ptr<std::atomic<size_t>> pending);

  template <class T, class... Ts>
  caf::expected<T> ask(Ts&&... xs);

  caf::actor_system& sys_;
  std::string address_;
  std::string peer_;
  caf::actor link_;
  remote_config config_;
  // Records handed to the link and not acknowledged (shared with it).
  std::shared_ptr<std::atomic<size_t>> pending_;
  std::mutex observers_mutex_;
  std::vector<caf::actor> observers_;
};

} // namespace tc
