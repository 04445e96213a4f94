// The one clock every actor of a runtime reads.
//
// Production uses wall time that never goes backwards. Tests use the actor
// system's own clock, which CAF's test_coordinator simulates: time then moves
// only when a test advances it, and timers fire exactly when it passes them.

#pragma once

#include <memory>

#include <caf/fwd.hpp>

#include "timecontrol/core/time.hpp"

namespace tc {

class clock {
public:
  virtual ~clock();

  /// The current time. Never earlier than a value returned before.
  /// Thread-safe.
  virtual time_point now() noexcept = 0;
};

/// The system clock (UTC), held back instead of going backwards when the
/// system time is set back.
std::shared_ptr<clock> make_wall_clock();

/// The clock of `sys` (simulated under CAF's test_coordinator), as wall time
/// that reads `start` now. `sys` must outlive the clock.
std::shared_ptr<clock> make_actor_clock(caf::actor_system& sys,
                                        time_point start);

} // namespace tc
