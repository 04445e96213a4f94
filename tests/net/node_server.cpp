// A serving process for the node crash tests: a runtime on the log at
// argv[1] (buffered), a command "api" (5/s burst 10, reject), served on
// 127.0.0.1:argv[2]. Prints "port N" once it serves, then runs until it is
// killed.
#include <csignal>
#include <cstdio>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "timecontrol/actors/command.hpp"
#include "timecontrol/actors/runtime.hpp"
#include "timecontrol/core/error.hpp"
#include "timecontrol/net/node.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: node_server PATH PORT\n");
    return 2;
  }
  caf::actor_system_config cfg;
  if (auto err = tc::configure_node(cfg)) {
    std::fprintf(stderr, "%s\n", tc::render(err).c_str());
    return 1;
  }
  caf::actor_system sys{cfg};
  auto rt =
      tc::runtime::start(sys, {.path = argv[1],
                               .store = {.mode = tc::durability::buffered},
                               .node = "primary"});
  if (!rt) {
    std::fprintf(stderr, "%s\n", tc::render(rt.error()).c_str());
    return 3;
  }
  auto api = tc::spawn_command(
      **rt, {.name = "api", .limiter = "5/s burst 10"},
      [](std::string args) { return caf::expected<std::string>{args}; });
  auto port = api ? tc::serve_node(
                        **rt, {.listen = std::string{"127.0.0.1:"} + argv[2]})
                  : caf::expected<uint16_t>{api.error()};
  if (!port) {
    std::fprintf(stderr, "%s\n", tc::render(port.error()).c_str());
    return 3;
  }
  std::printf("port %u\n", static_cast<unsigned>(*port));
  std::fflush(stdout);
  // Until SIGTERM (a clean stop) or SIGKILL (a crash).
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  int sig = 0;
  sigwait(&set, &sig);
  return (*rt)->shutdown() ? 4 : 0;
}
