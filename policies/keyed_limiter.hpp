// keyed_limiter: one limiter spec, a separate limiter per key (a user, an
// address, an account), as nginx's limit_req zones, bottleneck's groups and
// per-user API quotas have. What a Command holds for its keyed calls.
//
// Example:
//
//   auto spec = tc::parse_limiter_spec("5/s burst 10");
//   tc::keyed_limiter per_user{*spec};
//   if (auto a = per_user.admit("user-42", now); !a.admitted)
//     reply_throttled(a.retry_after);
//   per_user.evict_some(now, 2);  // now and then: forget idle keys
//
// A key's limiter is created on its first admission, as make_under_limiter
// (spec, time_point{}) creates one (a key never seen is admitted like the
// first call of a fresh limiter), and decides exactly as that under_limiter
// would: admit(), check() and capacity() are under_limiter's.
//
// Eviction is exact. A key is evictable at `now` when its limiter can no
// longer be told from a fresh one by any decision at `now` or later:
//   token bucket    full again (units(now) == burst)
//   sliding window  empty, or its latest call at least a window before now
//                   (every slot free now and for ever, whatever it adds)
//   min interval    its last call at least the period before now
// (and always under a limiter that admits everything). Evicting such a key
// and creating it fresh later gives every later decision the same answer,
// so eviction never lets a call through that keeping the key would have
// refused, nor the other way round (a property test checks this against a
// limiter that never evicts). It assumes time does not go backwards between
// decisions (the runtime's clock never does).
//
// Memory: a key costs its hash map node (the key in 16 bytes, its bytes in
// place up to 12 and in a heap block of their own beyond; and a 24-byte
// state: a token bucket's units and time, a min interval's time, or a
// sliding window's vector of call times and its heap block) and a bucket
// pointer; see BENCHMARKS.md. A key has at most 2^32 - 1 bytes.

#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "timecontrol/core/time.hpp"
#include "timecontrol/policies/admission.hpp"
#include "timecontrol/policies/spec.hpp"
#include "timecontrol/policies/under_limiter.hpp"

namespace tc {

class keyed_limiter {
public:
  // -- constructors -----------------------------------------------------------

  /// No key yet; every key's limiter is of `spec`.
  explicit keyed_limiter(const limiter_spec& spec);

  // -- decisions --------------------------------------------------------------

  /// Decides a call of weight `n` of `key` at `now`, as admit() of the key's
  /// under_limiter (created fresh if the key has none), and keeps the key's
  /// new state (not if it is evictable at once: an unlimited spec keeps no
  /// key).
  admission admit(std::string_view key, time_point now, uint64_t n = 1);

  /// What admit() would answer, keeping nothing.
  admission check(std::string_view key, time_point now, uint64_t n = 1) const;

  /// The largest weight a call can have (under_limiter's capacity()).
  uint64_t capacity() const noexcept { return capacity_; }

  // -- keys -------------------------------------------------------------------

  /// The keys held (not yet evicted).
  size_t size() const noexcept { return keys_.size(); }

  /// True if `key` has a limiter (it was admitted and not evicted).
  bool holds(std::string_view key) const;

  /// True if `key`'s limiter can be told from a fresh one at `now` or later
  /// (see the top of this file); false for a key not held.
  bool active(std::string_view key, time_point now) const;

  /// Evicts every key evictable at `now` (and shrinks the hash map when
  /// most of it went); returns how many.
  size_t evict(time_point now);

  /// Evicts the evictable keys of the next `buckets` buckets of the hash
  /// map (a cursor goes round): a little work per call that forgets every
  /// idle key after about size() / buckets calls. Returns how many.
  size_t evict_some(time_point now, size_t buckets);

  /// The key's limiter as an under_limiter (a fresh one for a key not held).
  under_limiter limiter_of(std::string_view key) const;

  // -- serialization ----------------------------------------------------------

  /// The keys and their states as bytes (grammar in detail/byte_io.hpp):
  ///
  ///   keyed_limiter := 0x08 0x01 n:varint key{n}
  ///   key           := size:varint bytes state
  ///   state         := 0x01 last:i64                      min interval
  ///                  | 0x03 units:i128 last:i64           token bucket
  ///                  | 0x04 n:varint time:i64{n}          sliding window
  ///
  /// The spec is not in the bytes: it is the caller's (a Command keeps its
  /// spec beside them).
  std::string serialize() const;

  /// Restores the keys written by serialize() under `spec`; empty for any
  /// other input (a state of another policy, a bucket above its burst,
  /// unsorted or too many call times, a key twice, trailing bytes).
  static std::optional<keyed_limiter> deserialize(const limiter_spec& spec,
                                                  std::string_view bytes);

  friend bool operator==(const keyed_limiter& x, const keyed_limiter& y);

  /// A key's state, as small as its policy allows (the spec's parameters
  /// are shared by all keys).
  struct min_state {
    int64_t last = 0;
    friend bool operator==(const min_state&, const min_state&) = default;
  };
  struct bucket_state {
    /// The bucket's units at `last`, as two halves (no 16-byte alignment).
    uint64_t lo = 0;
    uint64_t hi = 0;
    int64_t last = 0;
    friend bool operator==(const bucket_state&, const bucket_state&) = default;
  };
  struct window_state {
    /// Admitted call times, oldest first. The limiter remembers the last
    /// `limit` of them; up to 2 * limit are kept, so that dropping the
    /// older ones is one erase per `limit` admissions (amortised O(1)).
    std::vector<time_point> calls;
    friend bool operator==(const window_state&, const window_state&) = default;
  };
  using state = std::variant<min_state, bucket_state, window_state>;

private:
  /// A key as the map keeps it: 16 bytes, its bytes in place up to 12,
  /// else in a heap block of their own (a std::string takes 32).
  class small_key {
  public:
    explicit small_key(std::string_view x)
        : size_(static_cast<uint32_t>(x.size())) {
      if (size_ <= inline_size) {
        if (size_ > 0) // (memcpy from a null pointer is undefined)
          std::memcpy(data_, x.data(), x.size());
      } else {
        auto* p = new char[x.size()];
        std::memcpy(p, x.data(), x.size());
        std::memcpy(data_, &p, sizeof p);
      }
    }
    small_key(const small_key& x) : small_key(x.view()) {}
    small_key(small_key&& x) noexcept : size_(x.size_) {
      std::memcpy(data_, x.data_, sizeof data_);
      x.size_ = 0;
    }
    small_key& operator=(small_key x) noexcept {
      std::swap(size_, x.size_);
      char tmp[sizeof data_];
      std::memcpy(tmp, data_, sizeof data_);
      std::memcpy(data_, x.data_, sizeof data_);
      std::memcpy(x.data_, tmp, sizeof data_);
      return *this;
    }
    ~small_key() {
      if (size_ > inline_size)
        delete[] heap();
    }
    std::string_view view() const noexcept {
      return {size_ <= inline_size ? data_ : heap(), size_};
    }
    friend bool operator==(const small_key& x, const small_key& y) noexcept {
      return x.view() == y.view();
    }

  private:
    static constexpr uint32_t inline_size = 12;
    char* heap() const noexcept {
      char* p = nullptr;
      std::memcpy(&p, data_, sizeof p);
      return p;
    }
    uint32_t size_;
    char data_[inline_size];
  };

  static std::string_view view_of(std::string_view x) noexcept { return x; }
  static std::string_view view_of(const small_key& x) noexcept {
    return x.view();
  }

  struct hash {
    using is_transparent = void;
    size_t operator()(std::string_view x) const noexcept {
      return std::hash<std::string_view>{}(x);
    }
    size_t operator()(const small_key& x) const noexcept {
      return (*this)(x.view());
    }
  };

  struct equal {
    using is_transparent = void;
    template <class X, class Y>
    bool operator()(const X& x, const Y& y) const noexcept {
      return view_of(x) == view_of(y);
    }
  };

  using map = std::unordered_map<small_key, state, hash, equal>;

  under_limiter materialize(const state& x) const;
  static state compact(const under_limiter& x);
  bool evictable(const state& x, time_point now) const;
  /// admit() for a window spec, on the kept times (`i`: the key's entry).
  admission admit_window(const sliding_window& fresh, map::iterator i,
                         std::string_view key, time_point now, uint64_t n);

  /// A fresh limiter of the spec.
  under_limiter fresh_;
  uint64_t capacity_;
  map keys_;
  /// The next bucket evict_some() looks at.
  size_t cursor_ = 0;
};

} // namespace tc
