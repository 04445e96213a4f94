#include "timecontrol/tools/whatif_simulation.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <vector>

#include "timecontrol/policies/spec.hpp"

using namespace tc;
using namespace std::chrono_literals;

namespace {

limiter_spec spec(std::string_view text) {
  auto r = parse_limiter_spec(text);
  BOOST_REQUIRE(r.ok());
  return r.value();
}

// `n` calls, one every `every`, from 2026-01-01.
std::vector<time_point> calls(int64_t n, duration every) {
  std::vector<time_point> at;
  auto t0 = from_nanos(1'767'225'600'000'000'000);
  for (int64_t i = 0; i < n; ++i)
    at.push_back(t0 + i * every);
  return at;
}

} // namespace

BOOST_AUTO_TEST_SUITE(tools_whatif_simulation)

BOOST_AUTO_TEST_CASE(
    delays_past_64_bit_nanoseconds_in_all_give_the_exact_mean) {
  // 150 000 calls at 100/s against 1/s: call i waits i * 0.99 s (the first
  // takes the one token), 1.1e19 ns in all: the 64-bit sum wrapped and the
  // mean came out as -13.54h.
  auto r = tool::simulate(spec("1/s"), calls(150'000, 10ms));
  BOOST_TEST(r.calls == 150'000u);
  BOOST_TEST(r.wait_at_once == 1u);
  BOOST_TEST(r.delayed == 149'999u);
  BOOST_TEST(r.max_delay == 149'999 * 990ms);
  // The delays are 0.99 s, 1.98 s, ... 149 999 * 0.99 s: their mean is
  // 150 000 * 0.99 s / 2 exactly.
  BOOST_TEST(r.mean_delay() == 75'000 * 990ms);
  BOOST_TEST((r.total_delay.nanos() > INT64_MAX));
  BOOST_TEST(!r.past_end_of_time);
  BOOST_TEST(r.reject_admitted + r.rejected == 150'000u);
}

BOOST_AUTO_TEST_CASE(a_hundred_days_apart_for_decades_stays_positive) {
  // 47 calls within 2 s against one call per 100 days: the 46 delays add up
  // to 108 100 days, past the 106 751 that 64 bits hold (was: mean -293.6d).
  auto r = tool::simulate(spec("1/100d"), calls(47, 40ms));
  BOOST_TEST(r.delayed == 46u);
  BOOST_TEST(r.max_delay == 46 * 2400h - 46 * 40ms);
  BOOST_TEST(r.mean_delay() == 47 * 1200h - 47 * 20ms);
  BOOST_TEST(r.mean_delay() > 0ns);
}

BOOST_AUTO_TEST_CASE(calls_pushed_past_2262_are_counted_up_to_it) {
  // One call per 100 years: the tenth would run after the year 2262.
  auto r = tool::simulate(spec("1/36500d"), calls(10, 1s));
  BOOST_TEST(r.past_end_of_time);
  BOOST_TEST(r.delayed == 9u);
  BOOST_TEST(r.max_delay > 0ns);
  BOOST_TEST(r.mean_delay() > 0ns);
  BOOST_TEST(r.mean_delay() <= r.max_delay);
}

BOOST_AUTO_TEST_CASE(weighted_calls_take_their_cost_as_the_command_does) {
  // Against 10/s burst 10, three calls of cost 5 at t: two at once, the
  // third 0.5 s later (x/time/rate's WaitN); in reject semantics it is
  // rejected. A call of cost 11 could never run.
  auto t0 = from_nanos(1'767'225'600'000'000'000);
  std::vector<tool::requested_call> at = {
      {t0, 5, {}}, {t0, 5, {}}, {t0, 5, {}}, {t0 + 10s, 11, {}}};
  auto r = tool::simulate(spec("10/s burst 10"), at);
  BOOST_TEST(r.calls == 4u);
  BOOST_TEST(r.wait_at_once == 2u);
  BOOST_TEST(r.delayed == 1u);
  BOOST_TEST((r.max_delay == 500ms));
  BOOST_TEST(r.reject_admitted == 2u);
  BOOST_TEST(r.rejected == 2u);
  BOOST_TEST(r.too_costly == 1u);
  // Cost 1 each: the same as calls without a cost.
  auto plain = tool::simulate(spec("10/s burst 10"), calls(30, 10ms));
  std::vector<tool::requested_call> ones;
  for (auto t : calls(30, 10ms))
    ones.push_back({t, 1, {}});
  auto weighed = tool::simulate(spec("10/s burst 10"), ones);
  BOOST_TEST(weighed.delayed == plain.delayed);
  BOOST_TEST(weighed.rejected == plain.rejected);
  BOOST_TEST(weighed.delayed > 0u);
}

BOOST_AUTO_TEST_CASE(calls_of_keys_are_simulated_against_each_keys_limiter) {
  // Against 1/s burst 1: alice calls twice at t, bob once. Per key, only
  // alice's second call waits (1 s) or is rejected; bob is not behind her.
  auto t0 = from_nanos(1'767'225'600'000'000'000);
  std::vector<tool::requested_call> at = {
      {t0, 1, "alice"}, {t0, 1, "alice"}, {t0, 1, "bob"}};
  auto r = tool::simulate(spec("1/s burst 1"), at);
  BOOST_TEST(r.calls == 3u);
  BOOST_TEST(r.wait_at_once == 2u);
  BOOST_TEST(r.delayed == 1u);
  BOOST_TEST((r.max_delay == 1s));
  BOOST_TEST(r.reject_admitted == 2u);
  BOOST_TEST(r.rejected == 1u);
  // The same calls without keys share one limiter: bob waits 2 s.
  for (auto& c : at)
    c.key.clear();
  auto one = tool::simulate(spec("1/s burst 1"), at);
  BOOST_TEST(one.delayed == 2u);
  BOOST_TEST((one.max_delay == 2s));
}

BOOST_AUTO_TEST_SUITE_END()
