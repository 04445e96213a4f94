// The Log's backlog: how many bytes of events were handed to the Log and are
// not written yet. Not installed; shared by the runtime, the Log and the
// actors that record.
//
// Every recorder of the library adds the weight of what it sends (through
// recorder<> or runtime::record) and the Log releases the weight of what it
// wrote, so the count covers the Log's mailbox and its pending batch alike.
// Events sent to the Log by other means are not counted; releasing them
// saturates at zero instead of wrapping. Thread-safe.

#pragma once

#include <atomic>
#include <cstdint>

#include "timecontrol/events/event.hpp"

namespace tc::detail {

class log_backlog {
public:
  explicit log_backlog(uint64_t limit) noexcept : limit_(limit) {}

  void add(uint64_t n) noexcept {
    bytes_.fetch_add(n, std::memory_order_relaxed);
  }

  /// Takes `n` away, stopping at zero.
  void release(uint64_t n) noexcept {
    auto x = bytes_.load(std::memory_order_relaxed);
    while (!bytes_.compare_exchange_weak(x, x > n ? x - n : 0,
                                         std::memory_order_relaxed)) {
    }
  }

  uint64_t bytes() const noexcept {
    return bytes_.load(std::memory_order_relaxed);
  }

  uint64_t limit() const noexcept { return limit_; }

  /// True while the backlog is over its limit: recorders then hold back.
  bool full() const noexcept { return bytes() > limit_; }

private:
  std::atomic<uint64_t> bytes_{0};
  uint64_t limit_;
};

/// What an event costs in memory while it waits for the Log: the envelope
/// and the bytes of its strings.
uint64_t weight_of(const envelope& x) noexcept;

} // namespace tc::detail
