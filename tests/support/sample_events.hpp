// One envelope of every event type, each field set to a value that is not
// its default, for round-trip tests, golden bytes, fuzz seeds and benchmarks.

#pragma once

#include <string>
#include <vector>

#include "timecontrol/events/event.hpp"

namespace tc::test {

inline time_point sample_time(int64_t offset_ns = 0) {
  // 2026-11-26T08:00:00Z
  return from_nanos(1'795'680'000'000'000'000 + offset_ns);
}

inline std::vector<event> sample_bodies() {
  using namespace std::chrono_literals;
  return {
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
                       "coalesce grace 1s", -3, std::string("\x00\x01\xff", 3)},
      intent_fired{42, sample_time(300'000'000'000), "args"},
      intent_misfired{42, sample_time(-60'000'000'000), 3,
                      misfire_action::skipped},
      intent_cancelled{42},
      policy_changed{"5/s burst 10"},
      node_started{4242, "0.1.0"},
      node_stopped{"shutdown"},
      log_repaired{"83..168", "169..1048744",
                   "000012.log at offset 4899 (checksum mismatch)"},
  };
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
