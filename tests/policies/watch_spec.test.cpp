#include "timecontrol/policies/watch_spec.hpp"

#include <boost/test/unit_test.hpp>

using namespace tc;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(watch_spec_text)

BOOST_AUTO_TEST_CASE(a_watch_is_written_with_its_lead_and_how_failures_count) {
  BOOST_TEST(watch_spec({"poll", 10s, 5s}) ==
             "watch every=10000000000 grace=5000000000 fail=down poll");
  BOOST_TEST(watch_spec({"poll", 10s, 5s, 300ms}) ==
             "watch every=10000000000 grace=5000000000 lead=300000000 "
             "fail=down poll");
  BOOST_TEST(watch_spec({"poll", 10s, 5s, 0s, true}) ==
             "watch every=10000000000 grace=5000000000 fail=call poll");
}

BOOST_AUTO_TEST_CASE(a_spec_reads_back_as_the_watch_it_was_written_from) {
  for (auto x : {watch{"poll", 10s, 5s}, watch{"poll ticker", 1s, 0s, 450ms},
                 watch{"lead=3", 1s, 0s, 0s}, watch{"lead=3 x", 1s, 0s, 1ns},
                 watch{"p", 1s, 0s, 1ns, true}, watch{"fail=down x", 1s, 0s},
                 watch{"fail=call", 1s, 0s, 0s, true}}) {
    watch y;
    BOOST_TEST_CONTEXT(watch_spec(x)) {
      BOOST_REQUIRE(parse_watch_spec(watch_spec(x), y));
      BOOST_TEST((y == x));
    }
  }
}

BOOST_AUTO_TEST_CASE(an_old_spec_reads_as_lead_zero_counting_failures) {
  watch y;
  BOOST_REQUIRE(parse_watch_spec("watch every=7 grace=2 report", y));
  BOOST_TEST((y == watch{"report", 7ns, 2ns, 0ns, true}));
  BOOST_REQUIRE(parse_watch_spec("watch every=7 grace=2 lead=1 report", y));
  BOOST_TEST((y == watch{"report", 7ns, 2ns, 1ns, true}));
  // A command named like a lead, recorded without one.
  BOOST_REQUIRE(parse_watch_spec("watch every=7 grace=2 lead=x", y));
  BOOST_TEST(y.command == "lead=x");
  BOOST_TEST(y.lead.count() == 0);
}

BOOST_AUTO_TEST_CASE(a_cron_watch_is_written_with_its_expression_in_quotes) {
  auto x = watch{"backup", 0s, 10min, 0s, false, "TZ=Europe/Berlin 30 2 * * *"};
  BOOST_TEST(watch_spec(x) ==
             "watch cron=\"TZ=Europe/Berlin 30 2 * * *\" grace=600000000000 "
             "fail=down backup");
  for (auto y : {x, watch{"a b", 0s, 1s, 0s, true, "@daily"},
                 watch{"lead=3 x", 0s, 0s, 1ns, false, "*/5  *\t* * *"},
                 watch{"fail=down", 0s, 0s, 0s, true, "0 0 L * *"}}) {
    watch z;
    BOOST_TEST_CONTEXT(watch_spec(y)) {
      BOOST_REQUIRE(parse_watch_spec(watch_spec(y), z));
      BOOST_TEST((z == y));
    }
  }
}

BOOST_AUTO_TEST_CASE(a_period_spec_reads_as_a_period_watch_as_before) {
  watch y;
  BOOST_REQUIRE(parse_watch_spec(
      "watch every=10000000000 grace=5000000000 fail=down poll", y));
  BOOST_TEST((y == watch{"poll", 10s, 5s}));
  BOOST_TEST(y.cron.empty());
  // A command whose name looks like a cron part is a command.
  BOOST_REQUIRE(parse_watch_spec("watch every=7 grace=2 cron=\"x\"", y));
  BOOST_TEST(y.command == "cron=\"x\"");
  BOOST_TEST(y.cron.empty());
}

BOOST_AUTO_TEST_CASE(a_cron_spec_without_its_closing_quote_does_not_parse) {
  watch y{"keep", 1s, 1s, 1s};
  for (auto spec :
       {"watch cron=", "watch cron=\"", "watch cron=\"\" grace=1 a",
        "watch cron=\"* * * * * grace=1 fail=down a",
        "watch cron=\"* * * * *\" a", "watch cron=\"* * * * *\"grace=1 a",
        "watch cron=\"* * * * *\" grace=1 ", "watch cron=* * * * * grace=1 a"})
    BOOST_TEST(!parse_watch_spec(spec, y), spec);
  BOOST_TEST((y == watch{"keep", 1s, 1s, 1s}));
}

BOOST_AUTO_TEST_CASE(anything_else_does_not_parse) {
  watch y{"keep", 1s, 1s, 1s};
  for (auto spec :
       {"", "watch", "watch every=1 grace=2", "watch every=1 grace=2 ",
        "watch every=x grace=2 a", "unwatch a", "5/s"})
    BOOST_TEST(!parse_watch_spec(spec, y), spec);
  BOOST_TEST((y == watch{"keep", 1s, 1s, 1s}));
  BOOST_TEST(parse_unwatch_spec("unwatch a b") == "a b");
  BOOST_TEST(parse_unwatch_spec("unwatch ").empty());
  BOOST_TEST(parse_unwatch_spec("watch every=1 grace=2 a").empty());
  BOOST_TEST(parse_pause_spec("pause a b") == "a b");
  BOOST_TEST(parse_pause_spec("pause ").empty());
  BOOST_TEST(parse_pause_spec("unwatch a").empty());
  BOOST_TEST(parse_resume_spec("resume a") == "a");
  BOOST_TEST(parse_resume_spec("pause a").empty());
}

BOOST_AUTO_TEST_SUITE_END()
