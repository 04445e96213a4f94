// The Log's backlog: how many bytes of events were handed to the Log and are
// not written yet. Not installed; shared by the runtime, the Log and the
// actors that record.
//
// Every recorder of the library adds the weight of what it sends (through
// recorder<> or runtime::record) and the Log releases the weight of what it
// wrote, so the count covers the Log's mailbox and its pending batch alike.
// Events sent to the Log by other means are not counted; releasing them
// saturates at zero instead of wrapping. Thread-safe.
//
// It also keeps the watermark of event time: each recorder holds a stamp
// slot with the stamp of its oldest event that is recorded and not yet sent
// to the Log (none between passes). low_watermark(now) is the earliest of
// those and `now`: every event stamped before it has been sent to the Log
// (a recorder stamps an event when it records it, and clears its slot only
// after sending), so a Log flush sent after reading the watermark is behind
// all of them. The one gap: an event whose stamp was read from the clock
// before the watermark but recorded after it (a thread preempted between the
// two) is not covered; the library's actors read the clock and record in
// the same few instructions.

#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <vector>

#include "timecontrol/events/event.hpp"

namespace tc::detail {

/// One recorder's oldest stamp not yet sent to the Log (see above).
class stamp_slot {
public:
  static constexpr int64_t none = std::numeric_limits<int64_t>::max();

  /// The recorder holds an event stamped `t` (the first of a pass).
  void hold(time_point t) noexcept {
    oldest_.store(t.time_since_epoch().count(), std::memory_order_seq_cst);
  }

  /// The recorder sent all it held.
  void clear() noexcept { oldest_.store(none, std::memory_order_seq_cst); }

  int64_t oldest() const noexcept {
    return oldest_.load(std::memory_order_seq_cst);
  }

private:
  std::atomic<int64_t> oldest_{none};
};

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

  /// A slot for a new recorder; it counts until the recorder drops it.
  std::shared_ptr<stamp_slot> open_slot() {
    auto slot = std::make_shared<stamp_slot>();
    std::lock_guard guard{mutex_};
    // Slots of recorders gone are dropped when the list has doubled since
    // the last time: amortised constant work per recorder.
    if (slots_.size() >= prune_at_) {
      std::erase_if(slots_, [](auto& x) { return x.expired(); });
      prune_at_ = std::max<size_t>(16, 2 * slots_.size());
    }
    slots_.push_back(slot);
    return slot;
  }

  /// The earliest of `now` and the stamps that recorders hold unsent.
  time_point low_watermark(time_point now) const {
    auto result = now.time_since_epoch().count();
    std::lock_guard guard{mutex_};
    for (auto& x : slots_)
      if (auto slot = x.lock())
        result = std::min(result, slot->oldest());
    return time_point{duration{result}};
  }

private:
  mutable std::mutex mutex_;
  std::vector<std::weak_ptr<stamp_slot>> slots_;
  size_t prune_at_ = 16;
  std::atomic<uint64_t> bytes_{0};
  uint64_t limit_;
};

/// What an event costs in memory while it waits for the Log: the envelope
/// and the bytes of its strings.
uint64_t weight_of(const envelope& x) noexcept;

} // namespace tc::detail
