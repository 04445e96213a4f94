// call_requests: finds the request of each call in a command's events, one
// per call, in logs written by every version of timecontrol.
//
// How a log tells of a request depends on who wrote it:
//
//   * since store version 3 (the compact call record), a Command records no
//     event of its own for a request: a call admitted at once is told by its
//     call_admitted (requested at its time minus `waited`, which is zero), a
//     call that came too fast by its call_throttled (requested at its time;
//     a call that then waited in the queue also gets a call_admitted later,
//     whose time minus `waited` is the same request, or, if its caller's
//     max wait passed first, a call_throttled (expired): the same request
//     again, not a new one; a call answered `expired` at its request has
//     only that call_throttled (expired), which is its request);
//   * before, every call began with a call_requested, followed by one of
//     those.
//
// `request(x)` answers, for each event of the log in order, whether it is
// the first event of a call (and so a new request), and when that request
// was made. It joins the events of one call on (source, call_id), keeping
// the calls whose request it has counted and whose admission is still to
// come: calls queued at that moment, plus calls a crash cut short (their id
// is never used again, since a Command numbers on from the log).
//
// Not thread-safe; one per reader.

#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "timecontrol/core/time.hpp"
#include "timecontrol/events/event.hpp"

namespace tc {

class call_requests {
public:
  /// The time of the request `x` tells of, if `x` is the first event of its
  /// call; nullopt for every other event.
  std::optional<time_point> request(const envelope& x);

  /// Calls counted whose admission is still to come, by source (for a
  /// reader's snapshot).
  const std::map<std::string, std::set<uint64_t>, std::less<>>&
  open() const noexcept {
    return open_;
  }

  /// Restores what `open()` gave.
  void restore(std::map<std::string, std::set<uint64_t>, std::less<>> open) {
    open_ = std::move(open);
  }

private:
  std::map<std::string, std::set<uint64_t>, std::less<>> open_;
};

} // namespace tc
