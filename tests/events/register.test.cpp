#include "timecontrol/events/register.hpp"

#include <boost/test/unit_test.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/deep_to_string.hpp>
#include <caf/make_message.hpp>

#include "tests/support/sample_events.hpp"

using namespace tc;

BOOST_AUTO_TEST_SUITE(events_register)

BOOST_AUTO_TEST_CASE(envelopes_cross_caf_serialization_unchanged) {
  caf::actor_system_config cfg;
  register_types(cfg);
  caf::actor_system sys{cfg};
  for (auto& x : test::sample_envelopes(10)) {
    std::vector<char> buf;
    caf::binary_serializer sink{sys, buf};
    auto copy = x;
    BOOST_REQUIRE(!sink(copy));
    envelope back;
    caf::binary_deserializer source{sys, buf};
    BOOST_REQUIRE(!source(back));
    BOOST_TEST((back == x));
    // A message holding an envelope serializes too (what BASP does).
    auto msg = caf::make_message(x);
    BOOST_TEST(msg.match_element<envelope>(0));
  }
}

BOOST_AUTO_TEST_CASE(an_unknown_type_number_fails_caf_deserialization) {
  caf::actor_system_config cfg;
  register_types(cfg);
  caf::actor_system sys{cfg};
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  uint64_t seq = 3;
  time_point time{};
  std::string source = "s";
  uint16_t type = 999;
  BOOST_REQUIRE(!sink(seq, time, source, type));
  envelope back;
  caf::binary_deserializer in{sys, buf};
  auto err = in(back);
  BOOST_REQUIRE(err);
  BOOST_TEST(is(err, errc::unknown_event_type));
  BOOST_TEST(sys.render(err).find("seq 3") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(envelopes_print_readably) {
  auto text = caf::deep_to_string(test::sample_envelopes(1).front());
  BOOST_TEST(text.find("call_requested") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(tc_errors_render_with_their_name_and_context) {
  caf::actor_system_config cfg;
  register_types(cfg);
  caf::actor_system sys{cfg};
  auto err = make_error(errc::locked, "/tmp/x: held by pid 7");
  BOOST_TEST(sys.render(err) == "locked: /tmp/x: held by pid 7");
  BOOST_TEST(render(err) == "locked: /tmp/x: held by pid 7");
}

BOOST_AUTO_TEST_SUITE_END()
