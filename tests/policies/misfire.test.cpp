#include <boost/test/unit_test.hpp>

#include "timecontrol/policies/misfire.hpp"

#include <random>

using namespace tc;
using namespace std::chrono_literals;

namespace {

time_point at(int64_t n) {
  return from_nanos(n);
}

trigger every10() {
  return every_trigger::make(10ns, at(0)).value();
}

misfire_policy rule(misfire_rule r, duration grace = 0ns) {
  misfire_policy p;
  p.rule = r;
  p.grace = grace;
  return p;
}

} // namespace

BOOST_AUTO_TEST_SUITE(misfire_tests)

BOOST_AUTO_TEST_CASE(a_fire_that_is_not_due_yet_runs_nothing) {
  auto out =
      resolve_misfires(every10(), at(50), at(40), rule(misfire_rule::run_all));
  BOOST_TEST(out.runs.empty());
  BOOST_TEST((*out.next == at(50)));
}

BOOST_AUTO_TEST_CASE(a_fire_exactly_on_time_runs) {
  auto out =
      resolve_misfires(every10(), at(50), at(50), rule(misfire_rule::skip));
  BOOST_TEST(out.runs.size() == 1u);
  BOOST_TEST(out.on_time == 1u);
  BOOST_TEST((*out.next == at(60)));
}

BOOST_AUTO_TEST_CASE(a_fire_exactly_at_the_end_of_grace_is_on_time) {
  auto out = resolve_misfires(every10(), at(50), at(53),
                              rule(misfire_rule::skip, 3ns));
  BOOST_TEST(out.on_time == 1u);
  BOOST_TEST(out.runs.size() == 1u);
  auto late = resolve_misfires(every10(), at(50), at(54),
                               rule(misfire_rule::skip, 3ns));
  BOOST_TEST(late.on_time == 0u);
  BOOST_TEST(late.missed == 1u);
  BOOST_TEST(late.runs.empty());
  BOOST_TEST(late.skipped == 1u);
}

BOOST_AUTO_TEST_CASE(run_once_coalesces_the_missed_fires_into_one_run) {
  // Fires at 10, 20, ..., 90 passed while nothing ran; now is 95.
  auto out =
      resolve_misfires(every10(), at(10), at(95), rule(misfire_rule::run_once));
  BOOST_TEST(out.missed == 9u);
  BOOST_REQUIRE(out.runs.size() == 1u);
  BOOST_TEST((out.runs[0] == at(90)));
  BOOST_TEST(out.skipped == 8u);
  BOOST_TEST((*out.next == at(100)));
}

BOOST_AUTO_TEST_CASE(run_once_with_an_on_time_fire_runs_only_that_one) {
  auto out = resolve_misfires(every10(), at(10), at(92),
                              rule(misfire_rule::run_once, 5ns));
  BOOST_TEST(out.on_time == 1u);
  BOOST_TEST(out.missed == 8u);
  BOOST_REQUIRE(out.runs.size() == 1u);
  BOOST_TEST((out.runs[0] == at(90)));
  BOOST_TEST(out.skipped == 8u);
}

BOOST_AUTO_TEST_CASE(run_all_runs_every_missed_fire_oldest_first) {
  auto out =
      resolve_misfires(every10(), at(10), at(45), rule(misfire_rule::run_all));
  BOOST_REQUIRE(out.runs.size() == 4u);
  BOOST_TEST((out.runs[0] == at(10)));
  BOOST_TEST((out.runs[3] == at(40)));
  BOOST_TEST(out.skipped == 0u);
  BOOST_TEST((*out.next == at(50)));
}

BOOST_AUTO_TEST_CASE(run_all_stops_at_max_runs_and_skips_the_rest) {
  auto p = rule(misfire_rule::run_all);
  p.max_runs = 3;
  auto out = resolve_misfires(every10(), at(10), at(95), p);
  BOOST_TEST(out.runs.size() == 3u);
  BOOST_TEST(out.skipped == 6u);
}

BOOST_AUTO_TEST_CASE(skip_runs_none_of_the_missed_fires) {
  auto out =
      resolve_misfires(every10(), at(10), at(95), rule(misfire_rule::skip));
  BOOST_TEST(out.runs.empty());
  BOOST_TEST(out.skipped == 9u);
  BOOST_TEST((*out.next == at(100)));
}

BOOST_AUTO_TEST_CASE(a_huge_every_backlog_is_counted_exactly_at_once) {
  // A billion missed fires (a 1 s intent stopped for 31 years): counted,
  // not walked, so max_scan does not cut it.
  auto p = rule(misfire_rule::run_once);
  p.max_scan = 1000;
  auto out = resolve_misfires(every_trigger::make(1ns, at(0)).value(), at(0),
                              at(1'000'000'000), p);
  BOOST_TEST(out.exact);
  BOOST_TEST(out.missed == 1'000'000'000u);
  BOOST_TEST(out.on_time == 1u); // the fire at now
  BOOST_TEST(out.runs.size() == 1u);
  BOOST_TEST((out.runs[0] == at(1'000'000'000)));
  BOOST_TEST(out.skipped == 1'000'000'000u);
  BOOST_TEST((*out.next == at(1'000'000'001)));
}

BOOST_AUTO_TEST_CASE(a_huge_cron_backlog_is_cut_at_max_scan) {
  auto hourly = cron_schedule::parse("0 * * * *").value();
  auto p = rule(misfire_rule::run_once);
  p.max_scan = 1000;
  auto hour = int64_t{3'600'000'000'000};
  auto out = resolve_misfires(trigger{hourly}, at(0), at(2000 * hour + 1), p);
  BOOST_TEST(!out.exact);
  BOOST_TEST(out.missed == 1000u);
  BOOST_TEST(out.runs.size() == 1u);
  BOOST_TEST((*out.next == at(2001 * hour)));
}

// The counted answer for every triggers against the walk over each fire
// time, on random triggers (with jitter, end and count), due times (on a
// fire time or not), grace, rules and run limits.
BOOST_AUTO_TEST_CASE(counting_an_every_backlog_matches_walking_it) {
  std::mt19937_64 rng{20261207};
  auto pick = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>{lo, hi}(rng);
  };
  for (int round = 0; round < 20000; ++round) {
    auto period = pick(1, 50);
    auto start = at(pick(-200, 200));
    std::optional<time_point> end;
    if (pick(0, 2) == 0)
      end = start + duration{pick(0, 2000)};
    std::optional<uint64_t> count;
    if (pick(0, 2) == 0)
      count = static_cast<uint64_t>(pick(1, 80));
    auto jitter = duration{pick(0, 2) == 0 ? pick(0, period - 1) : 0};
    auto made = every_trigger::make(duration{period}, start, end, count, jitter,
                                    static_cast<uint64_t>(round));
    BOOST_REQUIRE(made);
    trigger trig{*made};
    auto due =
        pick(0, 1) == 0
            ? made->fire_time(static_cast<uint64_t>(pick(0, 40)))
            : std::optional<time_point>{start + duration{pick(-100, 1000)}};
    if (!due)
      due = start;
    auto now = *due + duration{pick(-5, 1500)};
    misfire_policy p;
    p.rule = static_cast<misfire_rule>(pick(0, 2));
    p.grace = duration{pick(-5, 300)};
    p.max_runs = static_cast<uint64_t>(pick(1, 40));
    auto counted = resolve_misfires(trig, *due, now, p);
    auto walked = detail::walk_misfires(trig, *due, now, p);
    BOOST_TEST_CONTEXT("round " << round) {
      BOOST_TEST_REQUIRE(walked.exact);
      BOOST_TEST(counted.exact);
      BOOST_TEST(counted.missed == walked.missed);
      BOOST_TEST(counted.on_time == walked.on_time);
      BOOST_TEST(counted.skipped == walked.skipped);
      BOOST_TEST((counted.runs == walked.runs));
      BOOST_TEST((counted.next == walked.next));
    }
  }
}

BOOST_AUTO_TEST_CASE(a_once_trigger_that_was_missed_has_no_next) {
  auto out = resolve_misfires(trigger{once_trigger{at(10)}}, at(10), at(100),
                              rule(misfire_rule::run_once));
  BOOST_TEST(out.runs.size() == 1u);
  BOOST_TEST(!out.next.has_value());
}

BOOST_AUTO_TEST_CASE(a_cron_backlog_over_a_restart) {
  auto c = cron_schedule::parse("0 * * * *").value(); // hourly
  auto hour = int64_t{3'600'000'000'000};
  auto out = resolve_misfires(trigger{c}, at(hour), at(5 * hour + 1),
                              rule(misfire_rule::run_all, 1s));
  BOOST_TEST(out.runs.size() == 5u);
  BOOST_TEST(out.on_time == 1u);
  BOOST_TEST((*out.next == at(6 * hour)));
}

BOOST_AUTO_TEST_CASE(runs_and_skips_account_for_every_fire) {
  std::mt19937_64 rng{55};
  for (int i = 0; i < 500; ++i) {
    misfire_policy p;
    p.rule = static_cast<misfire_rule>(rng() % 3);
    p.grace = duration{static_cast<int64_t>(rng() % 30)};
    p.max_runs = 1 + rng() % 10;
    auto due = at(10 * static_cast<int64_t>(rng() % 10));
    auto now = due + duration{static_cast<int64_t>(rng() % 100)};
    auto out = resolve_misfires(every10(), due, now, p);
    auto fires = (now - due).count() / 10 + 1;
    BOOST_REQUIRE_EQUAL(out.on_time + out.missed, static_cast<uint64_t>(fires));
    BOOST_REQUIRE_EQUAL(out.runs.size() + out.skipped,
                        static_cast<uint64_t>(fires));
    BOOST_REQUIRE_LE(out.runs.size(), p.max_runs);
    for (size_t k = 1; k < out.runs.size(); ++k)
      BOOST_REQUIRE(out.runs[k - 1] < out.runs[k]);
    BOOST_REQUIRE(*out.next > now);
    if (p.rule == misfire_rule::run_once)
      BOOST_REQUIRE_LE(out.runs.size(), std::max<uint64_t>(out.on_time, 1));
    if (p.rule == misfire_rule::skip)
      BOOST_REQUIRE_EQUAL(out.runs.size(),
                          std::min<uint64_t>(out.on_time, p.max_runs));
  }
}

BOOST_AUTO_TEST_CASE(rules_have_names) {
  BOOST_TEST(to_string(misfire_rule::run_once) == "run_once");
  BOOST_TEST(to_string(misfire_rule::run_all) == "run_all");
  BOOST_TEST(to_string(misfire_rule::skip) == "skip");
}

BOOST_AUTO_TEST_SUITE_END()
