#include "timecontrol/events/event.hpp"

#include <boost/test/unit_test.hpp>

#include <set>

#include "tests/support/sample_events.hpp"

using namespace tc;

BOOST_AUTO_TEST_SUITE(events_event)

BOOST_AUTO_TEST_CASE(every_event_type_has_a_unique_number_and_name) {
  std::set<uint16_t> numbers;
  std::set<std::string_view> names;
  // One sample of every type, and a few more of later record versions.
  auto bodies = test::sample_bodies();
  BOOST_TEST(bodies.size() >= std::variant_size_v<event>);
  std::set<size_t> alternatives;
  for (auto& body : bodies) {
    auto type = type_of(body);
    if (!alternatives.insert(body.index()).second)
      continue; // another sample of a type already seen
    BOOST_TEST(numbers.insert(static_cast<uint16_t>(type)).second);
    BOOST_TEST(names.insert(name_of(type)).second);
    BOOST_TEST(!name_of(type).empty());
    BOOST_TEST(is_known_event_type(static_cast<uint16_t>(type)));
    BOOST_TEST((event_type_from_name(name_of(type)) == type));
  }
}

BOOST_AUTO_TEST_CASE(numbers_and_names_that_name_no_type_are_rejected) {
  BOOST_TEST(!is_known_event_type(0));
  BOOST_TEST(!is_known_event_type(999));
  BOOST_TEST(name_of(static_cast<event_type>(999)).empty());
  BOOST_TEST(!event_type_from_name("call_exploded").has_value());
  event x = call_requested{1};
  BOOST_TEST(!emplace_event(x, static_cast<event_type>(999)));
}

BOOST_AUTO_TEST_CASE(emplacing_the_held_type_keeps_the_value) {
  event x = call_finished{1, duration{5}, false, "boom"};
  BOOST_TEST(emplace_event(x, event_type::call_finished));
  BOOST_TEST(std::get<call_finished>(x).error == "boom");
  BOOST_TEST(emplace_event(x, event_type::call_started));
  BOOST_TEST((type_of(x) == event_type::call_started));
}

BOOST_AUTO_TEST_SUITE_END()
