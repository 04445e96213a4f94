#include <boost/test/unit_test.hpp>

#include "tests/support/hex.hpp"

#include "timecontrol/policies/min_interval.hpp"

#include <random>
#include <string>
#include <vector>

using namespace tc;

namespace {

time_point at(int64_t n) {
  return from_nanos(n);
}

constexpr duration p5{5};

} // namespace

BOOST_AUTO_TEST_SUITE(min_interval_refusing)

// -- acceptance cases (P = 5, created at 0) -----------------------------------

BOOST_AUTO_TEST_CASE(a_call_at_7_passes) {
  min_interval lim{p5, at(0)};
  auto d = lim.admit(at(7));
  BOOST_TEST(d.admitted);
  BOOST_TEST(d.elapsed.count() == 7);
  BOOST_TEST(d.expected.count() == 5);
  BOOST_TEST(d.retry_after.count() == 0);
  BOOST_TEST((lim.last() == at(7)));
}

BOOST_AUTO_TEST_CASE(a_call_at_3_is_refused_with_elapsed_3_expected_5) {
  min_interval lim{p5, at(0)};
  auto d = lim.admit(at(3));
  BOOST_TEST(!d.admitted);
  BOOST_TEST(d.elapsed.count() == 3);
  BOOST_TEST(d.expected.count() == 5);
  BOOST_TEST((d.earliest == at(5)));
  BOOST_TEST(d.retry_after.count() == 2);
}

BOOST_AUTO_TEST_CASE(calls_at_7_then_14_pass) {
  min_interval lim{p5, at(0)};
  BOOST_TEST(lim.admit(at(7)).admitted);
  BOOST_TEST(lim.admit(at(14)).admitted);
}

BOOST_AUTO_TEST_CASE(calls_at_3_then_4_are_refused_with_elapsed_3_then_4) {
  min_interval lim{p5, at(0)};
  auto a = lim.admit(at(3));
  auto b = lim.admit(at(4));
  BOOST_TEST(!a.admitted);
  BOOST_TEST(a.elapsed.count() == 3);
  BOOST_TEST(!b.admitted);
  BOOST_TEST(b.elapsed.count() == 4);
}

BOOST_AUTO_TEST_CASE(a_call_at_7_passes_then_10_is_refused_with_elapsed_3) {
  min_interval lim{p5, at(0)};
  BOOST_TEST(lim.admit(at(7)).admitted);
  auto d = lim.admit(at(10));
  BOOST_TEST(!d.admitted);
  BOOST_TEST(d.elapsed.count() == 3);
  BOOST_TEST((d.earliest == at(12)));
}

BOOST_AUTO_TEST_CASE(a_call_at_3_is_refused_then_10_passes) {
  min_interval lim{p5, at(0)};
  BOOST_TEST(!lim.admit(at(3)).admitted);
  BOOST_TEST(lim.admit(at(10)).admitted);
}

// -- boundaries ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_call_exactly_one_period_after_the_last_passes) {
  min_interval lim{p5, at(0)};
  BOOST_TEST(lim.admit(at(5)).admitted);
  BOOST_TEST(!lim.admit(at(9)).admitted);
  BOOST_TEST(lim.admit(at(10)).admitted);
}

BOOST_AUTO_TEST_CASE(a_call_inside_the_minimum_interval_is_refused) {
  min_interval lim{std::chrono::milliseconds{200}, at(0)};
  BOOST_TEST(!lim.admit(at(199'999'999)).admitted);
  BOOST_TEST(lim.admit(at(200'000'000)).admitted);
}

BOOST_AUTO_TEST_CASE(a_refused_call_does_not_move_last) {
  min_interval lim{p5, at(0)};
  lim.admit(at(4));
  BOOST_TEST((lim.last() == at(0)));
}

BOOST_AUTO_TEST_CASE(operations_sharing_one_limiter_share_one_last_call) {
  min_interval shared{p5, at(0)};
  auto& for_orders = shared;
  auto& for_quotes = shared;
  BOOST_TEST(for_orders.admit(at(7)).admitted);
  auto d = for_quotes.admit(at(10));
  BOOST_TEST(!d.admitted);
  BOOST_TEST(d.elapsed.count() == 3);
}

BOOST_AUTO_TEST_CASE(check_changes_nothing) {
  min_interval lim{p5, at(0)};
  BOOST_TEST(lim.check(at(7)).admitted);
  BOOST_TEST((lim.last() == at(0)));
}

BOOST_AUTO_TEST_CASE(a_call_before_last_is_refused_with_elapsed_zero) {
  min_interval lim{p5, at(100)};
  auto d = lim.admit(at(40));
  BOOST_TEST(!d.admitted);
  BOOST_TEST(d.elapsed.count() == 0);
  BOOST_TEST((d.earliest == at(105)));
  BOOST_TEST(d.retry_after.count() == 65);
  BOOST_TEST((lim.last() == at(100)));
}

BOOST_AUTO_TEST_CASE(a_zero_period_admits_every_call_even_backwards) {
  min_interval lim{duration{0}, at(100)};
  BOOST_TEST(lim.admit(at(100)).admitted);
  BOOST_TEST(lim.admit(at(50)).admitted);
  BOOST_TEST((lim.last() == at(100)));
}

BOOST_AUTO_TEST_CASE(a_huge_period_does_not_overflow) {
  min_interval lim{duration::max(), at(10)};
  auto d = lim.admit(at(20));
  BOOST_TEST(!d.admitted);
  BOOST_TEST((d.earliest == never));
  BOOST_TEST((d.retry_after == duration::max()));
}

BOOST_AUTO_TEST_CASE(the_earliest_time_reported_is_admitted) {
  min_interval lim{p5, at(0)};
  auto d = lim.admit(at(2));
  BOOST_TEST(lim.admit(d.earliest).admitted);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(min_interval_waiting)

// -- acceptance cases (P = 5, created at 0) -----------------------------------

BOOST_AUTO_TEST_CASE(a_request_at_7_waits_0) {
  min_interval lim{p5, at(0)};
  BOOST_TEST(lim.reserve(at(7)).count() == 0);
}

BOOST_AUTO_TEST_CASE(a_request_at_3_waits_2) {
  min_interval lim{p5, at(0)};
  BOOST_TEST(lim.reserve(at(3)).count() == 2);
  BOOST_TEST((lim.last() == at(5)));
}

BOOST_AUTO_TEST_CASE(requests_at_3_then_4_wait_2_then_6) {
  min_interval lim{p5, at(0)};
  BOOST_TEST(lim.reserve(at(3)).count() == 2);
  BOOST_TEST(lim.reserve(at(4)).count() == 6);
  BOOST_TEST((lim.last() == at(10)));
}

BOOST_AUTO_TEST_CASE(requests_at_7_10_16_19_wait_0_2_1_3) {
  min_interval lim{p5, at(0)};
  BOOST_TEST(lim.reserve(at(7)).count() == 0);
  BOOST_TEST(lim.reserve(at(10)).count() == 2);
  BOOST_TEST(lim.reserve(at(16)).count() == 1);
  BOOST_TEST(lim.reserve(at(19)).count() == 3);
}

// -- boundaries ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_request_exactly_one_period_after_waits_0) {
  min_interval lim{p5, at(0)};
  BOOST_TEST(lim.reserve(at(5)).count() == 0);
}

BOOST_AUTO_TEST_CASE(a_request_before_last_waits_until_last_plus_period) {
  min_interval lim{p5, at(100)};
  BOOST_TEST(lim.reserve(at(90)).count() == 15);
  BOOST_TEST((lim.last() == at(105)));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(min_interval_properties)

// Reference: the admitted calls, checked against every earlier admitted call.
BOOST_AUTO_TEST_CASE(admit_matches_a_brute_force_reference) {
  std::mt19937_64 rng{42};
  for (int round = 0; round < 200; ++round) {
    auto period = duration{1 + static_cast<int64_t>(rng() % 20)};
    min_interval lim{period, at(0)};
    std::vector<int64_t> admitted{0}; // t0 acts as a call
    int64_t t = 0;
    for (int i = 0; i < 100; ++i) {
      t += static_cast<int64_t>(rng() % 12) - 2; // sometimes backwards
      // Brute force: admitted iff at least one period after every admitted
      // call (including t0).
      bool expect = true;
      int64_t latest = 0;
      for (auto a : admitted) {
        expect = expect && t - a >= period.count();
        latest = std::max(latest, a);
      }
      auto d = lim.admit(at(t));
      BOOST_REQUIRE_EQUAL(d.admitted, expect);
      if (expect) {
        admitted.push_back(t);
      } else {
        BOOST_REQUIRE(d.earliest == at(latest + period.count()));
        BOOST_REQUIRE(d.retry_after >= duration{0});
      }
      // Invariant: admitted calls are at least one period apart.
      for (size_t k = 1; k < admitted.size(); ++k)
        BOOST_REQUIRE(admitted[k] - admitted[k - 1] >= period.count());
    }
  }
}

BOOST_AUTO_TEST_CASE(reserve_matches_a_brute_force_reference) {
  std::mt19937_64 rng{7};
  for (int round = 0; round < 200; ++round) {
    auto period = 1 + static_cast<int64_t>(rng() % 20);
    min_interval lim{duration{period}, at(0)};
    std::vector<int64_t> runs{0};
    int64_t t = 0;
    for (int i = 0; i < 100; ++i) {
      t += static_cast<int64_t>(rng() % 12) - 2;
      // Brute force: the first instant >= t that is at least one period
      // after every booked run.
      int64_t run = t;
      for (bool moved = true; moved;) {
        moved = false;
        for (auto r : runs)
          if (run < r + period) {
            run = r + period;
            moved = true;
          }
      }
      BOOST_REQUIRE_EQUAL(lim.reserve(at(t)).count(), run - t);
      runs.push_back(run);
    }
  }
}

BOOST_AUTO_TEST_CASE(replaying_the_same_calls_gives_the_same_decisions) {
  std::mt19937_64 rng{3};
  std::vector<int64_t> calls;
  int64_t t = 0;
  for (int i = 0; i < 500; ++i)
    calls.push_back(t += static_cast<int64_t>(rng() % 9) - 1);
  min_interval a{p5, at(0)};
  min_interval b{p5, at(0)};
  for (auto c : calls)
    BOOST_REQUIRE(a.admit(at(c)) == b.admit(at(c)));
  BOOST_TEST((a == b));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(min_interval_serialization)

BOOST_AUTO_TEST_CASE(a_state_survives_a_round_trip) {
  min_interval lim{p5, at(0)};
  lim.admit(at(123456789));
  auto bytes = lim.serialize();
  auto back = min_interval::deserialize(bytes);
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST((*back == lim));
  BOOST_TEST((back->admit(at(123456790)) == lim.admit(at(123456790))));
}

BOOST_AUTO_TEST_CASE(garbage_is_rejected) {
  auto bytes = min_interval{p5, at(0)}.serialize();
  BOOST_TEST(!min_interval::deserialize("").has_value());
  BOOST_TEST(!min_interval::deserialize(bytes.substr(0, 5)).has_value());
  BOOST_TEST(!min_interval::deserialize(bytes + "x").has_value());
  auto wrong_version = bytes;
  wrong_version[1] = 99;
  BOOST_TEST(!min_interval::deserialize(wrong_version).has_value());
  auto wrong_tag = bytes;
  wrong_tag[0] = 2;
  BOOST_TEST(!min_interval::deserialize(wrong_tag).has_value());
  for (size_t n = 0; n < bytes.size(); ++n)
    BOOST_TEST(!min_interval::deserialize(bytes.substr(0, n)).has_value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(min_interval_golden)

BOOST_AUTO_TEST_CASE(the_byte_format_is_pinned) {
  min_interval lim{duration{5}, from_nanos(0)};
  lim.admit(from_nanos(7));
  BOOST_TEST(test::to_hex(lim.serialize()) ==
             "010105000000000000000700000000000000");
}

BOOST_AUTO_TEST_SUITE_END()
