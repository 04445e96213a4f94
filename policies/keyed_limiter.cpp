#include "timecontrol/policies/keyed_limiter.hpp"

#include <algorithm>
#include <deque>
#include <span>
#include <utility>

#include "timecontrol/policies/detail/byte_io.hpp"

namespace tc {

namespace {

constexpr uint8_t tag = 8;
constexpr uint8_t version = 1;

template <class... Fs>
struct overload : Fs... {
  using Fs::operator()...;
};

template <class... Fs>
overload(Fs...) -> overload<Fs...>;

detail::int128 units_of(const keyed_limiter::bucket_state& x) noexcept {
  auto u = (static_cast<detail::uint128>(x.hi) << 64) | x.lo;
  return static_cast<detail::int128>(u);
}

/// The bucket's capacity in units (burst * unit).
detail::int128 full_units(const token_bucket& b) noexcept {
  return static_cast<detail::int128>(std::max<int64_t>(b.burst(), 0)) *
         b.unit();
}

/// The calls a window state remembers: its last `limit`.
std::span<const time_point> remembered(const keyed_limiter::window_state& s,
                                       uint64_t limit) noexcept {
  std::span<const time_point> all{s.calls};
  return all.size() > limit ? all.subspan(all.size() - limit) : all;
}

} // namespace

keyed_limiter::keyed_limiter(const limiter_spec& spec)
    : fresh_(make_under_limiter(spec, time_point{})),
      capacity_(tc::capacity(fresh_)) {
  // nop
}

under_limiter keyed_limiter::materialize(const state& x) const {
  return std::visit(
      overload{
          [&](const min_state& s) -> under_limiter {
            auto& f = std::get<min_interval>(fresh_);
            return min_interval{f.period(), from_nanos(s.last)};
          },
          [&](const bucket_state& s) -> under_limiter {
            auto b = std::get<token_bucket>(fresh_);
            b.restore(units_of(s), from_nanos(s.last));
            return b;
          },
          [&](const window_state& s) -> under_limiter {
            auto& f = std::get<sliding_window>(fresh_);
            auto calls = remembered(s, f.limit());
            return sliding_window{
                f.limit(), f.window(),
                std::deque<time_point>(calls.begin(), calls.end())};
          },
      },
      x);
}

keyed_limiter::state keyed_limiter::compact(const under_limiter& x) {
  return std::visit(overload{
                        [](const min_interval& m) -> state {
                          return min_state{to_nanos(m.last())};
                        },
                        [](const token_bucket& b) -> state {
                          auto u =
                              static_cast<detail::uint128>(b.units(b.last()));
                          return bucket_state{static_cast<uint64_t>(u),
                                              static_cast<uint64_t>(u >> 64),
                                              to_nanos(b.last())};
                        },
                        [](const sliding_window& w) -> state {
                          return window_state{std::vector<time_point>(
                              w.calls().begin(), w.calls().end())};
                        },
                    },
                    x);
}

bool keyed_limiter::evictable(const state& x, time_point now) const {
  if (capacity_ == UINT64_MAX)
    return true; // admits everything: nothing to remember
  return std::visit(
      overload{
          [&](const min_state& s) {
            // Both this limiter and a fresh one (its last call at the epoch)
            // admit at `now`, and so at any later time.
            auto period = std::get<min_interval>(fresh_).period();
            auto last = std::max(from_nanos(s.last), time_point{});
            auto free_at = detail::add_sat(last, period);
            return free_at != never && free_at <= now;
          },
          [&](const bucket_state& s) {
            auto b = std::get<token_bucket>(fresh_);
            b.restore(units_of(s), from_nanos(s.last));
            return b.units(now) >= full_units(b);
          },
          [&](const window_state& s) {
            if (s.calls.empty())
              return true;
            auto window = std::get<sliding_window>(fresh_).window();
            auto free_at = detail::add_sat(s.calls.back(), window);
            return free_at != never && free_at <= now;
          },
      },
      x);
}

admission keyed_limiter::admit(std::string_view key, time_point now,
                               uint64_t n) {
  auto i = keys_.find(key);
  if (auto* w = std::get_if<sliding_window>(&fresh_))
    return admit_window(*w, i, key, now, n);
  auto lim = i == keys_.end() ? fresh_ : materialize(i->second);
  auto a = tc::admit(lim, now, n);
  if (!a.admitted)
    return a; // nothing changed
  auto s = compact(lim);
  if (evictable(s, now)) {
    if (i != keys_.end())
      keys_.erase(i);
  } else if (i != keys_.end()) {
    i->second = std::move(s);
  } else {
    keys_.emplace(small_key{key}, std::move(s));
  }
  return a;
}

admission keyed_limiter::admit_window(const sliding_window& fresh,
                                      map::iterator i, std::string_view key,
                                      time_point now, uint64_t n) {
  // On the kept times themselves: no copy of the window per call.
  static const window_state none;
  auto& kept = i == keys_.end() ? none : std::get<window_state>(i->second);
  auto limit = fresh.limit();
  auto a = sliding_window::decide(remembered(kept, limit), limit,
                                  fresh.window(), now, n);
  if (!a.admitted || fresh.window() <= duration{0} || n == 0)
    return a; // nothing to remember (as sliding_window::admit)
  if (i == keys_.end())
    i = keys_.emplace(small_key{key}, window_state{}).first;
  auto& calls = std::get<window_state>(i->second).calls;
  auto t = calls.empty() ? now : std::max(now, calls.back());
  calls.insert(calls.end(), n, t);
  // (calls.size() - limit > limit: 2 * limit may not fit in 64 bits.)
  if (calls.size() > limit && calls.size() - limit > limit)
    calls.erase(calls.begin(),
                calls.begin() + static_cast<ptrdiff_t>(calls.size() - limit));
  if (evictable(i->second, now))
    keys_.erase(i);
  return a;
}

admission keyed_limiter::check(std::string_view key, time_point now,
                               uint64_t n) const {
  if (auto* w = std::get_if<sliding_window>(&fresh_)) {
    auto i = keys_.find(key);
    if (i == keys_.end())
      return w->check(now, n);
    return sliding_window::decide(
        remembered(std::get<window_state>(i->second), w->limit()), w->limit(),
        w->window(), now, n);
  }
  return tc::check(limiter_of(key), now, n);
}

under_limiter keyed_limiter::limiter_of(std::string_view key) const {
  auto i = keys_.find(key);
  return i == keys_.end() ? fresh_ : materialize(i->second);
}

bool keyed_limiter::holds(std::string_view key) const {
  return keys_.find(key) != keys_.end();
}

bool keyed_limiter::active(std::string_view key, time_point now) const {
  auto i = keys_.find(key);
  return i != keys_.end() && !evictable(i->second, now);
}

size_t keyed_limiter::evict(time_point now) {
  auto n = std::erase_if(
      keys_, [&](const auto& x) { return evictable(x.second, now); });
  // Give back the bucket array of keys gone (8 bytes a key otherwise).
  if (n > 0 && keys_.size() < keys_.bucket_count() / 4)
    keys_.rehash(0);
  return n;
}

size_t keyed_limiter::evict_some(time_point now, size_t buckets) {
  size_t evicted = 0;
  std::vector<std::string_view> gone;
  for (; buckets > 0 && !keys_.empty(); --buckets) {
    auto b = cursor_++ % keys_.bucket_count();
    gone.clear();
    for (auto i = keys_.begin(b); i != keys_.end(b); ++i)
      if (evictable(i->second, now))
        gone.push_back(i->first.view());
    // Erasing a node leaves the other nodes (and their keys) in place.
    for (auto k : gone)
      if (auto i = keys_.find(k); i != keys_.end()) {
        keys_.erase(i);
        ++evicted;
      }
  }
  if (keys_.empty())
    cursor_ = 0;
  return evicted;
}

std::string keyed_limiter::serialize() const {
  // In key order, so that equal limiters give equal bytes.
  std::vector<const map::value_type*> sorted;
  sorted.reserve(keys_.size());
  for (auto& x : keys_)
    sorted.push_back(&x);
  std::sort(sorted.begin(), sorted.end(),
            [](auto* x, auto* y) { return x->first.view() < y->first.view(); });
  detail::byte_writer w{tag, version};
  w.varint(sorted.size());
  for (auto* x : sorted) {
    auto key = x->first.view();
    w.varint(key.size());
    for (char c : key)
      w.u8(static_cast<uint8_t>(c));
    std::visit(overload{
                   [&](const min_state& s) {
                     w.u8(1);
                     w.i64(s.last);
                   },
                   [&](const bucket_state& s) {
                     w.u8(3);
                     w.i128(units_of(s));
                     w.i64(s.last);
                   },
                   [&](const window_state& s) {
                     auto calls = remembered(
                         s, std::get<sliding_window>(fresh_).limit());
                     w.u8(4);
                     w.varint(calls.size());
                     for (auto t : calls)
                       w.i64(to_nanos(t));
                   },
               },
               x->second);
  }
  return std::move(w).take();
}

std::optional<keyed_limiter>
keyed_limiter::deserialize(const limiter_spec& spec, std::string_view bytes) {
  keyed_limiter result{spec};
  detail::byte_reader r{bytes};
  uint64_t n = 0;
  if (!r.header(tag, version) || !r.varint(n))
    return std::nullopt;
  if (n > r.remaining()) // each key takes at least two bytes
    return std::nullopt;
  auto expected = static_cast<uint8_t>(
      std::visit(overload{[](const min_interval&) { return 1; },
                          [](const token_bucket&) { return 3; },
                          [](const sliding_window&) { return 4; }},
                 result.fresh_));
  result.keys_.reserve(n);
  for (; n > 0; --n) {
    uint64_t size = 0;
    if (!r.varint(size) || size > r.remaining())
      return std::nullopt;
    std::string key;
    key.reserve(size);
    for (uint64_t i = 0; i < size; ++i) {
      uint8_t c = 0;
      if (!r.u8(c))
        return std::nullopt;
      key.push_back(static_cast<char>(c));
    }
    uint8_t kind = 0;
    if (!r.u8(kind) || kind != expected)
      return std::nullopt;
    state s;
    if (kind == 1) {
      int64_t last = 0;
      if (!r.i64(last))
        return std::nullopt;
      s = min_state{last};
    } else if (kind == 3) {
      detail::int128 units = 0;
      int64_t last = 0;
      if (!r.i128(units) || !r.i64(last))
        return std::nullopt;
      auto& b = std::get<token_bucket>(result.fresh_);
      if (units < 0 || units > full_units(b))
        return std::nullopt;
      auto u = static_cast<detail::uint128>(units);
      s = bucket_state{static_cast<uint64_t>(u), static_cast<uint64_t>(u >> 64),
                       last};
    } else {
      uint64_t count = 0;
      if (!r.varint(count) || count > r.remaining() / 8 ||
          count > std::get<sliding_window>(result.fresh_).limit())
        return std::nullopt;
      window_state w;
      w.calls.reserve(count);
      for (; count > 0; --count) {
        int64_t t = 0;
        if (!r.i64(t))
          return std::nullopt;
        if (!w.calls.empty() && from_nanos(t) < w.calls.back())
          return std::nullopt;
        w.calls.push_back(from_nanos(t));
      }
      s = std::move(w);
    }
    if (!result.keys_.emplace(small_key{key}, std::move(s)).second)
      return std::nullopt; // a key twice
  }
  if (!r.at_end())
    return std::nullopt;
  return result;
}

bool operator==(const keyed_limiter& x, const keyed_limiter& y) {
  if (!(x.fresh_ == y.fresh_) || x.keys_.size() != y.keys_.size())
    return false;
  auto* w = std::get_if<sliding_window>(&x.fresh_);
  for (auto& [key, state] : x.keys_) {
    auto i = y.keys_.find(key.view());
    if (i == y.keys_.end())
      return false;
    if (!w) {
      if (!(state == i->second))
        return false;
      continue;
    }
    // What a window remembers: its last `limit` kept times.
    auto a =
        remembered(std::get<keyed_limiter::window_state>(state), w->limit());
    auto b = remembered(std::get<keyed_limiter::window_state>(i->second),
                        w->limit());
    if (!std::equal(a.begin(), a.end(), b.begin(), b.end()))
      return false;
  }
  return true;
}

} // namespace tc
