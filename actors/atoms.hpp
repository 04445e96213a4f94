// The message tags of timecontrol's actors (CAF 0.17 atoms, at most 10
// characters each).

#pragma once

#include <caf/atom.hpp>

namespace tc {

// -- Log ----------------------------------------------------------------------

/// Record one event, no answer.
using record_atom = caf::atom_constant<caf::atom("record")>;
/// Record events and answer once they are written.
using append_atom = caf::atom_constant<caf::atom("append")>;
/// Answer once everything received before is written.
using flush_atom = caf::atom_constant<caf::atom("flush")>;

// -- Bus ----------------------------------------------------------------------

/// The Log hands written events to the Bus.
using publish_atom = caf::atom_constant<caf::atom("publish")>;
/// Attach an observer with a filter.
using attach_atom = caf::atom_constant<caf::atom("attach")>;
/// Detach a subscription.
using detach_atom = caf::atom_constant<caf::atom("detach")>;
/// An event delivered to an observer.
using deliver_atom = caf::atom_constant<caf::atom("deliver")>;
/// An observer acknowledges the events it has handled.
using ack_atom = caf::atom_constant<caf::atom("ack")>;

// -- commands, controllers, scheduler -----------------------------------------

/// A call of a command with opaque argument bytes: (call_atom, std::string).
using call_atom = caf::atom_constant<caf::atom("call")>;
/// A call of a command in front of an actor with a cost and a max wait:
/// (call_with_atom, uint64_t cost, caf::timespan max_wait, caf::message msg),
/// msg being what the wrapped actor understands (actors/command.hpp).
using call_with_atom = caf::atom_constant<caf::atom("call_with")>;
/// Marks a call of a key (a limit per key): (call_atom, key_atom, key, args,
/// cost, max_wait) and (call_with_atom, key_atom, key, cost, max_wait, msg)
/// (actors/command.hpp).
using key_atom = caf::atom_constant<caf::atom("key")>;
/// Change a command's limiter: (policy_atom, std::string spec).
using policy_atom = caf::atom_constant<caf::atom("policy")>;
/// Ask when a command would admit a call: (check_atom) -> time_point.
using check_atom = caf::atom_constant<caf::atom("check")>;
/// Ask a controller for a command's status, or an actor for its state.
using status_atom = caf::atom_constant<caf::atom("status")>;
/// Put an intent into the Scheduler.
using schedule_atom = caf::atom_constant<caf::atom("schedule")>;
/// Cancel an intent.
using cancel_atom = caf::atom_constant<caf::atom("cancel")>;
/// Put a command under a controller's watch, or take it off.
using watch_atom = caf::atom_constant<caf::atom("watch")>;
using unwatch_atom = caf::atom_constant<caf::atom("unwatch")>;
/// Pause a controller's watch of a command, or resume it.
using pause_atom = caf::atom_constant<caf::atom("pause")>;
using resume_atom = caf::atom_constant<caf::atom("resume")>;
/// Subscribe to a controller's alarms.
using subscribe_atom = caf::atom_constant<caf::atom("subscribe")>;
/// An alarm or escalation from a controller.
using alarm_atom = caf::atom_constant<caf::atom("alarm")>;
using escalate_atom = caf::atom_constant<caf::atom("escalate")>;

// -- plugins ------------------------------------------------------------------

/// Save a plugin's snapshot now.
using snapshot_atom = caf::atom_constant<caf::atom("snapshot")>;

} // namespace tc
