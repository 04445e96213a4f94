#include <boost/test/unit_test.hpp>

#include "tests/support/print.hpp"

#include "timecontrol/policies/fuzzy_args.hpp"
#include "timecontrol/policies/trigger_spec.hpp"

using namespace tc;
using namespace std::chrono_literals;

namespace {

// 2026-11-26T08:00:00Z
constexpr int64_t t0 = 1'795'680'000'000'000'000;

trigger parse(std::string_view text, time_point now = {}, uint64_t seed = 0) {
  auto r = parse_trigger_spec(text, now, seed);
  BOOST_REQUIRE_MESSAGE(
      r.ok(), "parse failed: " << text << ": " << (r ? "" : r.error().message));
  return r.value();
}

parse_error error_of(std::string_view text) {
  auto r = parse_trigger_spec(text);
  BOOST_REQUIRE_MESSAGE(!r.ok(), "parse should fail: " << text);
  return r.error();
}

parse_error misfire_error_of(std::string_view text) {
  auto r = parse_misfire_spec(text);
  BOOST_REQUIRE_MESSAGE(!r.ok(), "parse should fail: " << text);
  return r.error();
}

} // namespace

BOOST_AUTO_TEST_SUITE(trigger_spec_tests)

BOOST_AUTO_TEST_CASE(now_is_once_at_the_given_time) {
  auto t = parse(" NOW ", from_nanos(t0));
  BOOST_TEST(std::get<once_trigger>(t).at() == from_nanos(t0));
  BOOST_TEST(to_spec(t) == "once 1795680000000000000");
}

BOOST_AUTO_TEST_CASE(once_takes_nanoseconds_or_iso_8601_utc) {
  BOOST_TEST(std::get<once_trigger>(parse("once 1795680000000000000")).at() ==
             from_nanos(t0));
  BOOST_TEST(std::get<once_trigger>(parse("once 2026-11-26T08:00:00Z")).at() ==
             from_nanos(t0));
  BOOST_TEST(
      std::get<once_trigger>(parse("once 2026-11-26T08:00:00.25Z")).at() ==
      from_nanos(t0 + 250'000'000));
  BOOST_TEST(std::get<once_trigger>(parse("once 1970-01-01T00:00:00Z")).at() ==
             from_nanos(0));
  BOOST_TEST(std::get<once_trigger>(parse("once 2024-02-29T00:00:00Z")).at() ==
             from_nanos(1'709'164'800'000'000'000));
}

BOOST_AUTO_TEST_CASE(every_takes_its_clauses_in_any_order) {
  auto t = parse("every 5s times 3 jitter 1s from 2026-11-26T08:00:00Z "
                 "until 1795680060000000000",
                 {}, 7);
  auto& e = std::get<every_trigger>(t);
  BOOST_TEST(e.period() == duration{5s});
  BOOST_TEST(e.jitter() == duration{1s});
  BOOST_TEST(e.start() == from_nanos(t0));
  BOOST_TEST((e.end() == from_nanos(t0 + 60'000'000'000)));
  BOOST_TEST((e.max_count() == uint64_t{3}));
  BOOST_TEST(e.seed() == 7u);
  BOOST_TEST(to_spec(t) == "every 5s jitter 1s from 1795680000000000000 until "
                           "1795680060000000000 times 3");
  BOOST_TEST((parse(to_spec(t), {}, 7) == t));
}

BOOST_AUTO_TEST_CASE(every_without_from_starts_now) {
  auto t = parse("every 1.5s", from_nanos(t0));
  BOOST_TEST(std::get<every_trigger>(t).start() == from_nanos(t0));
  BOOST_TEST(std::get<every_trigger>(t).period() == duration{1500ms});
  BOOST_TEST(to_spec(t) == "every 1500ms from 1795680000000000000");
  BOOST_TEST(to_spec(parse("every 1s from 0", from_nanos(t0))) ==
             "every 1s from 0");
}

BOOST_AUTO_TEST_CASE(cron_takes_the_rest_of_the_text) {
  auto t = parse("cron */5 * * * *");
  BOOST_TEST(std::get<cron_trigger>(t).schedule().text() == "*/5 * * * *");
  BOOST_TEST(to_spec(t) == "cron */5 * * * *");
  BOOST_TEST(std::holds_alternative<cron_trigger>(parse("cron @daily")));
}

BOOST_AUTO_TEST_CASE(cron_takes_a_zone_and_a_jitter_seeded_by_the_caller) {
  auto t =
      parse("cron TZ=Europe/Berlin 0 9 * * 1-5 JITTER 300s", from_nanos(t0), 7);
  auto& c = std::get<cron_trigger>(t);
  BOOST_TEST(c.schedule().zone_name() == "Europe/Berlin");
  BOOST_TEST(c.schedule().text() == "TZ=Europe/Berlin 0 9 * * 1-5");
  BOOST_TEST((c.jitter() == 5min));
  BOOST_TEST(c.seed() == 7u);
  BOOST_TEST(to_spec(t) == "cron TZ=Europe/Berlin 0 9 * * 1-5 jitter 5min");
  // The canonical text means the same at any other time, with the same seed.
  BOOST_TEST((parse(to_spec(t), from_nanos(0), 7) == t));
  BOOST_TEST(!(parse(to_spec(t), from_nanos(0), 8) == t));
  auto u = parse("cron CRON_TZ=Australia/Lord_Howe @daily jitter 0s");
  BOOST_TEST(to_spec(u) == "cron CRON_TZ=Australia/Lord_Howe @daily");
  BOOST_TEST((std::get<cron_trigger>(u).jitter() == 0ns));
}

BOOST_AUTO_TEST_CASE(cron_spec_errors_say_what_and_where) {
  auto e = error_of("cron TZ=Nowhere/Land 0 9 * * *");
  BOOST_TEST(e.message.find("cron: unknown time zone 'Nowhere/Land'") == 0u);
  BOOST_TEST(e.position == 8u);
  e = error_of("cron 0 9 * * * jitter");
  BOOST_TEST(e.position == 21u);
  e = error_of("cron 0 9 * * * jitter 5m jitter 1m");
  BOOST_TEST(e.message == "'jitter' is given twice");
  BOOST_TEST(e.position == 25u);
  e = error_of("cron 0 9 * * * jitter 5m extra");
  BOOST_TEST(e.position == 25u);
  e = error_of("cron jitter 5m");
  BOOST_TEST(e.message == "expected a cron expression after 'cron'");
  e = error_of("cron 0 9 * * 1/0 jitter 1s");
  BOOST_TEST(e.message == "cron: day-of-week: step 0 must be positive");
  BOOST_TEST(e.position == 15u);
}

BOOST_AUTO_TEST_CASE(errors_say_what_and_where) {
  auto e = error_of("sometimes");
  BOOST_TEST(e.position == 0u);
  BOOST_TEST(e.message.find("expected 'now'") != std::string::npos);
  e = error_of("every 5 parsecs");
  BOOST_TEST(e.position == 8u);
  BOOST_TEST(e.message.find("unit") != std::string::npos);
  e = error_of("every 5s jitter 5s");
  BOOST_TEST(e.position == 16u);
  BOOST_TEST(e.message.find("shorter than the period") != std::string::npos);
  e = error_of("every 5s times 0");
  BOOST_TEST(e.position == 15u);
  e = error_of("every 5s times 2 times 3");
  BOOST_TEST(e.position == 17u);
  BOOST_TEST(e.message.find("twice") != std::string::npos);
  e = error_of("every 5s from 1000 until 10");
  BOOST_TEST(e.position == 25u);
  e = error_of("once 2026-02-30T00:00:00Z");
  BOOST_TEST(e.position == 13u);
  BOOST_TEST(e.message.find("day 30") != std::string::npos);
  e = error_of("once 2026-11-26T24:00:00Z");
  BOOST_TEST(e.position == 16u);
  e = error_of("once 2026-11-26T08:00:00+01:00");
  BOOST_TEST(e.position == 24u);
  BOOST_TEST(e.message.find("UTC") != std::string::npos);
  e = error_of("once 9999-01-01T00:00:00Z");
  BOOST_TEST(e.message.find("out of range") != std::string::npos);
  e = error_of("cron * * * *");
  BOOST_TEST(e.message.find("cron: ") == 0u);
  e = error_of("cron 0 24 * * *");
  BOOST_TEST(e.position >= 5u);
  e = error_of("now please");
  BOOST_TEST(e.position == 4u);
  e = error_of("");
  BOOST_TEST(e.position == 0u);
}

BOOST_AUTO_TEST_CASE(misfire_specs_name_a_rule_and_a_grace) {
  BOOST_TEST((parse_misfire_spec("")->rule == misfire_rule::run_once));
  BOOST_TEST((parse_misfire_spec("coalesce")->rule == misfire_rule::run_once));
  BOOST_TEST((parse_misfire_spec("Run_All")->rule == misfire_rule::run_all));
  auto p = parse_misfire_spec("skip grace 1.5s");
  BOOST_TEST((p->rule == misfire_rule::skip));
  BOOST_TEST(p->grace == duration{1500ms});
  BOOST_TEST(parse_misfire_spec("grace 2s")->grace == duration{2s});
  BOOST_TEST(to_spec(*p) == "skip grace 1500ms");
  BOOST_TEST(to_spec(*parse_misfire_spec("")) == "coalesce");
  auto e = misfire_error_of("sometimes");
  BOOST_TEST(e.position == 0u);
  e = misfire_error_of("skip grace");
  BOOST_TEST(e.position == 10u);
  e = misfire_error_of("skip later");
  BOOST_TEST(e.position == 5u);
}

BOOST_AUTO_TEST_CASE(drawn_arguments_depend_only_on_seed_and_firing) {
  auto g = args_generator::parse("int 1 6");
  BOOST_REQUIRE(g.ok());
  for (uint64_t k = 0; k < 100; ++k) {
    auto x = g->draw(42, k);
    BOOST_TEST(x == g->draw(42, k));
    auto n = std::stoi(x);
    BOOST_TEST((n >= 1 && n <= 6));
  }
  BOOST_TEST(g->draw(42, 0) + g->draw(42, 1) + g->draw(42, 2) !=
             g->draw(43, 0) + g->draw(43, 1) + g->draw(43, 2));
  auto pick = args_generator::parse("pick a | b|c");
  BOOST_REQUIRE(pick.ok());
  auto x = pick->draw(1, 5);
  BOOST_TEST((x == "a" || x == "b" || x == "c"));
  BOOST_TEST(args_generator::parse("hex 4")->draw(1, 1).size() == 8u);
  BOOST_TEST(!args_generator::parse("")->draw(1, 1).empty());
  BOOST_TEST(args_generator::parse("int 5 1").error().position == 6u);
  BOOST_TEST(args_generator::parse("pick a||b").error().position == 7u);
  BOOST_TEST(args_generator::parse("dice").error().position == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
