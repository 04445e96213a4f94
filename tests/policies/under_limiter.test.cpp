#include <boost/test/unit_test.hpp>

#include "timecontrol/policies/under_limiter.hpp"

#include "timecontrol/policies/deadline.hpp"

#include <random>

using namespace tc;
using namespace std::chrono_literals;

namespace {

time_point at_ms(int64_t ms) {
  return from_nanos(ms * 1'000'000);
}

under_limiter from_spec(std::string_view text) {
  auto spec = parse_limiter_spec(text);
  BOOST_REQUIRE(spec.ok());
  return make_under_limiter(spec.value(), at_ms(0));
}

} // namespace

BOOST_AUTO_TEST_SUITE(under_limiter_tests)

BOOST_AUTO_TEST_CASE(a_spec_builds_the_policy_it_names) {
  BOOST_TEST(std::holds_alternative<min_interval>(from_spec("min 200ms")));
  BOOST_TEST(std::holds_alternative<token_bucket>(from_spec("5/s burst 10")));
  BOOST_TEST(std::holds_alternative<sliding_window>(from_spec("20 per 10s")));
}

BOOST_AUTO_TEST_CASE(all_three_answer_in_the_same_shape) {
  auto mi = from_spec("min 200ms");
  auto tb = from_spec("1/200ms burst 1");
  auto sw = from_spec("1 per 200ms");
  // min_interval counts from its creation; the others start with a free slot.
  BOOST_TEST(!admit(mi, at_ms(100)).admitted);
  BOOST_TEST(admit(mi, at_ms(200)).admitted);
  BOOST_TEST(admit(tb, at_ms(200)).admitted);
  BOOST_TEST(admit(sw, at_ms(200)).admitted);
  for (auto* lim : {&mi, &tb, &sw}) {
    auto a = admit(*lim, at_ms(300));
    BOOST_TEST(!a.admitted);
    BOOST_TEST((a.earliest == at_ms(400)));
    BOOST_TEST((a.retry_after == 100ms));
    BOOST_TEST(admit(*lim, at_ms(400)).admitted);
  }
}

BOOST_AUTO_TEST_CASE(check_answers_like_admit_but_records_nothing) {
  std::mt19937_64 rng{4};
  for (auto text : {"min 50ms", "3/100ms burst 2", "4 per 100ms"}) {
    auto lim = from_spec(text);
    int64_t t = 0;
    for (int i = 0; i < 500; ++i) {
      t += static_cast<int64_t>(rng() % 60) - 10;
      auto c = check(lim, at_ms(t));
      BOOST_REQUIRE((admit(lim, at_ms(t)) == c));
    }
  }
}

BOOST_AUTO_TEST_CASE(a_limiter_survives_a_round_trip_through_bytes) {
  for (auto text : {"min 50ms", "3/100ms burst 2", "4 per 100ms"}) {
    auto lim = from_spec(text);
    admit(lim, at_ms(500));
    auto back = deserialize_under_limiter(serialize_under_limiter(lim));
    BOOST_REQUIRE(back.has_value());
    BOOST_TEST((*back == lim));
  }
  BOOST_TEST(!deserialize_under_limiter("").has_value());
  tc::deadline d{1s, 1s, at_ms(0)};
  BOOST_TEST(!deserialize_under_limiter(d.serialize()) // not an under-limiter
                  .has_value());
}

BOOST_AUTO_TEST_CASE(a_weighted_call_takes_its_weight_as_x_time_rate_wait_n) {
  // x/time/rate: NewLimiter(10, 10); AllowN(t, 5) twice, then the third
  // ReserveN(t, 5) is due 0.5 s later.
  auto lim = from_spec("10/s burst 10");
  BOOST_TEST(admit(lim, at_ms(0), 5).admitted);
  BOOST_TEST(admit(lim, at_ms(0), 5).admitted);
  auto third = admit(lim, at_ms(0), 5);
  BOOST_TEST(!third.admitted);
  BOOST_TEST((third.earliest == at_ms(500)));
  BOOST_TEST((check(lim, at_ms(500), 5) == admission{true, at_ms(500), 0ms}));
  // More than the burst never (WaitN's "exceeds limiter's burst").
  BOOST_TEST((check(lim, at_ms(10'000), 11).earliest == never));
}

BOOST_AUTO_TEST_CASE(capacity_is_the_most_one_call_can_cost) {
  BOOST_TEST(capacity(from_spec("10/s burst 10")) == 10u);
  BOOST_TEST(capacity(from_spec("5/s")) == 5u);
  BOOST_TEST(capacity(from_spec("4 per 100ms")) == 4u);
  BOOST_TEST(capacity(from_spec("min 50ms")) == 1u);
  auto lim = from_spec("min 50ms");
  BOOST_TEST(admit(lim, at_ms(100), 1).admitted);
  BOOST_TEST((admit(lim, at_ms(200), 2).earliest == never));
  BOOST_TEST(admit(lim, at_ms(200), 1).admitted);
}

BOOST_AUTO_TEST_SUITE_END()
