// Stopping a long-running subcommand (replay --follow, serve) cleanly on a
// signal: the handlers set a flag and wake a wait, so that what was read is
// flushed and a follower's temporary folder removed.

#pragma once

#include <csignal>

#include "timecontrol/core/time.hpp"

namespace tc::tool {

/// Set by SIGINT, SIGTERM and SIGHUP (and SIGPIPE, when caught).
extern volatile std::sig_atomic_t interrupted;

/// Set by SIGPIPE, when caught: the reader of standard output went away.
extern volatile std::sig_atomic_t output_closed;

/// Catches SIGINT, SIGTERM and SIGHUP, and SIGPIPE if `pipe`, instead of
/// dying of them. False if the handlers could not be set up.
bool catch_stop_signals(bool pipe);

/// Waits `interval`, or less if a caught signal comes. False if it came.
bool wait_unless_stopped(duration interval);

} // namespace tc::tool
