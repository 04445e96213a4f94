#include "timecontrol/text/format.hpp"

#include <boost/test/unit_test.hpp>

#include "tests/support/print.hpp"

using namespace tc;

BOOST_AUTO_TEST_SUITE(text_format)

BOOST_AUTO_TEST_CASE(times_print_in_utc_to_the_nanosecond) {
  BOOST_TEST(format_time(from_nanos(0)) == "1970-01-01T00:00:00.000000000Z");
  BOOST_TEST(format_time(from_nanos(1'767'225'600'123'456'789)) ==
             "2026-01-01T00:00:00.123456789Z");
  BOOST_TEST(format_time(from_nanos(951'868'799'999'999'999)) ==
             "2000-02-29T23:59:59.999999999Z");
  BOOST_TEST(format_time(from_nanos(-1)) == "1969-12-31T23:59:59.999999999Z");
}

BOOST_AUTO_TEST_CASE(a_printed_time_parses_back) {
  for (int64_t ns :
       {int64_t{0}, int64_t{-1}, int64_t{1'767'225'600'000'000'001},
        int64_t{253'402'300'799'999'999}}) {
    auto text = format_time(from_nanos(ns));
    auto back = parse_time(text);
    BOOST_TEST_CONTEXT(text) {
      BOOST_REQUIRE(back);
      BOOST_TEST(*back == from_nanos(ns));
    }
  }
}

BOOST_AUTO_TEST_CASE(times_are_read_as_nanoseconds_dates_or_iso_8601) {
  BOOST_TEST(*parse_time("1767225600000000000") ==
             from_nanos(1'767'225'600'000'000'000));
  BOOST_TEST(*parse_time("-5") == from_nanos(-5));
  BOOST_TEST(*parse_time("2026-01-01") ==
             from_nanos(1'767'225'600'000'000'000));
  BOOST_TEST(*parse_time("2026-01-01T00:00:01.5Z") ==
             from_nanos(1'767'225'601'500'000'000));
  for (auto bad : {"", "yesterday", "2026-13-01", "2026-02-30", "12-5",
                   "9999-01-01", "2300-01-01", "1600-01-01",
                   "2026-01-01T25:00:00Z", "2026-01-01T00:00:00.Z"})
    BOOST_TEST(!parse_time(bad), bad);
}

BOOST_AUTO_TEST_CASE(times_are_read_in_decimal_and_exactly) {
  // Leading zeros are decimal zeros, not octal.
  BOOST_TEST(*parse_time("010") == from_nanos(10));
  for (auto bad : {"0x10", "+5", "1e3", " 5", "5 ", "9223372036854775808",
                   "-9223372036854775809", "18446744073709551616"})
    BOOST_TEST(!parse_time(bad), bad);
  // Digits past the nanosecond are read when they change nothing.
  BOOST_TEST(*parse_time("2026-01-01T00:00:01.50000000000000000000Z") ==
             from_nanos(1'767'225'601'500'000'000));
  BOOST_TEST(*parse_time("2026-01-01T00:00:01.123456789000Z") ==
             from_nanos(1'767'225'601'123'456'789));
  BOOST_TEST(!parse_time("2026-01-01T00:00:01.1234567891Z"));
}

BOOST_AUTO_TEST_CASE(strings_are_quoted_with_every_escape) {
  std::string raw = "a\"b\\c\nd\re\tf\bg\fh\x01i\x7fj\xc3\xa9";
  BOOST_TEST(json_quote(raw) ==
             "\"a\\\"b\\\\c\\nd\\re\\tf\\bg\\fh\\u0001i\\u007fj\xc3\xa9\"");
  BOOST_TEST(text_quote(raw) ==
             "\"a\\\"b\\\\c\\nd\\re\\tf\\x08g\\x0ch\\x01i\\x7fj\xc3\xa9\"");
  BOOST_TEST(json_quote("") == "\"\"");
  BOOST_TEST(json_quote("plain") == "\"plain\"");
  BOOST_TEST(json_quote("\n") == "\"\\n\"");
}

BOOST_AUTO_TEST_SUITE_END()
