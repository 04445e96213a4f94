#include "timecontrol/actors/adaptive_rate.hpp"

#include <caf/send.hpp>

#include "timecontrol/actors/runtime.hpp"
#include "timecontrol/core/error.hpp"

namespace tc {

caf::expected<plugin_actor> spawn_adaptive_rate(runtime& rt,
                                                adaptive_rate_config config,
                                                plugin_options options) {
  if (config.command.empty())
    return make_error(errc::bad_config, "adaptive_rate: the command is empty");
  if (!(config.min_rate > 0) || !(config.max_rate >= config.min_rate) ||
      !(config.decrease > 0 && config.decrease < 1) || !(config.increase > 0) ||
      !(config.slow_start_gain > 0) || config.burst < 1)
    return make_error(errc::bad_config,
                      "adaptive_rate '" + config.command +
                          "': needs 0 < min_rate <= max_rate, 0 < decrease "
                          "< 1, increase > 0, slow_start_gain > 0 and "
                          "burst >= 1");
  auto commands = rt.commands_ptr();
  // What was sent last: the command records it, and until its
  // policy_changed comes back the plugin proposes the same again.
  auto sent = std::make_shared<std::string>();
  auto user_act = std::move(options.act);
  options.act = [commands, sent, user_act](plugin& p, const envelope& x) {
    auto& learner = static_cast<adaptive_rate&>(p);
    if (std::holds_alternative<policy_changed>(x.body))
      sent->clear(); // applied (by us or anyone): propose afresh
    if (auto spec = learner.proposal(); spec && *spec != *sent) {
      if (auto cmd = commands->find(learner.config().command)) {
        caf::anon_send(cmd, policy_atom::value, *spec);
        *sent = std::move(*spec);
      }
    }
    if (user_act)
      user_act(p, x);
  };
  return spawn_plugin(rt, std::make_shared<adaptive_rate>(std::move(config)),
                      std::move(options));
}

} // namespace tc
