#include <boost/test/unit_test.hpp>

#include "timecontrol/policies/trigger.hpp"

#include <algorithm>
#include <optional>
#include <random>
#include <string>
#include <vector>

using namespace tc;
using namespace std::chrono_literals;

namespace {

time_point at(int64_t n) {
  return from_nanos(n);
}

every_trigger every(duration period, time_point start,
                    std::optional<time_point> end = std::nullopt,
                    std::optional<uint64_t> max_count = std::nullopt,
                    duration jitter = 0ns, uint64_t seed = 0) {
  auto r = every_trigger::make(period, start, end, max_count, jitter, seed);
  BOOST_REQUIRE(r.ok());
  return r.value();
}

} // namespace

BOOST_AUTO_TEST_SUITE(trigger_tests)

// -- once ---------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_once_trigger_fires_once_strictly_after) {
  once_trigger t{at(100)};
  BOOST_TEST((*t.next_after(at(0)) == at(100)));
  BOOST_TEST((*t.next_after(at(99)) == at(100)));
  BOOST_TEST(!t.next_after(at(100)).has_value());
  BOOST_TEST(!t.next_after(at(500)).has_value());
}

// -- every --------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(an_every_trigger_fires_at_start_and_each_period) {
  auto t = every(10ns, at(5));
  BOOST_TEST((*t.next_after(at(0)) == at(5)));
  BOOST_TEST((*t.next_after(at(5)) == at(15)));
  BOOST_TEST((*t.next_after(at(14)) == at(15)));
  BOOST_TEST((*t.next_after(at(15)) == at(25)));
}

BOOST_AUTO_TEST_CASE(an_every_trigger_stops_at_its_end_inclusive) {
  auto t = every(10ns, at(0), at(30));
  BOOST_TEST((*t.next_after(at(29)) == at(30)));
  BOOST_TEST(!t.next_after(at(30)).has_value());
}

BOOST_AUTO_TEST_CASE(an_every_trigger_stops_after_max_count_fires) {
  auto t = every(10ns, at(0), std::nullopt, 3);
  BOOST_TEST((*t.next_after(at(15)) == at(20)));
  BOOST_TEST(!t.next_after(at(20)).has_value());
  BOOST_TEST(!t.fire_time(3).has_value());
}

BOOST_AUTO_TEST_CASE(jitter_is_seeded_and_within_bounds) {
  auto a = every(1000ns, at(0), std::nullopt, std::nullopt, 300ns, 42);
  auto b = every(1000ns, at(0), std::nullopt, std::nullopt, 300ns, 42);
  auto c = every(1000ns, at(0), std::nullopt, std::nullopt, 300ns, 43);
  bool differs = false;
  for (uint64_t k = 0; k < 1000; ++k) {
    auto fa = *a.fire_time(k);
    BOOST_REQUIRE((fa == *b.fire_time(k)));
    auto j = fa - at(static_cast<int64_t>(k) * 1000);
    BOOST_REQUIRE(j >= 0ns);
    BOOST_REQUIRE(j <= 300ns);
    differs = differs || fa != *c.fire_time(k);
  }
  BOOST_TEST(differs);
}

BOOST_AUTO_TEST_CASE(
    jitter_of_a_fire_does_not_depend_on_what_was_asked_before) {
  auto t = every(100ns, at(0), std::nullopt, std::nullopt, 50ns, 7);
  auto late_first = t.next_after(at(5000));
  for (int64_t x = 0; x < 5000; x += 37)
    t.next_after(at(x));
  BOOST_TEST((t.next_after(at(5000)) == late_first));
}

BOOST_AUTO_TEST_CASE(bad_every_configurations_are_rejected_with_a_reason) {
  BOOST_TEST(every_trigger::make(0ns, at(0)).error().message.find("period") ==
             0u);
  BOOST_TEST(every_trigger::make(-5ns, at(0)).error().message.find("period") ==
             0u);
  BOOST_TEST(every_trigger::make(10ns, at(0), std::nullopt, std::nullopt, 10ns)
                 .error()
                 .message.find("jitter") == 0u);
  BOOST_TEST(
      every_trigger::make(10ns, at(5), at(4)).error().message.find("end") ==
      0u);
  BOOST_TEST(every_trigger::make(10ns, at(5), std::nullopt, 0)
                 .error()
                 .message.find("max_count") == 0u);
}

BOOST_AUTO_TEST_CASE(an_every_trigger_near_the_end_of_time_does_not_overflow) {
  auto t = every(duration::max(), at(INT64_MIN));
  BOOST_TEST((*t.next_after(at(INT64_MIN)) == at(INT64_MIN + INT64_MAX)));
  BOOST_TEST(!t.next_after(at(INT64_MAX)).has_value());
  auto u = every(1ns, at(0));
  BOOST_TEST(!u.next_after(at(INT64_MAX)).has_value());
}

BOOST_AUTO_TEST_CASE(next_after_matches_a_brute_force_enumeration) {
  std::mt19937_64 rng{1234};
  for (int round = 0; round < 200; ++round) {
    auto period = duration{1 + static_cast<int64_t>(rng() % 20)};
    auto jitter = duration{static_cast<int64_t>(rng() % period.count())};
    auto start = at(static_cast<int64_t>(rng() % 50) - 25);
    std::optional<time_point> end;
    if (rng() % 2)
      end = start + duration{static_cast<int64_t>(rng() % 200)};
    std::optional<uint64_t> max_count;
    if (rng() % 2)
      max_count = 1 + rng() % 15;
    auto t = every(period, start, end, max_count, jitter, rng());
    std::vector<time_point> fires;
    for (uint64_t k = 0; k < 400; ++k)
      if (auto f = t.fire_time(k))
        fires.push_back(*f);
    for (size_t k = 1; k < fires.size(); ++k)
      BOOST_REQUIRE(fires[k - 1] < fires[k]);
    for (int64_t x = -40; x < 300; ++x) {
      std::optional<time_point> expect;
      for (auto f : fires)
        if (f > at(x)) {
          expect = f;
          break;
        }
      BOOST_REQUIRE((t.next_after(at(x)) == expect));
    }
  }
}

// -- the variant --------------------------------------------------------------

BOOST_AUTO_TEST_CASE(next_fire_after_dispatches_on_the_trigger_kind) {
  std::vector<trigger> ts;
  ts.emplace_back(once_trigger{at(100)});
  ts.emplace_back(every(10ns, at(0)));
  ts.emplace_back(cron_schedule::parse("* * * * *").value());
  BOOST_TEST((*next_fire_after(ts[0], at(0)) == at(100)));
  BOOST_TEST((*next_fire_after(ts[1], at(0)) == at(10)));
  BOOST_TEST((*next_fire_after(ts[2], at(0)) == at(60'000'000'000)));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(trigger_every)

BOOST_AUTO_TEST_CASE(an_every_trigger_without_start_aligns_to_the_epoch) {
  auto t = every_trigger::make(std::chrono::minutes{5}).value();
  BOOST_TEST((*t.next_after(at(301'000'000'000)) == at(600'000'000'000)));
}

BOOST_AUTO_TEST_SUITE_END()

// -- cron jitter (issue 12, item 15) ------------------------------------------

BOOST_AUTO_TEST_SUITE(cron_trigger_jitter)

namespace {

uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// The fire of nominal time f as trigger.hpp states it, with the next nominal
// fire n: f + splitmix64(seed ^ splitmix64(f)) % (min(J, n - f - 1ns) + 1).
int64_t stated_fire(int64_t f, std::optional<int64_t> n, int64_t jitter,
                    uint64_t seed) {
  auto cap = jitter;
  if (n)
    cap = std::min(cap, *n - f - 1);
  if (cap <= 0)
    return f;
  auto h = mix(seed ^ mix(static_cast<uint64_t>(f)));
  return f + static_cast<int64_t>(h % static_cast<uint64_t>(cap + 1));
}

// The first stated fire after t, from every nominal fire from t - jitter to
// eight days after t.
std::optional<int64_t> brute_next(const cron_schedule& c, int64_t t,
                                  int64_t jitter, uint64_t seed) {
  std::vector<int64_t> nominal;
  auto f = c.next_after(from_nanos(t - jitter - 1));
  for (; f && to_nanos(*f) <= t + 8 * 86'400'000'000'000; f = c.next_after(*f))
    nominal.push_back(to_nanos(*f));
  for (size_t i = 0; i < nominal.size(); ++i) {
    std::optional<int64_t> n;
    if (i + 1 < nominal.size())
      n = nominal[i + 1];
    else if (auto x = c.next_after(from_nanos(nominal[i])))
      n = to_nanos(*x);
    auto fire = stated_fire(nominal[i], n, jitter, seed);
    if (fire > t)
      return fire;
  }
  return std::nullopt;
}

} // namespace

BOOST_AUTO_TEST_CASE(jittered_cron_fires_as_stated_and_in_order) {
  struct cfg {
    const char* text;
    duration jitter;
  };
  const cfg cfgs[] = {
      {"0 9 * * 1-5", 10min},
      {"*/5 * * * *", 90s},
      {"*/5 * * * *", 10min}, // longer than the gap: cut to it
      {"* * * * *", 24h},     // many fires within one jitter
      {"0,1 * * * *", 30min}, // gaps of 1 and 59 minutes
      {"TZ=Europe/Berlin 30 2 * * *", 1h},
  };
  std::mt19937_64 rng{15};
  for (auto& x : cfgs) {
    auto c = cron_schedule::parse(x.text).value();
    auto seed = rng();
    auto t = cron_trigger::make(c, x.jitter, seed).value();
    BOOST_TEST_CONTEXT(x.text << " jitter " << x.jitter.count()) {
      // From random times, against the stated formula.
      for (int i = 0; i < 40; ++i) {
        auto at_ns = 1'711'000'000'000'000'000 +
                     static_cast<int64_t>(rng() % 40'000'000'000'000'000);
        auto got = t.next_after(from_nanos(at_ns));
        auto want = brute_next(c, at_ns, x.jitter.count(), seed);
        BOOST_REQUIRE(got.has_value() && want.has_value());
        BOOST_REQUIRE_EQUAL(to_nanos(*got), *want);
      }
      // A chain of fires: strictly increasing, each in [f, next f) for
      // consecutive nominal fires f (the first may come from a nominal fire
      // before `from`).
      auto prev = from_nanos(1'711'800'000'000'000'000); // March 2024
      auto first = t.next_after(prev);
      BOOST_REQUIRE(first.has_value());
      auto nominal = c.next_after(*first - x.jitter - 1ns);
      while (*c.next_after(*nominal) <= *first)
        nominal = c.next_after(*nominal);
      for (int i = 0; i < 200; ++i) {
        auto f = t.next_after(prev);
        BOOST_REQUIRE(f.has_value());
        BOOST_REQUIRE(*f > prev);
        auto next_nominal = c.next_after(*nominal);
        BOOST_REQUIRE(*f >= *nominal);
        BOOST_REQUIRE(*f - *nominal <= x.jitter);
        BOOST_REQUIRE(*f < *next_nominal);
        prev = *f;
        nominal = next_nominal;
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(the_seed_decides_the_jitter_and_zero_jitter_is_the_cron) {
  auto c = cron_schedule::parse("0 9 * * *").value();
  auto a = cron_trigger::make(c, 30min, 1).value();
  auto b = cron_trigger::make(c, 30min, 2).value();
  auto t = from_nanos(1'711'000'000'000'000'000);
  BOOST_TEST((*a.next_after(t) ==
              *cron_trigger::make(c, 30min, 1).value().next_after(t)));
  BOOST_TEST((*a.next_after(t) != *b.next_after(t)));
  BOOST_TEST((*cron_trigger{c}.next_after(t) == *c.next_after(t)));
  BOOST_TEST(!cron_trigger::make(c, -1ns).ok());
}

BOOST_AUTO_TEST_SUITE_END()
