// Events a Command records about the calls it guards.
//
// The source of each is the command's name. `call_id` numbers the calls of
// one command, so the events of one call can be joined on (source, call_id).

#pragma once

#include <cstdint>
#include <string>

#include <caf/meta/type_name.hpp>

#include "timecontrol/core/time.hpp"
#include "timecontrol/events/event_type.hpp"

namespace tc {

/// What a command did with a call that came too fast.
enum class throttle_action : uint8_t {
  /// The call was queued and ran later.
  waited = 0,
  /// The caller got a `throttled` error with the retry-after.
  rejected = 1,
  /// The call was ignored without an answer.
  dropped = 2,
};

std::string_view to_string(throttle_action x) noexcept;

/// A caller asked for a call.
struct call_requested {
  static constexpr event_type type = event_type::call_requested;
  uint64_t call_id = 0;
  friend bool operator==(const call_requested&,
                         const call_requested&) = default;
};

/// The limiter let a call through, possibly after a wait in the queue.
struct call_admitted {
  static constexpr event_type type = event_type::call_admitted;
  uint64_t call_id = 0;
  /// Time spent queued before admission; zero if admitted at once.
  duration waited{0};
  friend bool operator==(const call_admitted&, const call_admitted&) = default;
};

/// A call came too fast.
struct call_throttled {
  static constexpr event_type type = event_type::call_throttled;
  uint64_t call_id = 0;
  /// How long after the request the limiter would have admitted the call.
  duration retry_after{0};
  throttle_action action = throttle_action::rejected;
  friend bool operator==(const call_throttled&,
                         const call_throttled&) = default;
};

/// The wrapped operation began.
struct call_started {
  static constexpr event_type type = event_type::call_started;
  uint64_t call_id = 0;
  friend bool operator==(const call_started&, const call_started&) = default;
};

/// The wrapped operation ended, well or not.
struct call_finished {
  static constexpr event_type type = event_type::call_finished;
  uint64_t call_id = 0;
  /// From start to end.
  duration took{0};
  bool ok = true;
  /// Why it failed; empty when `ok`.
  std::string error;
  friend bool operator==(const call_finished&, const call_finished&) = default;
};

/// The wrapped operation overran its time limit; its caller got an error.
struct call_timed_out {
  static constexpr event_type type = event_type::call_timed_out;
  uint64_t call_id = 0;
  duration limit{0};
  friend bool operator==(const call_timed_out&,
                         const call_timed_out&) = default;
};

// -- inspection (CAF 0.17 form; also defines the stored field order) ----------

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, call_requested& x) {
  return f(caf::meta::type_name("call_requested"), x.call_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, call_admitted& x) {
  return f(caf::meta::type_name("call_admitted"), x.call_id, x.waited);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, call_throttled& x) {
  return f(caf::meta::type_name("call_throttled"), x.call_id, x.retry_after,
           x.action);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, call_started& x) {
  return f(caf::meta::type_name("call_started"), x.call_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, call_finished& x) {
  return f(caf::meta::type_name("call_finished"), x.call_id, x.took, x.ok,
           x.error);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, call_timed_out& x) {
  return f(caf::meta::type_name("call_timed_out"), x.call_id, x.limit);
}

} // namespace tc
