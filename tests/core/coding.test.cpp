#include "timecontrol/core/coding.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <limits>

using namespace tc::coding;

BOOST_AUTO_TEST_SUITE(core_coding)

BOOST_AUTO_TEST_CASE(varints_round_trip_at_every_width) {
  for (int bits = 0; bits < 64; ++bits) {
    for (uint64_t x : {(uint64_t{1} << bits) - 1, uint64_t{1} << bits}) {
      std::string buf;
      put_varint(buf, x);
      std::string_view in{buf};
      uint64_t back = 0;
      BOOST_REQUIRE(get_varint(in, back));
      BOOST_TEST(back == x);
      BOOST_TEST(in.empty());
    }
  }
  std::string buf;
  put_varint(buf, std::numeric_limits<uint64_t>::max());
  BOOST_TEST(buf.size() == 10u);
}

BOOST_AUTO_TEST_CASE(malformed_varints_are_refused) {
  uint64_t x = 0;
  std::string_view empty;
  BOOST_TEST(!get_varint(empty, x));
  std::string unterminated(3, '\x80');
  std::string_view in{unterminated};
  BOOST_TEST(!get_varint(in, x));
  std::string too_long(10, '\xff');
  too_long.push_back('\x01');
  in = too_long;
  BOOST_TEST(!get_varint(in, x));
  std::string overflow(9, '\xff');
  overflow.push_back('\x02'); // the 65th bit
  in = overflow;
  BOOST_TEST(!get_varint(in, x));
}

BOOST_AUTO_TEST_CASE(zigzag_maps_small_magnitudes_to_small_numbers) {
  BOOST_TEST(zigzag(0) == 0u);
  BOOST_TEST(zigzag(-1) == 1u);
  BOOST_TEST(zigzag(1) == 2u);
  for (int64_t x : {int64_t{0}, int64_t{-1}, int64_t{12345},
                    std::numeric_limits<int64_t>::min(),
                    std::numeric_limits<int64_t>::max()})
    BOOST_TEST(unzigzag(zigzag(x)) == x);
}

BOOST_AUTO_TEST_CASE(big_endian_keys_sort_like_their_numbers) {
  std::string a, b;
  put_fixed64_be(a, 255);
  put_fixed64_be(b, 256);
  BOOST_TEST(a < b);
  std::string_view in{b};
  uint64_t back = 0;
  BOOST_REQUIRE(get_fixed64_be(in, back));
  BOOST_TEST(back == 256u);
}

BOOST_AUTO_TEST_CASE(a_string_longer_than_its_input_is_refused) {
  std::string buf;
  put_varint(buf, 5);
  buf += "abc";
  std::string_view in{buf};
  std::string_view s;
  BOOST_TEST(!get_string(in, s));
}

BOOST_AUTO_TEST_SUITE_END()
