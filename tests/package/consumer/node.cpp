// Uses the installed net component (find_package(timecontrol COMPONENTS
// net)): a runtime served on a loopback port, and a call of its command
// from a second actor system connected to it.
#include <timecontrol/actors/command.hpp>
#include <timecontrol/actors/runtime.hpp>
#include <timecontrol/core/error.hpp>
#include <timecontrol/net/node.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include <cstdio>

namespace {

int fail(const caf::error& err) {
  std::fprintf(stderr, "%s\n", tc::render(err).c_str());
  return 1;
}

} // namespace

int main() {
  caf::actor_system_config server_cfg;
  caf::actor_system_config client_cfg;
  if (auto err = tc::configure_node(server_cfg))
    return fail(err);
  if (auto err = tc::configure_node(client_cfg))
    return fail(err);
  caf::actor_system server{server_cfg};
  caf::actor_system client{client_cfg};
  auto rt = tc::runtime::start(
      server, {.path = "consumer", .store = {.mode = tc::durability::memory}});
  if (!rt)
    return fail(rt.error());
  auto api = tc::spawn_command(**rt, {.name = "api"}, [](std::string args) {
    return caf::expected<std::string>{"hello " + args};
  });
  if (!api)
    return fail(api.error());
  auto port = tc::serve_node(**rt);
  if (!port)
    return fail(port.error());
  auto node = tc::remote_node::connect(client, "127.0.0.1", *port);
  if (!node)
    return fail(node.error());
  auto answer = (*node)->call("api", "node");
  if (!answer)
    return fail(answer.error());
  std::printf("consumer: %s\n", answer->c_str());
  node->reset();
  return (*rt)->shutdown() ? 1 : 0;
}
