#include <boost/test/unit_test.hpp>

#include "timecontrol/policies/cron.hpp"

#include <functional>
#include <random>

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

// -- next fire times
// ------------------------------------------------------------

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

// -- errors
// ---------------------------------------------------------------------

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

// -- properties
// -------------------------------------------------------------------

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
