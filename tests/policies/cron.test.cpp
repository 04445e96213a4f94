#include <boost/test/unit_test.hpp>

#include "timecontrol/policies/cron.hpp"

#include <algorithm>
#include <array>
#include <functional>
#include <optional>
#include <random>
#include <vector>

using namespace tc;
using namespace std::chrono;

namespace {

tc::time_point utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0,
                   int s = 0) {
  return tc::time_point{sys_days{year{y} / month{mo} / day{d}}} + hours{h} +
         minutes{mi} + seconds{s};
}

cron_schedule cron(std::string_view text) {
  auto r = cron_schedule::parse(text);
  BOOST_REQUIRE_MESSAGE(r.ok(), "parse failed: " << text);
  return r.value();
}

std::string error_of(std::string_view text) {
  auto r = cron_schedule::parse(text);
  BOOST_REQUIRE_MESSAGE(!r.ok(), "parse should fail: " << text);
  return r.error().message;
}

// Independent civil calendar (H. Hinnant's civil_from_days), for the
// brute-force reference.
struct civil {
  int minute, hour, dom, month, dow;
};

civil civil_of(tc::time_point t) {
  auto secs = to_nanos(t) / 1'000'000'000;
  auto z = secs / 86400;
  auto rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --z;
  }
  int dow = static_cast<int>((z + 4) % 7);
  if (dow < 0)
    dow += 7;
  z += 719468;
  auto era = (z >= 0 ? z : z - 146096) / 146097;
  auto doe = z - era * 146097;
  auto yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  auto doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  auto mp = (5 * doy + 2) / 153;
  int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {static_cast<int>(rem / 60 % 60), static_cast<int>(rem / 3600), d, m,
          dow};
}

} // namespace

BOOST_AUTO_TEST_SUITE(cron_tests)

// -- next fire times ----------------------------------------------------------

BOOST_AUTO_TEST_CASE(every_fifteen_minutes) {
  auto c = cron("*/15 * * * *");
  BOOST_TEST(
      (*c.next_after(utc(2024, 1, 1, 0, 7, 30)) == utc(2024, 1, 1, 0, 15)));
  BOOST_TEST((*c.next_after(utc(2024, 1, 1, 23, 50)) == utc(2024, 1, 2, 0, 0)));
}

BOOST_AUTO_TEST_CASE(the_next_fire_is_strictly_after_the_given_time) {
  auto c = cron("30 * * * *");
  BOOST_TEST((*c.next_after(utc(2024, 1, 1, 5, 30)) == utc(2024, 1, 1, 6, 30)));
  BOOST_TEST((*c.next_after(utc(2024, 1, 1, 5, 30) - nanoseconds{1}) ==
              utc(2024, 1, 1, 5, 30)));
}

BOOST_AUTO_TEST_CASE(weekdays_by_name_skip_the_weekend) {
  auto c = cron("0 9 * * MON-FRI");
  // 2024-01-06 is a Saturday.
  BOOST_TEST((*c.next_after(utc(2024, 1, 6, 10)) == utc(2024, 1, 8, 9)));
  BOOST_TEST((*c.next_after(utc(2024, 1, 8, 9)) == utc(2024, 1, 9, 9)));
}

BOOST_AUTO_TEST_CASE(leap_day_waits_for_the_next_leap_year) {
  auto c = cron("0 0 29 2 *");
  BOOST_TEST((*c.next_after(utc(2024, 3, 1)) == utc(2028, 2, 29)));
  BOOST_TEST((*c.next_after(utc(2096, 3, 1)) == utc(2104, 2, 29))); // 2100
}

BOOST_AUTO_TEST_CASE(day_of_month_or_day_of_week_when_both_are_restricted) {
  auto c = cron("0 0 1,15 * 5");
  // 2024-01-05 is a Friday; the 15th comes later.
  BOOST_TEST((*c.next_after(utc(2024, 1, 2)) == utc(2024, 1, 5)));
  BOOST_TEST((*c.next_after(utc(2024, 1, 12)) == utc(2024, 1, 15)));
}

BOOST_AUTO_TEST_CASE(names_are_case_insensitive_and_seven_is_sunday) {
  auto a = cron("30 8 * jan,Jul sun");
  auto b = cron("30 8 * 1,7 7");
  auto c = cron("30 8 * JAN,JUL 0");
  BOOST_TEST((a == b));
  BOOST_TEST((b == c));
  // 2024-01-07 is a Sunday.
  BOOST_TEST((*a.next_after(utc(2024, 1, 1)) == utc(2024, 1, 7, 8, 30)));
  BOOST_TEST((*a.next_after(utc(2024, 2, 1)) == utc(2024, 7, 7, 8, 30)));
}

BOOST_AUTO_TEST_CASE(ranges_with_steps_and_open_steps) {
  auto c = cron("10-40/10 2/6 * * *");
  BOOST_TEST((*c.next_after(utc(2024, 1, 1)) == utc(2024, 1, 1, 2, 10)));
  BOOST_TEST((*c.next_after(utc(2024, 1, 1, 2, 40)) == utc(2024, 1, 1, 8, 10)));
  BOOST_TEST(
      (*c.next_after(utc(2024, 1, 1, 20, 40)) == utc(2024, 1, 2, 2, 10)));
}

BOOST_AUTO_TEST_CASE(macros_expand_to_their_expressions) {
  BOOST_TEST((cron("@hourly") == cron("0 * * * *")));
  BOOST_TEST((cron("@daily") == cron("0 0 * * *")));
  BOOST_TEST((cron("@midnight") == cron("0 0 * * *")));
  BOOST_TEST((cron("@weekly") == cron("0 0 * * 0")));
  BOOST_TEST((cron("@monthly") == cron("0 0 1 * *")));
  BOOST_TEST((cron("@yearly") == cron("0 0 1 1 *")));
  BOOST_TEST((cron("@annually") == cron("0 0 1 1 *")));
}

BOOST_AUTO_TEST_CASE(times_before_1970_work) {
  auto c = cron("0 12 * * *");
  BOOST_TEST((*c.next_after(utc(1969, 12, 31, 13)) == utc(1970, 1, 1, 12)));
}

BOOST_AUTO_TEST_CASE(there_is_no_fire_after_the_representable_range) {
  auto c = cron("0 0 1 1 *");
  BOOST_TEST(!c.next_after(utc(2262, 1, 2)).has_value());
  BOOST_TEST(!c.next_after(tc::time_point::max()).has_value());
}

BOOST_AUTO_TEST_CASE(matches_only_whole_matching_minutes) {
  auto c = cron("5 4 * * *");
  BOOST_TEST(c.matches(utc(2024, 5, 5, 4, 5)));
  BOOST_TEST(!c.matches(utc(2024, 5, 5, 4, 5, 1)));
  BOOST_TEST(!c.matches(utc(2024, 5, 5, 4, 6)));
}

// -- errors -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(bad_expressions_say_which_field_and_what_is_wrong) {
  BOOST_TEST(error_of("* * * *").find("expected 5 fields") == 0u);
  BOOST_TEST(error_of("* * * * * *").find("got 6") != std::string::npos);
  BOOST_TEST(error_of("").find("got 0") != std::string::npos);
  BOOST_TEST(error_of("60 * * * *") == "minute: 60 is out of range 0-59");
  BOOST_TEST(error_of("* 24 * * *") == "hour: 24 is out of range 0-23");
  BOOST_TEST(error_of("* * 0 * *") == "day-of-month: 0 is out of range 1-31");
  BOOST_TEST(error_of("* * * 13 *") == "month: 13 is out of range 1-12");
  BOOST_TEST(error_of("* * * * 8") == "day-of-week: 8 is out of range 0-7");
  BOOST_TEST(error_of("* * * FOO *") == "month: unknown name 'FOO'");
  BOOST_TEST(error_of("* * * * funday") ==
             "day-of-week: unknown name 'funday'");
  BOOST_TEST(error_of("*/0 * * * *") == "minute: step 0 must be positive");
  BOOST_TEST(error_of("*/ * * * *") == "minute: a step is missing after '/'");
  BOOST_TEST(error_of("*/x * * * *") == "minute: step 'x' is not a number");
  BOOST_TEST(error_of("5-3 * * * *").find("minute: range 5-3 runs backwards") ==
             0u);
  BOOST_TEST(error_of("1,,2 * * * *") == "minute: empty list item");
  BOOST_TEST(error_of("a * * * *") == "minute: 'a' is not a number");
  BOOST_TEST(error_of("1- * * * *") == "minute: a value is missing");
  BOOST_TEST(error_of("99999999999999999999 * * * *").find("out of range") !=
             std::string::npos);
  BOOST_TEST(error_of("0 0 30 2 *") ==
             "day-of-month: no selected day occurs in the selected months");
  BOOST_TEST(error_of("0 0 31 4,6,9,11 *").find("day-of-month") == 0u);
  BOOST_TEST(error_of("@fortnightly") == "unknown macro '@fortnightly'");
}

BOOST_AUTO_TEST_CASE(an_error_names_the_position_of_the_bad_field) {
  auto r = cron_schedule::parse("0 0 * 13 *");
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().position == 6u);
  auto r2 = cron_schedule::parse("0 0 * 1,13 *");
  BOOST_TEST(r2.error().position == 8u);
}

BOOST_AUTO_TEST_CASE(random_bytes_never_crash_the_parser) {
  std::mt19937_64 rng{17};
  const std::string alphabet =
      "0123456789*/-, @ADEJMNOSUabcdefghijklmnoprstuy\t";
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    auto n = rng() % 24;
    for (size_t k = 0; k < n; ++k)
      s.push_back(alphabet[rng() % alphabet.size()]);
    auto r = cron_schedule::parse(s);
    if (r.ok())
      r->next_after(utc(2024, 1, 1));
    else
      BOOST_REQUIRE(!r.error().message.empty());
  }
}

// -- properties ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(next_after_matches_a_minute_by_minute_reference) {
  struct entry {
    const char* text;
    std::function<bool(const civil&)> pred;
  };
  std::vector<entry> table = {
      {"*/7 * * * *", [](const civil& c) { return c.minute % 7 == 0; }},
      {"0 */5 * * *",
       [](const civil& c) { return c.minute == 0 && c.hour % 5 == 0; }},
      {"15,45 9-17 * * 1-5",
       [](const civil& c) {
         return (c.minute == 15 || c.minute == 45) && c.hour >= 9 &&
                c.hour <= 17 && c.dow >= 1 && c.dow <= 5;
       }},
      {"0 0 13 * 5",
       [](const civil& c) {
         return c.minute == 0 && c.hour == 0 && (c.dom == 13 || c.dow == 5);
       }},
      {"30 6 1-7 * *",
       [](const civil& c) {
         return c.minute == 30 && c.hour == 6 && c.dom <= 7;
       }},
      {"0 12 * feb,aug sat,sun",
       [](const civil& c) {
         return c.minute == 0 && c.hour == 12 &&
                (c.month == 2 || c.month == 8) && (c.dow == 6 || c.dow == 0);
       }},
      {"59 23 31 * *",
       [](const civil& c) {
         return c.minute == 59 && c.hour == 23 && c.dom == 31;
       }},
  };
  std::mt19937_64 rng{2025};
  for (auto& e : table) {
    auto c = cron(e.text);
    for (int i = 0; i < 6; ++i) {
      auto start = from_nanos(static_cast<int64_t>(rng() % 4'000'000'000ULL) *
                              1'000'000'000);
      auto got = c.next_after(start);
      BOOST_REQUIRE(got.has_value());
      auto t = floor<minutes>(start) + minutes{1};
      tc::time_point expect = t;
      for (int k = 0; k < 60 * 24 * 400; ++k, expect += minutes{1})
        if (e.pred(civil_of(expect)))
          break;
      BOOST_REQUIRE_MESSAGE(*got == expect,
                            e.text << " after " << to_nanos(start));
      BOOST_REQUIRE(c.matches(*got));
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(cron_range_edges)

BOOST_AUTO_TEST_CASE(times_before_the_first_whole_day_start_at_it) {
  auto c = cron_schedule::parse("@hourly").value();
  auto first = c.next_after(tc::time_point::min());
  BOOST_REQUIRE(first.has_value());
  BOOST_TEST(c.matches(*first));
  BOOST_TEST((*first - tc::time_point::min() < days{1} + hours{1}));
  BOOST_TEST(!c.matches(tc::time_point::min()));
}

BOOST_AUTO_TEST_SUITE_END()

// -- steps, L and # (issue 12, items 12 and 14) -------------------------------

BOOST_AUTO_TEST_SUITE(cron_steps_and_calendar_forms)

namespace {

// The weekdays (0 = Sunday) on which `text` fires at midnight in the two
// weeks from Monday 2024-01-01.
std::vector<int> weekdays_of(std::string_view text) {
  auto c = cron(text);
  std::vector<int> result;
  auto t = utc(2024, 1, 1) - seconds{1};
  for (;;) {
    auto n = c.next_after(t);
    BOOST_REQUIRE(n.has_value());
    if (*n >= utc(2024, 1, 8))
      break;
    result.push_back(civil_of(*n).dow);
    t = *n;
  }
  return result;
}

std::vector<int> fire_minutes(std::string_view text, tc::time_point from,
                              tc::time_point until) {
  auto c = cron(text);
  std::vector<int> result;
  for (auto n = c.next_after(from); n && *n < until; n = c.next_after(*n))
    result.push_back(static_cast<int>((*n - from) / minutes{1}));
  return result;
}

std::vector<int> fire_days(std::string_view text, int y, unsigned m) {
  auto c = cron(text);
  std::vector<int> result;
  auto from = utc(y, m, 1) - seconds{1};
  auto until = tc::time_point{sys_days{year{y} / month{m} / last}} + days{1};
  for (auto n = c.next_after(from); n && *n < until; n = c.next_after(*n))
    result.push_back(civil_of(*n).dom);
  return result;
}

} // namespace

BOOST_AUTO_TEST_CASE(seven_with_a_step_is_sunday) {
  BOOST_TEST(weekdays_of("0 0 * * 7/2") == std::vector<int>{0});
  BOOST_TEST(weekdays_of("0 0 * * 7/1") == std::vector<int>{0});
}

BOOST_AUTO_TEST_CASE(a_value_with_a_step_runs_to_the_end_of_the_week) {
  // Mon, Wed, Fri and Sun: 1-7/2; 2024-01-07 is a Sunday.
  BOOST_TEST((weekdays_of("0 0 * * 1/2") == std::vector<int>{1, 3, 5, 0}));
  BOOST_TEST((cron("0 0 * * 1/2") == cron("0 0 * * 1-7/2")));
  BOOST_TEST((cron("0 0 * * MON/2") == cron("0 0 * * 1,3,5,7")));
  BOOST_TEST((weekdays_of("0 0 * * 0/3") == std::vector<int>{3, 6, 0}));
  BOOST_TEST((weekdays_of("0 0 * * */2") == std::vector<int>{2, 4, 6, 0}));
}

BOOST_AUTO_TEST_CASE(a_value_with_a_step_runs_to_the_end_of_every_field) {
  auto day = utc(2024, 1, 1);
  BOOST_TEST((fire_minutes("5/15 0 * * *", day, day + hours{1}) ==
              std::vector<int>{5, 20, 35, 50}));
  BOOST_TEST((fire_minutes("0 20/2 * * *", day, day + days{1}) ==
              std::vector<int>{20 * 60, 22 * 60}));
  BOOST_TEST((fire_days("0 0 28/2 * *", 2024, 1) == std::vector<int>{28, 30}));
  BOOST_TEST((fire_days("0 0 28/2 * *", 2024, 2) == std::vector<int>{28}));
  BOOST_TEST((cron("0 0 1 10/2 *") == cron("0 0 1 10,12 *")));
  BOOST_TEST((cron("59/7 * * * *") == cron("59 * * * *")));
  BOOST_TEST((cron("0 0 31/5 * *") == cron("0 0 31 * *")));
}

BOOST_AUTO_TEST_CASE(ranges_with_steps_run_to_their_end) {
  BOOST_TEST((cron("0 0 * * 1-7/3") == cron("0 0 * * 1,4,7")));
  BOOST_TEST((cron("0-59/20 * * * *") == cron("0,20,40 * * * *")));
  BOOST_TEST((cron("0 0 1-31/10 * *") == cron("0 0 1,11,21,31 * *")));
}

BOOST_AUTO_TEST_CASE(a_weekday_range_ending_on_sunday_zero_ends_at_seven) {
  BOOST_TEST((weekdays_of("0 0 * * FRI-SUN") == std::vector<int>{5, 6, 0}));
  BOOST_TEST((cron("0 0 * * 5-0") == cron("0 0 * * 5-7")));
  BOOST_TEST((cron("0 0 * * 5-0/2") == cron("0 0 * * 5,7")));
  BOOST_TEST((cron("0 0 * * 0-0/2") == cron("0 0 * * 0")));
}

BOOST_AUTO_TEST_CASE(l_is_the_last_day_of_the_month) {
  BOOST_TEST((fire_days("0 0 L * *", 2024, 2) == std::vector<int>{29}));
  BOOST_TEST((fire_days("0 0 L * *", 2023, 2) == std::vector<int>{28}));
  BOOST_TEST((fire_days("0 0 L * *", 2024, 4) == std::vector<int>{30}));
  BOOST_TEST((fire_days("0 0 L-1 * *", 2024, 1) == std::vector<int>{30}));
  BOOST_TEST((fire_days("0 0 L-0 * *", 2024, 1) == std::vector<int>{31}));
  BOOST_TEST((fire_days("0 0 L,15 * *", 2024, 6) == std::vector<int>{15, 30}));
  BOOST_TEST((fire_days("0 0 l-30 * *", 2024, 3) == std::vector<int>{1}));
  // Only in the 31-day months.
  BOOST_TEST((fire_days("0 0 L-30 * *", 2024, 4).empty()));
}

BOOST_AUTO_TEST_CASE(hash_is_the_nth_weekday_and_nl_the_last) {
  // January 2024: Mondays 1, 8, 15, 22, 29; Fridays 5, 12, 19, 26.
  BOOST_TEST((fire_days("0 9 * * 1#1", 2024, 1) == std::vector<int>{1}));
  BOOST_TEST(
      (fire_days("0 9 * * MON#1,mon#3", 2024, 1) == std::vector<int>{1, 15}));
  BOOST_TEST((fire_days("0 9 * * 1#5", 2024, 1) == std::vector<int>{29}));
  BOOST_TEST((fire_days("0 9 * * 5#5", 2024, 1).empty()));
  BOOST_TEST((fire_days("0 9 * * 5L", 2024, 1) == std::vector<int>{26}));
  BOOST_TEST((fire_days("0 9 * * FRIL", 2024, 1) == std::vector<int>{26}));
  BOOST_TEST((fire_days("0 9 * * 7L", 2024, 1) == std::vector<int>{28}));
  BOOST_TEST((fire_days("0 9 * * 0#2", 2024, 1) == std::vector<int>{14}));
  // With day-of-month restricted too, either matches (Vixie cron's rule).
  BOOST_TEST((fire_days("0 9 20 * 1#1", 2024, 1) == std::vector<int>{1, 20}));
}

BOOST_AUTO_TEST_CASE(misused_l_and_hash_are_refused_with_a_reason) {
  BOOST_TEST(error_of("0 0 LW * *").find("'W' (nearest weekday)") !=
             std::string::npos);
  BOOST_TEST(error_of("0 0 15W * *") == "day-of-month: '15W' is not a number");
  BOOST_TEST(error_of("0 0 L/2 * *") == "day-of-month: 'L/2' takes no step");
  BOOST_TEST(error_of("0 0 L-31 * *") ==
             "day-of-month: 'L-31': L-n takes n from 0 to 30");
  BOOST_TEST(error_of("0 0 L-x * *") ==
             "day-of-month: 'L-x': expected a number of days after 'L-'");
  BOOST_TEST(error_of("0 0 L3 * *") ==
             "day-of-month: 'L3': after 'L' only '-n' may follow (L-3)");
  BOOST_TEST(error_of("0 0 * * L").find("needs a weekday before it") !=
             std::string::npos);
  BOOST_TEST(error_of("0 0 * * #2").find("needs a weekday before") !=
             std::string::npos);
  BOOST_TEST(error_of("0 0 * * 1#6") ==
             "day-of-week: '1#6': '#' takes a week from 1 to 5");
  BOOST_TEST(error_of("0 0 * * 1#0") ==
             "day-of-week: '1#0': '#' takes a week from 1 to 5");
  BOOST_TEST(error_of("0 0 * * 8L") == "day-of-week: 8 is out of range 0-7");
  BOOST_TEST(error_of("0 0 * * 1#1/2") == "day-of-week: '1#1/2' takes no step");
  BOOST_TEST(error_of("0 0 * * 1-5L") ==
             "day-of-week: '1-5L' cannot be in a range");
  BOOST_TEST(error_of("0 0 * * ?") == "day-of-week: unknown name '?'");
  BOOST_TEST(error_of("L * * * *") == "minute: 'L' is not a number");
}

BOOST_AUTO_TEST_CASE(expressions_that_can_never_fire_are_refused) {
  for (auto text : {"0 0 30 2 *", "0 0 31 2 *", "0 0 31 4,6,9,11 *",
                    "0 0 L-29 2 *", "0 0 L-30 2,4 *", "0 0 30,31 2 *"}) {
    BOOST_TEST_CONTEXT(text) {
      BOOST_TEST(error_of(text) ==
                 "day-of-month: no selected day occurs in the selected "
                 "months");
    }
  }
  // Rare but possible.
  BOOST_TEST(
      (*cron("0 0 L-28 2 *").next_after(utc(2024, 3, 1)) == utc(2028, 2, 1)));
  BOOST_TEST(
      (*cron("0 0 * 2 1#5").next_after(utc(2016, 3, 1)) == utc(2044, 2, 29)));
  // When both day fields are restricted either may fire.
  BOOST_TEST(
      (*cron("0 0 30 2 1").next_after(utc(2024, 1, 1)) == utc(2024, 2, 5)));
}

BOOST_AUTO_TEST_SUITE_END()

// -- a brute-force reference over a large generated set -----------------------
//
// Expressions are generated as structures (lists of items per field) and
// written out as text for the parser; the reference reads the structure with
// the rules cron.hpp states, on its own calendar arithmetic, and walks day by
// day, then minute by minute within a matching day, testing each field.

BOOST_AUTO_TEST_SUITE(cron_against_brute_force)

namespace {

struct ref_item {
  enum kind_t { values, last_day, last_weekday, nth_weekday } kind = values;
  std::vector<int> set; // kind values: the values it selects
  int n = 0;            // L-n; the weekday of nL and n#k
  int k = 0;            // n#k
};

struct ref_field {
  bool star = false;
  std::vector<ref_item> items;
};

struct ref_expr {
  std::array<ref_field, 5> f;
  std::string text;
};

constexpr int lo_of[] = {0, 0, 1, 1, 0};
constexpr int hi_of[] = {59, 23, 31, 12, 7};
const char* const dow_names[] = {"SUN", "MON", "TUE", "WED",
                                 "THU", "FRI", "SAT", "SUN"};
const char* const mon_names[] = {"",    "JAN", "FEB", "MAR", "APR",
                                 "MAY", "JUN", "JUL", "AUG", "SEP",
                                 "OCT", "NOV", "DEC"};

// SUN is 0: it stands for 7 only alone or at the end of a range that
// starts after 0 ("FRI-SUN"; "SUN-SUN" is Sunday only, as in cronie).
std::string name_or_number(int f, int v, std::mt19937_64& rng,
                           bool starts = false) {
  if (f == 4 && rng() % 3 == 0 && !(v == 7 && starts))
    return dow_names[v];
  if (f == 3 && rng() % 3 == 0)
    return mon_names[v];
  return std::to_string(v);
}

ref_expr generate(std::mt19937_64& rng) {
  ref_expr e;
  // One in eight: late days in short months, day-of-week "*", where the
  // expressions that can never fire are.
  bool edge = rng() % 8 == 0;
  for (int f = 0; f < 5; ++f) {
    auto& field = e.f[static_cast<size_t>(f)];
    std::string text;
    if (edge && f >= 2) {
      ref_item item;
      if (f == 2 && rng() % 2) {
        item.kind = ref_item::last_day;
        item.n = 27 + static_cast<int>(rng() % 4);
        text = "L-" + std::to_string(item.n);
      } else if (f == 2) {
        item.set = {29 + static_cast<int>(rng() % 3)};
        text = std::to_string(item.set[0]);
      } else if (f == 3) {
        const int short_months[] = {2, 4, 6, 9, 11};
        item.set = {short_months[rng() % 5], short_months[rng() % 5]};
        text = std::to_string(item.set[0]) + "," + std::to_string(item.set[1]);
      } else {
        field.star = true;
        for (int v = 0; v <= 7; ++v)
          item.set.push_back(v % 7);
        text = "*";
      }
      field.items.push_back(item);
    } else if (rng() % 4 == 0) {
      field.star = true;
      ref_item all;
      for (int v = lo_of[f]; v <= hi_of[f]; ++v)
        all.set.push_back(v);
      field.items.push_back(all);
      text = "*";
    } else {
      auto count = 1 + rng() % 3;
      for (size_t i = 0; i < count; ++i) {
        ref_item item;
        std::string t;
        auto lo = lo_of[f];
        auto hi = hi_of[f];
        auto span = static_cast<uint64_t>(hi - lo + 1);
        auto form = rng() % 9;
        if (f == 2 && form >= 7) {
          item.kind = ref_item::last_day;
          item.n = rng() % 2 ? 0 : static_cast<int>(rng() % 31);
          t = item.n == 0 && rng() % 2 ? "L" : "L-" + std::to_string(item.n);
        } else if (f == 4 && form == 7) {
          item.kind = ref_item::last_weekday;
          auto v = static_cast<int>(rng() % 8);
          item.n = v % 7;
          t = name_or_number(4, v, rng) + "L";
        } else if (f == 4 && form == 8) {
          item.kind = ref_item::nth_weekday;
          auto v = static_cast<int>(rng() % 8);
          item.n = v % 7;
          item.k = 1 + static_cast<int>(rng() % 5);
          t = name_or_number(4, v, rng) + "#" + std::to_string(item.k);
        } else {
          auto a = lo + static_cast<int>(rng() % span);
          auto b = lo + static_cast<int>(rng() % span);
          if (a > b)
            std::swap(a, b);
          auto step = 1 + static_cast<int>(rng() % (f == 0 ? 20 : 5));
          int from = a;
          int to = a;
          switch (form % 5) {
            case 0: // a
              t = name_or_number(f, a, rng);
              break;
            case 1: // a-b
              to = b;
              t = name_or_number(f, a, rng, true) + "-" +
                  name_or_number(f, b, rng, a == 0);
              break;
            case 2: // a-b/step
              to = b;
              t = name_or_number(f, a, rng, true) + "-" +
                  name_or_number(f, b, rng, a == 0) + "/" +
                  std::to_string(step);
              break;
            case 3: // a/step: to the field's end
              to = hi;
              t = name_or_number(f, a, rng, true) + "/" + std::to_string(step);
              break;
            default: // */step
              from = lo;
              to = hi;
              t = "*/" + std::to_string(step);
          }
          auto s = form % 5 == 0 || form % 5 == 1 ? 1 : step;
          for (int v = from; v <= to; v += s)
            item.set.push_back(f == 4 ? v % 7 : v);
        }
        field.items.push_back(item);
        text += (i == 0 ? "" : ",") + t;
      }
    }
    e.text += (f == 0 ? "" : " ") + text;
  }
  return e;
}

bool ref_leap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int ref_days_in_month(int y, int m) {
  if (m == 2)
    return ref_leap(y) ? 29 : 28;
  return m == 4 || m == 6 || m == 9 || m == 11 ? 30 : 31;
}

bool in(const ref_field& field, int v) {
  for (auto& item : field.items)
    if (item.kind == ref_item::values &&
        std::find(item.set.begin(), item.set.end(), v) != item.set.end())
      return true;
  return false;
}

bool ref_day(const ref_expr& e, int y, int m, int d, int dow) {
  if (!in(e.f[3], m))
    return false;
  auto dim = ref_days_in_month(y, m);
  bool dom = in(e.f[2], d);
  for (auto& item : e.f[2].items)
    dom = dom || (item.kind == ref_item::last_day && d == dim - item.n);
  bool wd = in(e.f[4], dow);
  for (auto& item : e.f[4].items) {
    if (item.kind == ref_item::last_weekday)
      wd = wd || (dow == item.n && d + 7 > dim);
    if (item.kind == ref_item::nth_weekday)
      wd = wd || (dow == item.n && (d - 1) / 7 + 1 == item.k);
  }
  if (e.f[2].star || e.f[4].star)
    return dom && wd;
  return dom || wd;
}

// The first fire strictly after t within `limit` days, by brute force.
std::optional<tc::time_point> ref_next(const ref_expr& e, tc::time_point t,
                                       int limit) {
  auto m = floor<minutes>(t) + minutes{1};
  auto day = floor<days>(m);
  for (int i = 0; i < limit; ++i, day += days{1}) {
    auto c = civil_of(tc::time_point{day});
    auto ymd = year_month_day{day};
    if (!ref_day(e, static_cast<int>(ymd.year()), c.month, c.dom, c.dow))
      continue;
    for (auto x = std::max(tc::time_point{m}, tc::time_point{day});
         x < tc::time_point{day + days{1}}; x += minutes{1}) {
      auto cx = civil_of(x);
      if (in(e.f[0], cx.minute) && in(e.f[1], cx.hour))
        return x;
    }
  }
  return std::nullopt;
}

} // namespace

// Every accepted expression fires within 41 years of any time (the longest
// wait is the fifth weekday of a February, 40 years around 2100), at the
// minute the brute force finds; every refused one matches no day in a whole
// 400-year cycle.
BOOST_AUTO_TEST_CASE(generated_expressions_fire_when_the_brute_force_says) {
  std::mt19937_64 rng{1212};
  constexpr int bound_days = 41 * 366;
  int accepted = 0;
  int refused = 0;
  for (int i = 0; i < 3000; ++i) {
    auto e = generate(rng);
    auto r = cron_schedule::parse(e.text);
    BOOST_TEST_CONTEXT(e.text) {
      // (No `continue` in here: BOOST_TEST_CONTEXT is a loop of its own.)
      if (!r.ok()) {
        BOOST_REQUIRE_EQUAL(r.error().message,
                            "day-of-month: no selected day occurs in the "
                            "selected months");
        ++refused;
        // 1700 to 2100: time_point does not reach 2400.
        auto day = sys_days{year{1700} / 3 / 1};
        bool some = false;
        for (int k = 0; k < 146097 && !some; ++k, day += days{1}) {
          auto c = civil_of(tc::time_point{day});
          some = ref_day(e, static_cast<int>(year_month_day{day}.year()),
                         c.month, c.dom, c.dow);
        }
        BOOST_REQUIRE_MESSAGE(!some, "refused, but it matches day "
                                         << day.time_since_epoch().count());
      } else {
        ++accepted;
        for (int k = 0; k < 3; ++k) {
          auto t =
              utc(1900, 1, 1) +
              seconds{static_cast<int64_t>(rng() % (250ULL * 365 * 86400))};
          auto want = ref_next(e, t, bound_days);
          BOOST_REQUIRE_MESSAGE(want.has_value(), "no fire within 41 years");
          auto got = r->next_after(t);
          BOOST_REQUIRE(got.has_value());
          BOOST_REQUIRE_MESSAGE(to_nanos(*got) == to_nanos(*want),
                                "after " << to_nanos(t) << ": got "
                                         << to_nanos(*got) << " want "
                                         << to_nanos(*want));
          BOOST_REQUIRE(r->matches(*got));
        }
      }
    }
  }
  BOOST_TEST_MESSAGE(accepted << " accepted, " << refused << " refused");
  BOOST_TEST(refused > 0);
}

BOOST_AUTO_TEST_SUITE_END()
