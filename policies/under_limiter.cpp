#include "timecontrol/policies/under_limiter.hpp"

#include <algorithm>
#include <limits>

namespace tc {

namespace {

template <class... Fs>
struct overload : Fs... {
  using Fs::operator()...;
};

template <class... Fs>
overload(Fs...) -> overload<Fs...>;

} // namespace

under_limiter make_under_limiter(const limiter_spec& spec, time_point t0) {
  return std::visit(overload{
                        [t0](const min_interval_config& c) -> under_limiter {
                          return min_interval{c.period, t0};
                        },
                        [t0](const token_bucket_config& c) -> under_limiter {
                          return token_bucket{c.rate, c.burst, t0};
                        },
                        [](const sliding_window_config& c) -> under_limiter {
                          return sliding_window{c.limit, c.window};
                        },
                    },
                    spec);
}

namespace {

/// A token count for token_bucket (its n is signed): above INT64_MAX is
/// more than any burst.
int64_t tokens(uint64_t n) noexcept {
  return n > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX
                                              : static_cast<int64_t>(n);
}

admission refused_forever(time_point) noexcept {
  admission a;
  a.earliest = never;
  a.retry_after = duration::max();
  return a;
}

} // namespace

admission admit(under_limiter& lim, time_point now, uint64_t n) {
  return std::visit(
      overload{
          [&](min_interval& x) -> admission {
            if (n > capacity(lim))
              return refused_forever(now);
            if (n == 0) // takes nothing
              return admission{true, now, duration{0}};
            return x.admit(now);
          },
          [&](token_bucket& x) -> admission { return x.admit(now, tokens(n)); },
          [&](sliding_window& x) -> admission { return x.admit(now, n); },
      },
      lim);
}

admission check(const under_limiter& lim, time_point now, uint64_t n) {
  return std::visit(
      overload{
          [&](const min_interval& x) -> admission {
            if (n > capacity(lim))
              return refused_forever(now);
            if (n == 0)
              return admission{true, now, duration{0}};
            return x.check(now);
          },
          [&](const token_bucket& x) -> admission {
            return x.check(now, tokens(n));
          },
          [&](const sliding_window& x) -> admission { return x.check(now, n); },
      },
      lim);
}

uint64_t capacity(const under_limiter& lim) noexcept {
  constexpr auto all = std::numeric_limits<uint64_t>::max();
  return std::visit(overload{
                        [](const min_interval& x) -> uint64_t {
                          return x.period() <= duration{0} ? all : 1;
                        },
                        [](const token_bucket& x) -> uint64_t {
                          return x.rate().is_infinite()
                                     ? all
                                     : static_cast<uint64_t>(
                                           std::max<int64_t>(x.burst(), 0));
                        },
                        [](const sliding_window& x) -> uint64_t {
                          return x.window() <= duration{0} ? all : x.limit();
                        },
                    },
                    lim);
}

std::string serialize_under_limiter(const under_limiter& lim) {
  return std::visit([](const auto& x) { return x.serialize(); }, lim);
}

std::optional<under_limiter> deserialize_under_limiter(std::string_view bytes) {
  if (bytes.empty())
    return std::nullopt;
  switch (bytes.front()) {
    case 1:
      if (auto x = min_interval::deserialize(bytes))
        return under_limiter{*x};
      break;
    case 3:
      if (auto x = token_bucket::deserialize(bytes))
        return under_limiter{*x};
      break;
    case 4:
      if (auto x = sliding_window::deserialize(bytes))
        return under_limiter{std::move(*x)};
      break;
    default:
      break;
  }
  return std::nullopt;
}

} // namespace tc
