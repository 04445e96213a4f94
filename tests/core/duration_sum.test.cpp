#include "timecontrol/core/duration_sum.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <limits>

using namespace std::chrono_literals;
using tc::duration;
using tc::duration_sum;
using tc::from_nanos;

BOOST_AUTO_TEST_SUITE(core_duration_sum)

constexpr auto max_ns = std::numeric_limits<int64_t>::max();
constexpr auto min_ns = std::numeric_limits<int64_t>::min();

BOOST_AUTO_TEST_CASE(a_sum_past_64_bits_is_exact_and_so_is_its_mean) {
  // 150 000 calls at 100/s against 1/s wait 0, 0.99 s, 1.98 s, ...: the
  // delays add up to about 1.1e19 ns, past 2^63.
  duration_sum total;
  duration_sum::value_type expected = 0;
  for (int64_t i = 0; i < 150'000; ++i) {
    duration delay = i * 990ms;
    total += delay;
    expected += delay.count();
  }
  BOOST_TEST((total.nanos() == expected));
  BOOST_TEST((total.nanos() > max_ns));
  BOOST_TEST(total.clamped() == duration::max());
  BOOST_TEST(total.mean(150'000) == 149'999 * 990ms / 2);
  BOOST_TEST(total.seconds() > 1.1e10L);
}

BOOST_AUTO_TEST_CASE(the_extremes_add_up_without_wrapping) {
  duration_sum total;
  for (int i = 0; i < 1000; ++i)
    total += duration::max();
  BOOST_TEST(total.mean(1000) == duration::max());
  duration_sum low;
  for (int i = 0; i < 1000; ++i)
    low += duration::min();
  BOOST_TEST(low.mean(1000) == duration::min());
  BOOST_TEST(low.clamped() == duration::min());
  total += low;
  BOOST_TEST(total.clamped() == -1000ns);
  BOOST_TEST(duration_sum{}.mean(0) == 0ns);
}

BOOST_AUTO_TEST_CASE(the_mean_truncates_towards_zero_as_integer_division) {
  duration_sum s;
  s += 5ns;
  s += 2ns;
  BOOST_TEST(s.mean(2) == 3ns);
  duration_sum n;
  n += -5ns;
  n += -2ns;
  BOOST_TEST(n.mean(2) == -3ns);
}

BOOST_AUTO_TEST_CASE(saturating_add_clamps_instead_of_wrapping) {
  BOOST_TEST(tc::saturating_add(duration::max(), 1ns) == duration::max());
  BOOST_TEST(tc::saturating_add(duration::min(), -1ns) == duration::min());
  BOOST_TEST(tc::saturating_add(duration::max(), duration::min()) == -1ns);
  BOOST_TEST(tc::saturating_add(2s, 3s) == 5s);
}

BOOST_AUTO_TEST_CASE(saturating_between_clamps_times_far_apart) {
  auto first = from_nanos(min_ns);
  auto last = from_nanos(max_ns);
  BOOST_TEST(tc::saturating_between(first, last) == duration::max());
  BOOST_TEST(tc::saturating_between(last, first) == duration::min());
  BOOST_TEST(tc::saturating_between(from_nanos(-5), from_nanos(7)) == 12ns);
  BOOST_TEST(tc::saturating_between(from_nanos(7), from_nanos(-5)) == -12ns);
}

BOOST_AUTO_TEST_CASE(a_time_moved_past_the_ends_of_time_stops_there) {
  auto t = from_nanos(-5);
  BOOST_TEST((tc::saturating_sub(t, duration::max()) == tc::time_point::min()));
  BOOST_TEST((tc::saturating_sub(t, 5ns) == from_nanos(-10)));
  BOOST_TEST((tc::saturating_add(from_nanos(5), duration::max()) ==
              tc::time_point::max()));
  BOOST_TEST((tc::saturating_add(t, duration::min()) == tc::time_point::min()));
  BOOST_TEST((tc::saturating_sub(from_nanos(5), duration::min()) ==
              tc::time_point::max()));
}

BOOST_AUTO_TEST_SUITE_END()
