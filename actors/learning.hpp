// Learning plugins that act: they run as plugin actors (actors/plugin.hpp)
// and send what they learned to the actor it is for.
//
// spawn_adaptive_rate runs an adaptive_rate plugin (plugins/adaptive_rate.hpp)
// over one command's events and, whenever the learned rate calls for it,
// sends the command (policy_atom, "<rate>/s burst <n>"), which the command
// records as policy_changed. The command is looked up by name in the
// runtime's registry at each change, so it may be spawned before or after:
//
//   auto learner = tc::spawn_adaptive_rate(*rt, {.command = "api"});
//
// spawn_lead_time runs a lead_time plugin (plugins/lead_time.hpp) over the
// watches of `controller` and, when the plugin says a watch's lead should
// change, sends (watch_atom, watch) with the new lead to the controller,
// which records it and asks for calls that much earlier from then on:
//
//   auto ctl = tc::spawn_controller(*rt, {.name = "watchdog", ...,
//                                         .actions = tc::action_call});
//   auto lt = tc::spawn_lead_time(*rt, *ctl, {.controller = "watchdog"});
//
// It looks after each live call_finished of a watched command and each
// policy_changed of the controller (so, after a restart, once such an event
// arrives; not for the events replayed on start, which the log shows were
// acted upon). A change it sent is not sent again while it is in flight --
// until the controller records that lead, or the plugin recommends another.
// A change the controller refuses is not retried for the same lead.
//
// `config.controller` must name the controller (its events' source); the
// controller's answers are not awaited. A lead matters only to a controller
// with the call action; others record it and ask for nothing.

#pragma once

#include <caf/expected.hpp>

#include "timecontrol/actors/controller.hpp"
#include "timecontrol/actors/plugin.hpp"
#include "timecontrol/plugins/adaptive_rate.hpp"
#include "timecontrol/plugins/lead_time.hpp"

namespace tc {

class runtime;

/// Spawns the plugin actor. Errors: errc::bad_config (an empty command, or
/// factors out of range, naming them), those of spawn_plugin. `options`
/// apply as given; their `act` runs after this function's own.
[[nodiscard]] caf::expected<plugin_actor>
spawn_adaptive_rate(runtime& rt, adaptive_rate_config config,
                    plugin_options options = {});

/// Spawns the plugin actor. Errors: errc::bad_config (an empty controller
/// name or an invalid controller handle), those of spawn_plugin. `options`
/// apply as given, except `act`, which this function sets.
[[nodiscard]] caf::expected<plugin_actor>
spawn_lead_time(runtime& rt, controller_actor controller,
                lead_time_config config, plugin_options options = {});

} // namespace tc
