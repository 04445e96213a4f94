#include "timecontrol/actors/learning.hpp"

#include <map>
#include <memory>

#include <caf/send.hpp>

#include "timecontrol/actors/runtime.hpp"

namespace tc {

caf::expected<plugin_actor> spawn_lead_time(runtime& rt,
                                            controller_actor controller,
                                            lead_time_config config,
                                            plugin_options options) {
  if (config.controller.empty())
    return make_error(errc::bad_config,
                      "spawn_lead_time: the controller name is empty");
  if (!controller)
    return make_error(errc::bad_config, "spawn_lead_time: no controller for '" +
                                            config.controller + "'");
  auto lt = std::make_shared<lead_time>(std::move(config));
  // The lead sent per command and not recorded yet. `act` runs only in the
  // plugin actor, so this needs no lock.
  auto in_flight = std::make_shared<std::map<std::string, duration>>();
  options.act = [lt, in_flight, controller](plugin&, const envelope& x) {
    std::string command;
    if (std::holds_alternative<call_finished>(x.body)) {
      command = x.source;
    } else if (auto* p = std::get_if<policy_changed>(&x.body)) {
      watch w;
      if (x.source != lt->config().controller ||
          !parse_watch_spec(p->policy, w))
        return;
      command = std::move(w.command);
    } else {
      return;
    }
    auto change = lt->pending_change(command);
    if (!change) {
      in_flight->erase(command);
      return;
    }
    auto i = in_flight->find(command);
    if (i != in_flight->end() && i->second == change->lead)
      return;
    (*in_flight)[command] = change->lead;
    caf::anon_send(controller, watch_atom::value, std::move(*change));
  };
  return spawn_plugin(rt, std::move(lt), std::move(options));
}

caf::expected<plugin_actor> spawn_adaptive_rate(runtime& rt,
                                                adaptive_rate_config config,
                                                plugin_options options) {
  if (config.command.empty())
    return make_error(errc::bad_config, "adaptive_rate: the command is empty");
  if (auto why = check(config); !why.empty())
    return make_error(errc::bad_config,
                      "adaptive_rate '" + config.command + "': " + why);
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
