#include <boost/test/unit_test.hpp>

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
