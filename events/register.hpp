// Registration of timecontrol's message types with a CAF actor system.

#pragma once

#include <caf/fwd.hpp>

namespace tc {

/// Adds every event type, the envelope and the "tc" error category (with its
/// renderer) to `cfg`. Call it before the actor_system is constructed; it is
/// required for remote actors and for serializing events with CAF.
void register_types(caf::actor_system_config& cfg);

} // namespace tc
