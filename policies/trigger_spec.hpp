// Trigger and misfire specs: the short texts a user writes for a Scheduler
// intent, parsed into a trigger (trigger.hpp) and a misfire policy
// (misfire.hpp).
//
//   trigger   := "now" | "once" time | "every" duration clause*
//              | "cron" cron ["jitter" duration]
//   clause    := "jitter" duration        uniform in [0, d], d < period
//              | "from" time              first fire (default: now, as the
//                                         caller passes it)
//              | "until" time             no fire after it
//              | "times" integer          at most this many fires (>= 1)
//   cron      := ["CRON_TZ=" zone | "TZ=" zone] (5 fields | "@daily" etc.),
//                                         cron.hpp: in UTC, or on the clock
//                                         of an IANA zone ("cron TZ=Europe/
//                                         Berlin 0 9 * * 1-5"; cronie's
//                                         CRON_TZ, robfig/cron's TZ=)
//   time      := digits                   nanoseconds since the epoch
//              | YYYY "-" MM "-" DD "T" hh ":" mm ":" ss ["." f{1,9}] "Z"
//                                         ISO 8601, UTC only
//   duration  := number unit              "5s", "1.5s", "200 ms" (as in
//                                         limiter specs, spec.hpp)
//
//   misfire   := [rule] ["grace" duration]
//   rule      := "coalesce" | "run-once" | "run-all" | "skip"  (default
//                                         coalesce; "_" may stand for "-")
//
// A cron jitter moves each fire later by up to d, cut to the gap before the
// expression's next fire (trigger.hpp, cron_trigger); like an every's, it is
// drawn from the seed the caller passes (a Scheduler passes the intent id),
// so the same spec fires at the same times on every replay.
//
// Words are case-insensitive (a zone name is not: "Europe/Berlin"); each
// clause may appear once. "now" and an
// "every" without "from" need the current time, which the caller passes; the
// canonical text of a parsed trigger (to_spec) spells them out ("once <ns>",
// "every 5s from <ns>"), so a stored spec means the same on every replay.
// Errors name the byte position and what was expected.

#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "timecontrol/core/time.hpp"
#include "timecontrol/policies/misfire.hpp"
#include "timecontrol/policies/parse_result.hpp"
#include "timecontrol/policies/trigger.hpp"

namespace tc {

/// Parses a trigger spec; never throws. `now` is what "now" means and where
/// an "every" without "from" starts; `seed` seeds the jitter of an "every"
/// trigger.
parse_result<trigger> parse_trigger_spec(std::string_view text,
                                         time_point now = time_point{},
                                         uint64_t seed = 0);

/// A canonical text that parses back to `trig` (given the same seed, at any
/// `now`): "once 1795680000000000000", "every 5s jitter 1s from <ns> until
/// <ns> times 3", "cron */5 * * * *", "cron TZ=Europe/Berlin 0 9 * * 1-5
/// jitter 5m" (a cron expression as it was written).
std::string to_spec(const trigger& trig);

/// Parses a misfire spec; an empty text is "coalesce". Never throws.
parse_result<misfire_policy> parse_misfire_spec(std::string_view text);

/// A canonical text that parses back to the rule and grace of `policy`:
/// "coalesce", "run-all grace 1s", "skip".
std::string to_spec(const misfire_policy& policy);

/// Parses a time: nanoseconds since the epoch or ISO 8601 UTC
/// ("2026-11-26T08:00:00Z", "2026-11-26T08:00:00.5Z").
parse_result<time_point> parse_time_spec(std::string_view text);

} // namespace tc
