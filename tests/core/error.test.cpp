#include "timecontrol/core/error.hpp"

#include <boost/test/unit_test.hpp>

#include <caf/sec.hpp>

using namespace tc;

BOOST_AUTO_TEST_SUITE(core_error)

BOOST_AUTO_TEST_CASE(an_error_says_what_and_where) {
  auto err = make_error(errc::corrupt_record, "seq 42: checksum mismatch");
  BOOST_TEST(is(err, errc::corrupt_record));
  BOOST_TEST(!is(err, errc::locked));
  BOOST_TEST(err.category() == error_category());
  BOOST_TEST(context_of(err) == "seq 42: checksum mismatch");
  BOOST_TEST(render(err) == "corrupt_record: seq 42: checksum mismatch");
  BOOST_TEST(render(make_error(errc::closed)) == "closed");
}

BOOST_AUTO_TEST_CASE(every_code_has_a_name) {
  for (int code = 1; code <= static_cast<int>(errc::unreachable); ++code)
    BOOST_TEST(to_string(static_cast<errc>(code)).find("errc(") ==
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(errors_of_other_categories_render_through_caf) {
  caf::error err = caf::sec::request_timeout;
  BOOST_TEST(!is(err, errc::timed_out));
  BOOST_TEST(render(err).find("request_timeout") != std::string::npos);
  BOOST_TEST(render(caf::error{}) == "no error");
}

BOOST_AUTO_TEST_SUITE_END()
