#include "timecontrol/policies/under_limiter.hpp"

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

admission admit(under_limiter& lim, time_point now) {
  return std::visit([now](auto& x) -> admission { return x.admit(now); }, lim);
}

admission check(const under_limiter& lim, time_point now) {
  return std::visit([now](const auto& x) -> admission { return x.check(now); },
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
