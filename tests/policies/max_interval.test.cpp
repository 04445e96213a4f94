#include <boost/test/unit_test.hpp>

#include "timecontrol/policies/max_interval.hpp"

#include <random>
#include <string>

using namespace tc;

namespace {

time_point at(int64_t n) {
  return from_nanos(n);
}

constexpr duration p5{5};

} // namespace

BOOST_AUTO_TEST_SUITE(max_interval_tests)

// -- acceptance cases (P = 5, last starts at 0) -------------------------------

BOOST_AUTO_TEST_CASE(a_call_at_7_is_late_with_elapsed_7) {
  max_interval lim{p5};
  auto r = lim.call(at(7));
  BOOST_TEST(r.late);
  BOOST_TEST(r.elapsed.count() == 7);
  BOOST_TEST(r.expected.count() == 5);
}

BOOST_AUTO_TEST_CASE(a_call_at_3_is_fine) {
  max_interval lim{p5};
  BOOST_TEST(!lim.call(at(3)).late);
}

BOOST_AUTO_TEST_CASE(calls_at_7_then_14_are_both_late_with_elapsed_7) {
  max_interval lim{p5};
  auto a = lim.call(at(7));
  auto b = lim.call(at(14));
  BOOST_TEST(a.late);
  BOOST_TEST(a.elapsed.count() == 7);
  BOOST_TEST(b.late);
  BOOST_TEST(b.elapsed.count() == 7);
}

BOOST_AUTO_TEST_CASE(calls_at_3_then_4_are_fine) {
  max_interval lim{p5};
  BOOST_TEST(!lim.call(at(3)).late);
  BOOST_TEST(!lim.call(at(4)).late);
}

BOOST_AUTO_TEST_CASE(a_call_at_7_is_late_then_10_is_fine) {
  max_interval lim{p5};
  BOOST_TEST(lim.call(at(7)).late);
  BOOST_TEST(!lim.call(at(10)).late);
}

BOOST_AUTO_TEST_CASE(a_call_at_3_is_fine_then_10_is_late_with_elapsed_7) {
  max_interval lim{p5};
  BOOST_TEST(!lim.call(at(3)).late);
  auto r = lim.call(at(10));
  BOOST_TEST(r.late);
  BOOST_TEST(r.elapsed.count() == 7);
}

// -- boundaries ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_call_exactly_one_period_after_is_not_late) {
  max_interval lim{p5};
  BOOST_TEST(!lim.call(at(5)).late);
  BOOST_TEST(lim.call(at(11)).late);
}

BOOST_AUTO_TEST_CASE(late_from_is_one_nanosecond_after_the_period) {
  max_interval lim{p5};
  lim.call(at(3));
  BOOST_TEST((lim.late_from() == at(9)));
  BOOST_TEST(!lim.check(at(8)).late);
  BOOST_TEST(lim.check(at(9)).late);
}

BOOST_AUTO_TEST_CASE(a_call_before_last_is_not_late_and_does_not_move_last) {
  max_interval lim{p5, at(100)};
  auto r = lim.call(at(10));
  BOOST_TEST(!r.late);
  BOOST_TEST(r.elapsed.count() == 0);
  BOOST_TEST((lim.last() == at(100)));
}

BOOST_AUTO_TEST_CASE(a_huge_period_never_reports_late) {
  max_interval lim{duration::max()};
  BOOST_TEST(!lim.call(at(INT64_MAX)).late);
  BOOST_TEST((lim.late_from() == never));
}

// -- properties ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(call_matches_a_brute_force_reference) {
  std::mt19937_64 rng{11};
  for (int round = 0; round < 200; ++round) {
    auto period = 1 + static_cast<int64_t>(rng() % 20);
    max_interval lim{duration{period}};
    std::vector<int64_t> calls{0};
    int64_t t = 0;
    for (int i = 0; i < 100; ++i) {
      t += static_cast<int64_t>(rng() % 15) - 2;
      int64_t latest = 0;
      for (auto c : calls)
        latest = std::max(latest, c);
      auto elapsed = std::max<int64_t>(0, t - latest);
      auto r = lim.call(at(t));
      BOOST_REQUIRE_EQUAL(r.elapsed.count(), elapsed);
      BOOST_REQUIRE_EQUAL(r.late, elapsed > period);
      calls.push_back(t);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
