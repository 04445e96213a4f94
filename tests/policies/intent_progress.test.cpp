#include <boost/test/unit_test.hpp>

#include <random>

#include "timecontrol/policies/intent_progress.hpp"

#include "tests/support/print.hpp"

using namespace tc;
using namespace std::chrono_literals;

namespace {

time_point at(int64_t n) {
  return from_nanos(n);
}

trigger every10(std::optional<uint64_t> times = std::nullopt) {
  return every_trigger::make(10ns, at(0), std::nullopt, times).value();
}

} // namespace

BOOST_AUTO_TEST_SUITE(intent_progress_tests)

BOOST_AUTO_TEST_CASE(a_once_in_the_past_is_still_due_first) {
  trigger once{once_trigger{at(5)}};
  BOOST_TEST(first_due(once, at(100)).value() == at(5));
  BOOST_TEST(intent_progress{at(100)}.next(once).value() == at(5));
}

BOOST_AUTO_TEST_CASE(a_repeating_trigger_starts_at_or_after_its_scheduling) {
  BOOST_TEST(first_due(every10(), at(20)).value() == at(20));
  BOOST_TEST(first_due(every10(), at(21)).value() == at(30));
}

BOOST_AUTO_TEST_CASE(the_next_due_time_follows_the_latest_handled_one) {
  intent_progress p{at(0)};
  p.fired(at(10));
  p.fired(at(0)); // an older one changes nothing
  BOOST_TEST(p.next(every10()).value() == at(20));
  // Three missed from 20 on: 20, 30, 40.
  p.misfired(every10(), at(20), 3);
  BOOST_TEST(p.handled().value() == at(40));
  BOOST_TEST(p.next(every10()).value() == at(50));
}

BOOST_AUTO_TEST_CASE(a_missed_count_stops_where_the_trigger_ends) {
  BOOST_TEST(last_missed(every10(2), at(0), 5) == at(10));
  BOOST_TEST(last_missed(every10(), at(30), 0) == at(30));
}

BOOST_AUTO_TEST_CASE(a_missed_count_of_every_is_counted_not_walked) {
  // Four billion missed fires of a 1 ns trigger: the last one, at once.
  auto fast = trigger{every_trigger::make(1ns, at(0)).value()};
  BOOST_TEST(last_missed(fast, at(0), 4'000'000'000u) == at(3'999'999'999));
  // Against the walk, with jitter, an end and a count.
  std::mt19937_64 rng{20261207};
  auto pick = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>{lo, hi}(rng);
  };
  for (int round = 0; round < 5000; ++round) {
    auto period = pick(1, 30);
    std::optional<time_point> end;
    if (pick(0, 1) == 0)
      end = at(pick(0, 600));
    std::optional<uint64_t> count;
    if (pick(0, 1) == 0)
      count = static_cast<uint64_t>(pick(1, 40));
    auto made = every_trigger::make(duration{period}, at(0), end, count,
                                    duration{pick(0, period - 1)},
                                    static_cast<uint64_t>(round));
    BOOST_REQUIRE(made);
    trigger trig{*made};
    auto due =
        made->fire_time(static_cast<uint64_t>(pick(0, 10))).value_or(at(0));
    auto missed = static_cast<uint32_t>(pick(0, 60));
    auto walked = due;
    for (uint32_t n = 1; n < missed; ++n)
      if (auto next = next_fire_after(trig, walked))
        walked = *next;
    BOOST_TEST(last_missed(trig, due, missed) == walked, "round " << round);
  }
}

BOOST_AUTO_TEST_CASE(an_intent_that_ran_out_has_no_next_due_time) {
  trigger once{once_trigger{at(5)}};
  intent_progress p{at(0)};
  p.fired(at(5));
  BOOST_TEST(!p.next(once));
  intent_progress q{at(0)};
  q.fired(at(0));
  q.fired(at(10));
  BOOST_TEST(!q.next(every10(2)));
}

BOOST_AUTO_TEST_SUITE_END()
