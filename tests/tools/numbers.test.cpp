#include "timecontrol/tools/numbers.hpp"

#include <boost/test/unit_test.hpp>

#include <CLI/CLI.hpp>

#include <cstdint>
#include <limits>
#include <string>

using namespace tc::tool;

BOOST_AUTO_TEST_SUITE(tools_numbers)

constexpr auto most = std::numeric_limits<uint64_t>::max();

BOOST_AUTO_TEST_CASE(numbers_are_read_in_decimal_only) {
  BOOST_TEST(*parse_decimal("10", 0, most) == 10u);
  BOOST_TEST(*parse_decimal("010", 0, most) == 10u);
  BOOST_TEST(*parse_decimal("0000", 0, most) == 0u);
  BOOST_TEST(*parse_decimal("-0", 0, most) == 0u);
  BOOST_TEST(*parse_decimal("18446744073709551615", 0, most) == most);
  for (auto bad : {"0x10", "0X10", "1e3", "+5", "5.0", " 5", "5 ", "", "-",
                   "0b1", "1_000", "١٢"}) {
    std::string why;
    BOOST_TEST(!parse_decimal(bad, 0, most, &why), bad);
    BOOST_TEST(why.find("is not a whole decimal number") != std::string::npos,
               why);
  }
}

BOOST_AUTO_TEST_CASE(a_number_out_of_range_says_the_range_in_a_short_line) {
  for (auto [text, lo, hi] :
       {std::tuple{"-1", uint64_t{0}, most},
        std::tuple{"18446744073709551616", uint64_t{0}, most},
        std::tuple{"99999999999999999999999999999999", uint64_t{0}, most},
        std::tuple{"0", uint64_t{1}, most},
        std::tuple{"100001", uint64_t{1}, uint64_t{100'000}}}) {
    std::string why;
    BOOST_TEST(!parse_decimal(text, lo, hi, &why), text);
    BOOST_TEST(why == "'" + std::string{text} + "' is out of range (" +
                          std::to_string(lo) + " to " + std::to_string(hi) +
                          ")");
    BOOST_TEST(why.size() < 100u);
  }
}

BOOST_AUTO_TEST_CASE(options_read_through_the_transform_store_the_decimal) {
  CLI::App app;
  uint64_t from = 1;
  uint64_t count = 0;
  int width = 1200;
  add_number_option(app, "--from", from, "", 0, most);
  add_number_option(app, "--count", count, "", 1, most);
  add_number_option(app, "--width", width, "", 400, 20'000);
  app.parse("--width 0800 --count 010 --from 0010");
  BOOST_TEST(from == 10u);
  BOOST_TEST(count == 10u);
  BOOST_TEST(width == 800);
  for (auto args : {"--from -1", "--from 0x10", "--count 18446744073709551616",
                    "--count 0", "--width -1000", "--width 4294968296"}) {
    CLI::App again;
    add_number_option(again, "--from", from, "", 0, most);
    add_number_option(again, "--count", count, "", 1, most);
    add_number_option(again, "--width", width, "", 400, 20'000);
    BOOST_CHECK_THROW(again.parse(args), CLI::ValidationError);
  }
}

BOOST_AUTO_TEST_SUITE_END()
