// A serving process killed (SIGKILL) while another records into its log
// and observes it, restarted on the same log and port: nothing acknowledged
// is lost, the observer sees every event of the log once and in order, and
// an event is written twice only if it was in flight, unacknowledged, when
// the server died (net/node.hpp says why). Fixed seed.
#include "timecontrol/net/node.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "tests/support/child.hpp"
#include "tests/support/temp_dir.hpp"
#include "timecontrol/actors/scheduler.hpp"
#include "timecontrol/core/error.hpp"
#include "timecontrol/storage/event_store.hpp"

using namespace tc;
using namespace std::chrono_literals;

namespace {

struct server {
  std::unique_ptr<test::child> process;
  uint16_t port = 0;

  void start(const std::string& path, uint16_t at) {
    process = std::make_unique<test::child>(
        TC_NODE_SERVER, std::vector<std::string>{path, std::to_string(at)});
    auto line = process->line(30s);
    BOOST_REQUIRE(line);
    BOOST_REQUIRE(line->rfind("port ", 0) == 0);
    port = static_cast<uint16_t>(std::stoi(line->substr(5)));
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(node_crash)

BOOST_AUTO_TEST_CASE(
    a_killed_server_loses_nothing_acknowledged_and_observers_see_each_event_once) {
  test::temp_dir dir;
  auto path = dir / "log";
  // Before the node: its observer calls into them until it stops.
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<envelope> seen;
  server primary;
  primary.start(path, 0);
  caf::actor_system_config cfg;
  BOOST_REQUIRE(!configure_node(cfg));
  caf::actor_system sys{cfg};
  auto node =
      remote_node::connect(sys, "127.0.0.1", primary.port, {.node = "worker"});
  BOOST_REQUIRE(node);
  (*node)->observe({.source = "worker"}, [&](const envelope& x) {
    std::lock_guard guard{mutex};
    seen.push_back(x);
    changed.notify_all();
  });
  std::mt19937 rng{20261207};
  int next = 0;
  // Records acknowledged (a flush after them returned) before each kill.
  int acknowledged = 0;
  // Records sent but not acknowledged when the server was killed: the only
  // ones that may be written twice.
  std::set<int> in_doubt;
  for (int round = 0; round < 6; ++round) {
    auto n = std::uniform_int_distribution<int>{50, 400}(rng);
    for (int i = 0; i < n; ++i, ++next)
      BOOST_REQUIRE(
          !(*node)->record("worker", policy_changed{std::to_string(next)}));
    if (round % 2 == 0) {
      // Killed while the records are on their way.
      primary.process->kill();
      for (int i = acknowledged; i < next; ++i)
        in_doubt.insert(i);
      primary.start(path, primary.port);
    }
    BOOST_TEST_MESSAGE("round " << round << " flushing");
    BOOST_REQUIRE((*node)->flush());
    BOOST_TEST_MESSAGE("round " << round << " flushed");
    acknowledged = next;
  }
  // The observer catches up with the last record (the last round had no
  // kill, so it is written once, last).
  {
    std::unique_lock guard{mutex};
    BOOST_REQUIRE(changed.wait_for(guard, 20s, [&] {
      return !seen.empty() &&
             std::get<policy_changed>(seen.back().body).policy ==
                 std::to_string(next - 1);
    }));
  }
  BOOST_TEST_MESSAGE("observer caught up");
  // Everything written, once (but for what was in doubt), in order.
  std::vector<envelope> stored;
  {
    primary.process->kill();
    auto store = event_store::open(path, {.mode = durability::buffered});
    BOOST_REQUIRE(store);
    BOOST_REQUIRE(
        !(*store)->replay({.source = "worker"}, [&](const envelope& x) {
          stored.push_back(x);
          return true;
        }));
  }
  std::map<int, int> count;
  for (auto& x : stored)
    ++count[std::stoi(std::get<policy_changed>(x.body).policy)];
  for (int i = 0; i < next; ++i) {
    BOOST_TEST(count[i] >= 1, "record " << i << " lost");
    if (count[i] > 1)
      BOOST_TEST(in_doubt.count(i) == 1u, "record " << i << " twice");
  }
  // The observer saw the log's events of "worker" once each, in order,
  // across the kills.
  std::lock_guard guard{mutex};
  BOOST_REQUIRE(seen.size() == stored.size());
  for (size_t i = 0; i < stored.size(); ++i)
    BOOST_TEST(seen[i].seq == stored[i].seq);
  BOOST_TEST_MESSAGE("checked");
}

BOOST_AUTO_TEST_CASE(
    a_hung_server_is_noticed_by_the_heartbeat_and_the_link_recovers) {
  test::temp_dir dir;
  // Before the node: its observer calls into them.
  std::mutex mutex;
  std::condition_variable changed;
  int joins = 0;
  server primary;
  primary.start(dir / "log", 0);
  caf::actor_system_config cfg;
  // Heartbeats every 100 ms; silent for 1 s is lost.
  BOOST_REQUIRE(
      !configure_node(cfg, {.heartbeat = std::chrono::milliseconds{100},
                            .connection_timeout = 1s}));
  caf::actor_system sys{cfg};
  auto node = remote_node::connect(sys, "127.0.0.1", primary.port,
                                   {.node = "worker", .timeout = 600s});
  BOOST_REQUIRE(node);
  // Its own joins, as the node records them: an observer attaches through
  // the link once it is connected, so it sees a rejoin only then.
  (*node)->observe({.type = event_type::node_joined}, [&](const envelope&) {
    std::lock_guard guard{mutex};
    ++joins;
    changed.notify_all();
  });
  BOOST_REQUIRE((*node)->call("api", "x"));
  // The server hangs (SIGSTOP): its socket stays open, nothing answers. A
  // call in flight fails once the heartbeat misses, not after the 600 s
  // timeout.
  primary.process->signal(SIGSTOP);
  auto start = std::chrono::steady_clock::now();
  auto hung = (*node)->call("api", "y");
  auto waited = std::chrono::steady_clock::now() - start;
  BOOST_REQUIRE(!hung);
  BOOST_TEST(is(hung.error(), errc::unreachable), render(hung.error()));
  BOOST_TEST(waited < 30s);
  // It goes on; the link connects again by itself.
  primary.process->signal(SIGCONT);
  {
    std::unique_lock guard{mutex};
    BOOST_REQUIRE(changed.wait_for(guard, 20s, [&] { return joins >= 2; }));
  }
  auto again = (*node)->call("api", "z");
  BOOST_TEST(static_cast<bool>(again));
}

#ifdef TC_TIMECONTROL
BOOST_AUTO_TEST_CASE(
    timecontrol_serve_listen_is_a_node_other_processes_record_into) {
  test::temp_dir dir;
  auto path = dir / "log";
  test::child serve{TC_TIMECONTROL,
                    {"serve", path, "--listen", "127.0.0.1:0", "--http",
                     "127.0.0.1:0", "--node", "primary"}};
  auto first = serve.line(30s);
  BOOST_REQUIRE(first);
  BOOST_TEST(first->rfind("serving http://127.0.0.1:", 0) == 0u);
  auto second = serve.line(30s);
  BOOST_REQUIRE(second);
  BOOST_REQUIRE(second->rfind("node 127.0.0.1:", 0) == 0u);
  auto port = static_cast<uint16_t>(std::stoi(second->substr(15)));
  // Before the nodes: the watcher's observer calls into them.
  std::mutex mutex;
  std::condition_variable changed;
  bool worker_lost = false;
  caf::actor_system_config cfg;
  BOOST_REQUIRE(!configure_node(cfg));
  caf::actor_system sys{cfg};
  // A second process's view, to know when the worker's leaving is recorded.
  auto watcher =
      remote_node::connect(sys, "127.0.0.1", port, {.node = "watcher"});
  BOOST_REQUIRE(watcher);
  (*watcher)->observe({.type = event_type::node_lost}, [&](const envelope& x) {
    std::lock_guard guard{mutex};
    worker_lost |= std::get<node_lost>(x.body).node == "worker";
    changed.notify_all();
  });
  auto node = remote_node::connect(sys, "127.0.0.1", port, {.node = "worker"});
  BOOST_REQUIRE(node);
  BOOST_TEST((*node)->peer() == "primary");
  for (int i = 0; i < 100; ++i)
    BOOST_REQUIRE(
        !(*node)->record("worker", policy_changed{std::to_string(i)}));
  BOOST_REQUIRE((*node)->flush());
  auto id = (*node)->schedule({.target = "later", .trigger = "every 1h"});
  BOOST_REQUIRE(id);
  node->reset();
  {
    std::unique_lock guard{mutex};
    BOOST_REQUIRE(changed.wait_for(guard, 20s, [&] { return worker_lost; }));
  }
  watcher->reset();
  serve.signal(SIGTERM);
  BOOST_TEST(serve.wait() == 0);
  auto store = event_store::open(path, {.mode = durability::buffered});
  BOOST_REQUIRE(store);
  std::vector<std::string> seen;
  BOOST_REQUIRE(!(*store)->replay({}, [&](const envelope& x) {
    auto line = x.source + " " + std::string{name_of(x.type())};
    if (auto* j = std::get_if<node_joined>(&x.body))
      line += " " + j->node;
    if (auto* l = std::get_if<node_lost>(&x.body))
      line += " " + l->node;
    seen.push_back(line);
    return true;
  }));
  BOOST_TEST(std::count(seen.begin(), seen.end(), "worker policy_changed") ==
             100);
  BOOST_TEST(
      std::count(seen.begin(), seen.end(), "primary node_joined worker") == 1);
  BOOST_TEST(std::count(seen.begin(), seen.end(), "primary node_lost worker") ==
             1);
  BOOST_TEST(
      std::count(seen.begin(), seen.end(), "scheduler intent_scheduled") == 1);
  BOOST_TEST(seen.back() == "primary node_stopped");
}
#endif

BOOST_AUTO_TEST_SUITE_END()
