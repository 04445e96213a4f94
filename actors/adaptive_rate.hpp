// Running adaptive_rate (plugins/adaptive_rate.hpp) live: it follows a
// command's events on the Bus and, whenever the learned rate calls for it,
// sends the command (policy_atom, "<rate>/s burst <n>"), which the command
// records as policy_changed.
//
//   auto learner = tc::spawn_adaptive_rate(*rt, {.command = "api"});
//
// The command is looked up by name in the runtime's registry at each change,
// so it may be spawned before or after the learner.

#pragma once

#include <caf/expected.hpp>

#include "timecontrol/actors/plugin.hpp"
#include "timecontrol/plugins/adaptive_rate.hpp"

namespace tc {

class runtime;

caf::expected<plugin_actor> spawn_adaptive_rate(runtime& rt,
                                                adaptive_rate_config config,
                                                plugin_options options = {});

} // namespace tc
