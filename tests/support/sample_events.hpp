// One envelope of every event type, each field set to a value that is not
// its default, for round-trip tests, golden bytes, fuzz seeds and benchmarks.

#pragma once

#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "timecontrol/events/event.hpp"

namespace tc::test {

inline time_point sample_time(int64_t offset_ns = 0) {
  // 2026-11-26T08:00:00Z
  return from_nanos(1'795'680'000'000'000'000 + offset_ns);
}

/// A value of type T for field number `i` of a generated sample: not the
/// default, and valid (an enum's value 1 if it names one, else 0).
template <class T>
T sample_value(size_t i) {
  if constexpr (std::is_same_v<T, bool>) {
    return true;
  } else if constexpr (std::is_same_v<T, duration>) {
    return duration{1500 + static_cast<int64_t>(i)};
  } else if constexpr (std::is_same_v<T, time_point>) {
    return sample_time(static_cast<int64_t>(i) * 1000);
  } else if constexpr (std::is_same_v<T, std::string>) {
    return "text-" + std::to_string(i);
  } else if constexpr (std::is_enum_v<T>) {
    return to_string(static_cast<T>(1)).empty() ? static_cast<T>(0)
                                                : static_cast<T>(1);
  } else {
    return static_cast<T>(7 + i);
  }
}

/// An event of type E with every field set by sample_value.
template <class E>
E generated_sample() {
  E x;
  size_t i = 0;
  for_each_field(x, [&](const auto&, auto& value) {
    value = sample_value<std::decay_t<decltype(value)>>(i++);
  });
  return x;
}

/// The hand-written samples (the golden bytes of format versions 1 to 4
/// pin them; new ones go at the end of the list), then a generated one of every
/// other type of the catalogue, so a new type is covered without being added
/// here.
inline std::vector<event> sample_bodies() {
  using namespace std::chrono_literals;
  std::vector<event> result{
      call_requested{7},
      call_admitted{7, 1500us},
      call_throttled{8, 200ms, throttle_action::waited},
      call_started{7},
      call_finished{7, 12ms, false, "HTTP 429: too many requests"},
      call_timed_out{9, 5s},
      deadline_status_changed{"poll-prices", deadline_status::up,
                              deadline_status::late},
      deadline_missed{"poll-prices", 1250ms},
      intent_scheduled{42, "send-report", "cron */5 * * * *",
                       "coalesce grace 1s", -3, std::string("\x00\x01\xff", 3),
                       "report"},
      intent_fired{42, sample_time(300'000'000'000), "args"},
      intent_misfired{42, sample_time(-60'000'000'000), 3,
                      misfire_action::skipped},
      intent_cancelled{42},
      policy_changed{"5/s burst 10"},
      node_started{4242, "0.1.0"},
      node_stopped{"shutdown"},
      log_repaired{"83..168", "169..1048744",
                   "000012.log at offset 4899 (checksum mismatch)"},
      // Record format version 3: a weighted call, an expired one.
      call_admitted{7, 1500us, 5},
      call_throttled{8, 300ms, throttle_action::expired},
      // Record format version 4: calls of a key (a limit per key).
      call_admitted{10, 0us, 1, "user-42"},
      call_throttled{11, 250ms, throttle_action::rejected, "10.0.0.7"},
      // Record format version 5: nodes over the network.
      node_joined{"worker-1", 4243},
      node_lost{"worker-1", "remote_link_unreachable"},
  };
  std::vector<bool> covered(std::variant_size_v<event>, false);
  for (auto& x : result)
    covered[x.index()] = true;
  [&]<size_t... Is>(std::index_sequence<Is...>) {
    ((covered[Is]
          ? void()
          : void(result.emplace_back(
                generated_sample<std::variant_alternative_t<Is, event>>()))),
     ...);
  }
  (std::make_index_sequence<std::variant_size_v<event>>{});
  return result;
}

/// Envelopes of every type, numbered from `first_seq` (0: not stored).
inline std::vector<envelope> sample_envelopes(seq_t first_seq = 0) {
  std::vector<envelope> result;
  int64_t i = 0;
  for (auto& body : sample_bodies()) {
    auto seq = first_seq == 0 ? 0 : first_seq + i;
    result.push_back(envelope{seq, sample_time(i * 1000),
                              "source-" + std::to_string(i % 3),
                              std::move(body)});
    ++i;
  }
  return result;
}

} // namespace tc::test
