// Events a Command records about the calls it guards.
//
// The source of each is the command's name. `call_id` numbers the calls of
// one command, so the events of one call can be joined on (source, call_id).

#pragma once

#include <cstdint>
#include <string>

#include "timecontrol/core/time.hpp"
#include "timecontrol/events/fields.hpp"

namespace tc {

/// What a command did with a call that came too fast.
enum class throttle_action : uint8_t {
  /// The call was queued and ran later.
  waited = 0,
  /// The caller got a `throttled` error with the retry-after.
  rejected = 1,
  /// The call was ignored without an answer.
  dropped = 2,
  /// The call waited longer than its caller allowed (its max_wait) and was
  /// answered `expired` without running; or, at the request, the limiter's
  /// earliest admission was already past that bound. It took nothing from
  /// the limiter. Recorded in record format version 3 (FORMAT.md).
  expired = 3,
};

std::string_view to_string(throttle_action x) noexcept;

/// A caller asked for a call.
struct call_requested {
  uint64_t call_id = 0;
  static constexpr auto fields() {
    return std::tuple{field{"call_id", &call_requested::call_id}};
  }
  friend bool operator==(const call_requested&,
                         const call_requested&) = default;
};

/// The limiter let a call through, possibly after a wait in the queue.
struct call_admitted {
  call_admitted() = default;
  /// A call of `cost` units (1: a plain call, which records no cost), of
  /// the key `k` ("": an unkeyed call, which records no key).
  call_admitted(uint64_t id, duration wait, uint64_t units = 1,
                std::string k = {}) noexcept
      : call_id(id), waited(wait), cost(units), key(std::move(k)) {
    // nop
  }
  uint64_t call_id = 0;
  /// Time spent queued before admission; zero if admitted at once.
  duration waited{0};
  /// The units the call took from the limiter (a weighted call, x/time/rate's
  /// WaitN n); 1 for a plain call. Stored from record format version 3 on,
  /// and only in records that need it (cost != 1): records of versions 1
  /// and 2 read as 1.
  uint64_t cost = 1;
  /// The key whose limiter admitted the call (a limit per key: a user, an
  /// address, an account; actors/command.hpp); "" for an unkeyed call.
  /// Stored from record format version 4 on, and only in records that need
  /// it (a key that is not empty): records of older versions read as "".
  std::string key;
  static constexpr auto fields() {
    return std::tuple{field{"call_id", &call_admitted::call_id},
                      field{"waited", &call_admitted::waited},
                      field{"cost", &call_admitted::cost, 3},
                      field{"key", &call_admitted::key, 4}};
  }
  /// The oldest record format version that holds this event.
  uint8_t record_version() const noexcept {
    return !key.empty() ? 4 : cost != 1 ? 3 : 1;
  }
  friend bool operator==(const call_admitted&, const call_admitted&) = default;
};

/// A call came too fast.
struct call_throttled {
  call_throttled() = default;
  /// A call of the key `k` ("": an unkeyed call, which records no key).
  call_throttled(uint64_t id, duration retry,
                 throttle_action what = throttle_action::rejected,
                 std::string k = {}) noexcept
      : call_id(id), retry_after(retry), action(what), key(std::move(k)) {
    // nop
  }
  uint64_t call_id = 0;
  /// How long after the request the limiter would have admitted the call.
  /// For `expired`: that wait when the call was answered at its request;
  /// the time it waited when it left the queue (its request is then its
  /// earlier call_throttled, waited).
  duration retry_after{0};
  throttle_action action = throttle_action::rejected;
  /// The key whose limiter throttled the call; "" for an unkeyed call.
  /// Stored from record format version 4 on, only when not empty.
  std::string key;
  static constexpr auto fields() {
    return std::tuple{field{"call_id", &call_throttled::call_id},
                      field{"retry_after", &call_throttled::retry_after},
                      field{"action", &call_throttled::action},
                      field{"key", &call_throttled::key, 4}};
  }
  /// The oldest record format version that holds this event (`expired`
  /// comes with version 3: a reader of version 2 refuses it as newer; a
  /// key with version 4).
  uint8_t record_version() const noexcept {
    return !key.empty() ? 4 : action == throttle_action::expired ? 3 : 1;
  }
  friend bool operator==(const call_throttled&,
                         const call_throttled&) = default;
};

/// The wrapped operation began.
struct call_started {
  uint64_t call_id = 0;
  static constexpr auto fields() {
    return std::tuple{field{"call_id", &call_started::call_id}};
  }
  friend bool operator==(const call_started&, const call_started&) = default;
};

/// The wrapped operation ended, well or not.
struct call_finished {
  uint64_t call_id = 0;
  /// From start to end.
  duration took{0};
  bool ok = true;
  /// Why it failed; empty when `ok`.
  std::string error;
  static constexpr auto fields() {
    return std::tuple{field{"call_id", &call_finished::call_id},
                      field{"took", &call_finished::took},
                      field{"ok", &call_finished::ok},
                      field{"error", &call_finished::error}};
  }
  friend bool operator==(const call_finished&, const call_finished&) = default;
};

/// The wrapped operation overran its time limit; its caller got an error.
struct call_timed_out {
  uint64_t call_id = 0;
  duration limit{0};
  static constexpr auto fields() {
    return std::tuple{field{"call_id", &call_timed_out::call_id},
                      field{"limit", &call_timed_out::limit}};
  }
  friend bool operator==(const call_timed_out&,
                         const call_timed_out&) = default;
};

} // namespace tc
