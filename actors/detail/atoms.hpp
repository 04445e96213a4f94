// Message tags the actors send only to themselves. They are not part of any
// public interface: each actor's full interface (the public one plus these)
// is declared in its .cpp file. Not installed.

#pragma once

#include <caf/atom.hpp>

namespace tc::detail {

/// The Log: write what is pending.
using commit_atom = caf::atom_constant<caf::atom("tc_commit")>;

/// Timers of the Controller and the Scheduler; each carries an id, so that a
/// stale one is ignored.
using timer_atom = caf::atom_constant<caf::atom("tc_timer")>;

} // namespace tc::detail
