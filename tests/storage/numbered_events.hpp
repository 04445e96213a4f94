// The events the storage tests' writer processes append: the event with
// sequence number N is a function of N alone, so a test can tell whether
// what it reads back is exactly what was written.

#pragma once

#include <string>

#include "timecontrol/events/event.hpp"

namespace tc::test {

inline envelope numbered_event(seq_t seq) {
  auto t = from_nanos(1'795'680'000'000'000'000 +
                      static_cast<int64_t>(seq) * 1'000'000);
  auto source = "source-" + std::to_string(seq % 5);
  auto n = static_cast<int64_t>(seq);
  switch (seq % 4) {
    case 0:
      return {seq, t, source, call_requested{seq}};
    case 1:
      return {seq, t, source,
              call_finished{seq, duration{n}, seq % 3 == 0,
                            std::string(20 + seq % 50, 'x')}};
    case 2:
      return {seq, t, source,
              intent_fired{seq, t, "args-" + std::to_string(seq)}};
    default:
      return {
          seq, t, source,
          deadline_missed{"command-" + std::to_string(seq % 7), duration{n}}};
  }
}

} // namespace tc::test
