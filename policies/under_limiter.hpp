// under_limiter: any of the three "not too often" policies behind one
// interface, built from a limiter spec. What a Command holds.
//
// Example:
//
//   auto spec = tc::parse_limiter_spec("20 per 10s");
//   if (!spec) return bad_config(spec.error().message);
//   tc::under_limiter lim = tc::make_under_limiter(*spec, now);
//   if (auto a = tc::admit(lim, now); !a.admitted)
//     reply_throttled(a.retry_after);
//
// Snapshots: serialize_under_limiter() writes the chosen policy's own bytes
// (whose first byte, the tag, says which policy it is), so
// deserialize_under_limiter() needs no extra framing.

#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "timecontrol/core/time.hpp"
#include "timecontrol/policies/admission.hpp"
#include "timecontrol/policies/min_interval.hpp"
#include "timecontrol/policies/sliding_window.hpp"
#include "timecontrol/policies/spec.hpp"
#include "timecontrol/policies/token_bucket.hpp"

namespace tc {

using under_limiter = std::variant<min_interval, token_bucket, sliding_window>;

/// A fresh limiter for `spec`, created at `t0` (min_interval's last call
/// starts at t0, the token bucket starts full at t0, the window empty).
under_limiter make_under_limiter(const limiter_spec& spec, time_point t0);

/// Decides a call of weight `n` at `now` and records it if admitted
/// (token_bucket: n tokens, x/time/rate's AllowN; sliding_window: n slots,
/// as n calls at `now`; min_interval: a call of any weight 1..capacity() = 1
/// is one call). A weight above capacity() is never admitted (`never`).
admission admit(under_limiter& lim, time_point now, uint64_t n = 1);

/// What admit() would answer, without recording anything.
admission check(const under_limiter& lim, time_point now, uint64_t n = 1);

/// The largest weight a single call can have and ever be admitted: the
/// token bucket's burst (x/time/rate's WaitN refuses n > burst), the
/// window's limit, 1 for min_interval; UINT64_MAX when the limiter admits
/// everything (an infinite rate, a window or period of zero or less).
uint64_t capacity(const under_limiter& lim) noexcept;

/// The policy's own bytes (see each policy's serialize()).
std::string serialize_under_limiter(const under_limiter& lim);

/// Restores any of the three from its bytes; empty for any other input.
std::optional<under_limiter> deserialize_under_limiter(std::string_view bytes);

} // namespace tc
