// Nodes over CAF's network layer, against bare CAF remote messaging between
// the same two actor systems (one process, loopback; a buffered RocksDB log
// in $TMPDIR):
//
//   node_call/W         calls of an unlimited command through a node's entry
//                       actor, W in flight from one client actor (calls/s;
//                       p50 and p99 of a call's round trip in µs)
//   bare_remote/W       the baseline: the same requests to a published actor
//                       that answers at once
//   remote_record       events recorded through remote_node::record, then
//                       flushed (events/s)
//   local_record        the baseline: runtime::record in the serving
//                       process, then flushed
//   remote_catch_up     an observer attached from seq 1 over the network,
//                       until it has every event of the log (events/s)
//   local_catch_up      the baseline: an observer of the serving process
//   node_call_tls/W     node_call over mutual TLS (RSA 2048 certificates
//                       made with the openssl program); its baseline is
//                       node_call/W
//
// build/benchmarks/bench.net --benchmark_filter='(bare_remote|node_call)/64'
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <optional>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/remote_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "timecontrol/actors/command.hpp"
#include "timecontrol/actors/runtime.hpp"
#include "timecontrol/core/error.hpp"
#include "timecontrol/net/node.hpp"
#include "timecontrol/net/protocol.hpp"

using namespace tc;
namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

namespace {

/// The baseline's interface: one request, one answer, as a command's call.
using echo_actor = caf::typed_actor<
    caf::replies_to<call_atom, std::string, std::string, std::string, uint64_t,
                    caf::timespan>::with<std::string>>;

echo_actor::behavior_type echo_impl() {
  return {[](call_atom, std::string&, std::string&, std::string& args, uint64_t,
             caf::timespan) { return args; }};
}

[[noreturn]] void die(const caf::error& err) {
  std::fprintf(stderr, "bench.net: %s\n", render(err).c_str());
  std::exit(1);
}

/// An actor system prepared for nodes, with its config (CAF's actor_system
/// refers to it).
std::shared_ptr<caf::actor_system> node_system(network_config config = {}) {
  struct both {
    caf::actor_system_config cfg;
    std::optional<caf::actor_system> sys;
  };
  auto x = std::make_shared<both>();
  if (auto err = configure_node(x->cfg, config))
    die(err);
  x->sys.emplace(x->cfg);
  return {x, &*x->sys};
}

/// A certificate authority and two node certificates, made with the
/// openssl program in `dir`.
std::pair<tls_files, tls_files> make_certificates(const fs::path& dir) {
  fs::create_directories(dir);
  auto run = [&](const std::string& command) {
    auto full = "cd '" + dir.string() + "' && " + command + " >/dev/null 2>&1";
    if (std::system(full.c_str()) != 0) {
      std::fprintf(stderr, "bench.net: failed: %s\n", command.c_str());
      std::exit(1);
    }
  };
  run("openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem "
      "-days 30 -subj /CN=bench-ca");
  run("printf 'basicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth,"
      "clientAuth\\n' > node.ext");
  auto node = [&](const std::string& name) {
    run("openssl req -newkey rsa:2048 -nodes -keyout " + name + ".key -out " +
        name + ".csr -subj /CN=" + name);
    run("openssl x509 -req -in " + name +
        ".csr -CA ca.pem -CAkey ca.key -CAcreateserial -out " + name +
        ".pem -days 30 -extfile node.ext");
    return tls_files{.certificate = (dir / (name + ".pem")).string(),
                     .key = (dir / (name + ".key")).string(),
                     .ca = (dir / "ca.pem").string()};
  };
  return {node("server"), node("client")};
}

/// A serving system with a runtime, an unlimited command "api" and an echo
/// actor, both published; and a client system. With `tls`, both over
/// mutual TLS.
struct environment {
  fs::path dir;
  std::shared_ptr<caf::actor_system> server;
  std::shared_ptr<caf::actor_system> client;
  std::unique_ptr<runtime> rt;
  uint16_t node_port = 0;
  uint16_t echo_port = 0;
  caf::actor echo;

  explicit environment(bool tls = false)
      : dir(fs::temp_directory_path() /
            (tls ? "timecontrol-bench-net-tls" : "timecontrol-bench-net")) {
    fs::remove_all(dir);
    network_config server_config;
    network_config client_config;
    if (tls) {
      auto [s, c] = make_certificates(dir / "certificates");
      server_config.tls = s;
      client_config.tls = c;
    }
    server = node_system(server_config);
    client = node_system(client_config);
    auto r = runtime::start(*server, {.path = (dir / "log").string(),
                                      .store = {.mode = durability::buffered},
                                      .node = "primary"});
    if (!r)
      die(r.error());
    rt = std::move(*r);
    auto api = spawn_command(*rt, {.name = "api"}, [](std::string args) {
      return caf::expected<std::string>{std::move(args)};
    });
    if (!api)
      die(api.error());
    auto port = serve_node(*rt);
    if (!port)
      die(port.error());
    node_port = *port;
    auto e = server->spawn(echo_impl);
    echo = caf::actor_cast<caf::actor>(e);
    if (tls)
      return; // the TLS baseline is the plain node
    auto p = server->middleman().publish(e, 0, "127.0.0.1", true);
    if (!p)
      die(p.error());
    echo_port = *p;
  }

  ~environment() {
    caf::anon_send_exit(echo, caf::exit_reason::user_shutdown);
    if (auto err = rt->shutdown())
      die(err);
    rt.reset();
    client.reset();
    server.reset();
    fs::remove_all(dir);
  }
};

struct driver_state {
  size_t to_send = 0;
  size_t left = 0;
  std::vector<double> micros;
  std::shared_ptr<std::promise<std::vector<double>>> done;
};

using driver_pointer = caf::stateful_actor<driver_state>*;

template <class Handle>
void send_one(driver_pointer self, Handle target) {
  --self->state.to_send;
  auto t0 = clock_type::now();
  self->request(target, caf::infinite, call_atom::value, std::string{"api"},
                std::string{}, std::string{"x"}, uint64_t{1},
                caf::timespan::max())
      .then(
          [=](std::string&) {
            auto& st = self->state;
            st.micros.push_back(std::chrono::duration<double, std::micro>(
                                    clock_type::now() - t0)
                                    .count());
            if (st.to_send > 0)
              send_one(self, target);
            if (--st.left == 0) {
              st.done->set_value(std::move(st.micros));
              self->quit();
            }
          },
          [=](caf::error& err) { die(err); });
}

/// Keeps `window` requests in flight to `target` until `n` are answered;
/// answers each one's round trip in µs.
template <class Handle>
std::vector<double> drive(caf::actor_system& sys, Handle target, size_t n,
                          size_t window) {
  auto done = std::make_shared<std::promise<std::vector<double>>>();
  auto result = done->get_future();
  sys.spawn([=](driver_pointer self) -> caf::behavior {
    self->state.to_send = n;
    self->state.left = n;
    self->state.micros.reserve(n);
    self->state.done = done;
    for (size_t i = 0; i < std::min(n, window); ++i)
      send_one(self, target);
    return {[](caf::unit_t) {}};
  });
  return result.get();
}

double percentile(std::vector<double> xs, double p) {
  std::sort(xs.begin(), xs.end());
  return xs[std::min(xs.size() - 1, static_cast<size_t>(p * xs.size()))];
}

template <class Handle>
void run_calls(benchmark::State& state, caf::actor_system& sys, Handle target) {
  auto window = static_cast<size_t>(state.range(0));
  const size_t n = window == 1 ? 5000 : 50000;
  std::vector<double> all;
  for (auto _ : state) {
    auto micros = drive(sys, target, n, window);
    all.insert(all.end(), micros.begin(), micros.end());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
  state.counters["p50_us"] = percentile(all, 0.5);
  state.counters["p99_us"] = percentile(all, 0.99);
}

std::unique_ptr<environment> the_environment;
std::unique_ptr<environment> the_tls_environment;

environment& env() {
  if (!the_environment)
    the_environment = std::make_unique<environment>();
  return *the_environment;
}

environment& tls_env() {
  if (!the_tls_environment)
    the_tls_environment = std::make_unique<environment>(true);
  return *the_tls_environment;
}

void node_call_tls(benchmark::State& state) {
  auto& e = tls_env();
  auto entry = caf::openssl::remote_actor<node_actor>(*e.client, "127.0.0.1",
                                                      e.node_port);
  if (!entry)
    die(entry.error());
  run_calls(state, *e.client, *entry);
}

/// Waits until `n` events came through `observe`; answers events/s.
template <class Observe>
double catch_up(seq_t n, Observe observe) {
  auto done = std::make_shared<std::promise<void>>();
  auto seen = std::make_shared<std::atomic<seq_t>>(0);
  auto start = clock_type::now();
  auto observer = observe([=](const envelope&) {
    if (seen->fetch_add(1) + 1 == n)
      done->set_value();
  });
  done->get_future().wait();
  auto took = std::chrono::duration<double>(clock_type::now() - start);
  caf::anon_send_exit(observer, caf::exit_reason::user_shutdown);
  return static_cast<double>(n) / took.count();
}

/// The log holds at least this many events before a catch-up is timed.
constexpr seq_t catch_up_events = 200000;

seq_t fill_log(environment& e) {
  while (e.rt->store().last_seq() < catch_up_events) {
    for (int i = 0; i < 10000; ++i)
      if (e.rt->record("bench", policy_changed{"p"}))
        break;
    if (auto last = e.rt->flush(); !last)
      die(last.error());
  }
  return e.rt->store().last_seq();
}

void local_catch_up(benchmark::State& state) {
  auto& e = env();
  auto n = fill_log(e);
  double rate = 0;
  for (auto _ : state)
    rate = catch_up(n, [&](auto f) { return e.rt->observe({}, f); });
  state.counters["events_per_second"] = rate;
}

void remote_catch_up(benchmark::State& state) {
  auto& e = env();
  auto n = fill_log(e);
  auto node = remote_node::connect(*e.client, "127.0.0.1", e.node_port,
                                   {.node = "bench-observer"});
  if (!node)
    die(node.error());
  double rate = 0;
  for (auto _ : state)
    rate = catch_up(n, [&](auto f) { return (*node)->observe({}, f); });
  state.counters["events_per_second"] = rate;
}

void node_call(benchmark::State& state) {
  auto& e = env();
  auto entry =
      e.client->middleman().remote_actor<node_actor>("127.0.0.1", e.node_port);
  if (!entry)
    die(entry.error());
  run_calls(state, *e.client, *entry);
}

void bare_remote(benchmark::State& state) {
  auto& e = env();
  auto echo =
      e.client->middleman().remote_actor<echo_actor>("127.0.0.1", e.echo_port);
  if (!echo)
    die(echo.error());
  run_calls(state, *e.client, *echo);
}

constexpr int records = 100000;

void remote_record(benchmark::State& state) {
  auto& e = env();
  auto node = remote_node::connect(*e.client, "127.0.0.1", e.node_port,
                                   {.node = "bench"});
  if (!node)
    die(node.error());
  for (auto _ : state) {
    for (int i = 0; i < records; ++i)
      if (auto err = (*node)->record("bench", policy_changed{"p"}))
        die(err);
    if (auto last = (*node)->flush(); !last)
      die(last.error());
  }
  state.SetItemsProcessed(state.iterations() * records);
}

void local_record(benchmark::State& state) {
  auto& e = env();
  for (auto _ : state) {
    for (int i = 0; i < records; ++i)
      if (auto err = e.rt->record("bench", policy_changed{"p"})) {
        // The backlog is full: let the Log catch up.
        if (auto last = e.rt->flush(); !last)
          die(last.error());
        --i;
      }
    if (auto last = e.rt->flush(); !last)
      die(last.error());
  }
  state.SetItemsProcessed(state.iterations() * records);
}

} // namespace

// Baseline first, then the node, alternating as the filter orders them.
BENCHMARK(bare_remote)
    ->Arg(1)
    ->Arg(64)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(node_call)->Arg(1)->Arg(64)->UseRealTime()->Unit(
    benchmark::kMillisecond);
BENCHMARK(local_record)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(remote_record)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(local_catch_up)
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(remote_catch_up)
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(node_call_tls)
    ->Arg(1)
    ->Arg(64)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  // Before static destruction: the runtime shuts down while CAF runs.
  the_environment.reset();
  the_tls_environment.reset();
  return 0;
}
