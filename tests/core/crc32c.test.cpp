#include "timecontrol/core/crc32c.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

BOOST_AUTO_TEST_SUITE(core_crc32c)

BOOST_AUTO_TEST_CASE(the_checksum_matches_the_published_check_values) {
  BOOST_TEST(tc::crc32c("") == 0u);
  BOOST_TEST(tc::crc32c("123456789") == 0xE3069283u);
  // RFC 3720, B.4: 32 bytes of zeros, and of 0xFF.
  BOOST_TEST(tc::crc32c(std::string(32, '\0')) == 0x8A9136AAu);
  BOOST_TEST(tc::crc32c(std::string(32, '\xff')) == 0x62A8AB43u);
}

BOOST_AUTO_TEST_CASE(a_checksum_can_be_extended_piece_by_piece) {
  std::string text = "the quick brown fox jumps over the lazy dog, twice over";
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    auto first = tc::crc32c(std::string_view{text}.substr(0, cut));
    BOOST_TEST(tc::crc32c(std::string_view{text}.substr(cut), first) ==
               tc::crc32c(text));
  }
}

BOOST_AUTO_TEST_SUITE_END()
