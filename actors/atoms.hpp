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
/// Internal to the Log: write what is pending.
using commit_atom = caf::atom_constant<caf::atom("commit")>;

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

// -- commands, controllers, scheduler
// -------------------------------------------

using call_atom = caf::atom_constant<caf::atom("call")>;
using policy_atom = caf::atom_constant<caf::atom("policy")>;
using status_atom = caf::atom_constant<caf::atom("status")>;
using timer_atom = caf::atom_constant<caf::atom("timer")>;

} // namespace tc
