// The catalogue is the one definition of the event types: these checks keep
// what is derived from it, and storage/FORMAT.md, in step with it.

#include "timecontrol/events/event.hpp"

#include <boost/test/unit_test.hpp>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "tests/support/sample_events.hpp"
#include "timecontrol/events/codec.hpp"

using namespace tc;

namespace {

/// The encoding FORMAT.md gives a field of C++ type T.
template <class T>
std::string encoding_of() {
  if constexpr (std::is_same_v<T, bool>)
    return "bool";
  else if constexpr (std::is_same_v<T, duration> || std::is_same_v<T, int32_t>)
    return "zigzag";
  else if constexpr (std::is_same_v<T, time_point>)
    return "fixed64le";
  else if constexpr (std::is_same_v<T, std::string>)
    return "string";
  else if constexpr (std::is_enum_v<T>)
    return "enum";
  else
    return "varint";
}

struct documented {
  std::string name;
  /// "field:encoding" in order.
  std::vector<std::string> fields;
};

/// The rows of FORMAT.md's table of event types, by number.
std::map<uint16_t, documented> format_table() {
  std::ifstream in{TC_SOURCE_DIR "/storage/FORMAT.md"};
  BOOST_REQUIRE_MESSAGE(in, "cannot read storage/FORMAT.md");
  std::map<uint16_t, documented> rows;
  for (std::string line; std::getline(in, line);) {
    // | 2 | `call_admitted` | call_id:varint waited:zigzag |
    std::vector<std::string> cells;
    std::stringstream ss{line};
    for (std::string cell; std::getline(ss, cell, '|');)
      cells.push_back(cell);
    if (cells.size() < 4 || line.front() != '|')
      continue;
    auto number = cells[1];
    auto name = cells[2];
    number.erase(0, number.find_first_not_of(' '));
    if (number.empty() || number[0] < '0' || number[0] > '9' ||
        name.find('`') == std::string::npos)
      continue;
    documented row;
    auto first = name.find('`');
    row.name = name.substr(first + 1, name.find('`', first + 1) - first - 1);
    std::stringstream fields{cells[3]};
    for (std::string token; fields >> token;)
      if (token.find(':') != std::string::npos)
        row.fields.push_back(token.substr(0, token.find('(')));
    rows[static_cast<uint16_t>(std::stoul(number))] = row;
  }
  return rows;
}

} // namespace

BOOST_AUTO_TEST_SUITE(events_catalogue)

BOOST_AUTO_TEST_CASE(every_type_is_written_down_in_format_md_as_it_is_encoded) {
  auto rows = format_table();
  size_t types = 0;
  [&]<size_t... Is>(std::index_sequence<Is...>) {
    (
        [&] {
          using E = std::variant_alternative_t<Is, event>;
          ++types;
          auto number = static_cast<uint16_t>(event_traits<E>::type);
          BOOST_TEST_CONTEXT("event type " << event_traits<E>::name) {
            auto row = rows.find(number);
            BOOST_TEST_REQUIRE((row != rows.end()),
                               "FORMAT.md has no row for number " << number);
            BOOST_TEST(row->second.name == event_traits<E>::name);
            std::vector<std::string> fields;
            E x;
            for_each_field(x, [&](const auto& field, const auto& value) {
              auto since = field.since > 1
                               ? "[v" + std::to_string(field.since) + "]"
                               : std::string{};
              fields.push_back(std::string{field.name} + ":" +
                               encoding_of<std::decay_t<decltype(value)>>() +
                               since);
            });
            BOOST_TEST(row->second.fields == fields,
                       boost::test_tools::per_element());
          }
        }(),
        ...);
  }
  (std::make_index_sequence<std::variant_size_v<event>>{});
  // And FORMAT.md names no type the catalogue lacks.
  BOOST_TEST(rows.size() == types);
}

BOOST_AUTO_TEST_CASE(names_and_numbers_come_from_the_catalogue) {
  std::set<uint16_t> numbers;
  std::set<std::string_view> names;
  // (A type may have more than one sample: those of later record versions.)
  for (auto& body : test::sample_bodies()) {
    auto type = type_of(body);
    numbers.insert(static_cast<uint16_t>(type));
    names.insert(name_of(type));
    BOOST_TEST(is_known_event_type(static_cast<uint16_t>(type)));
    BOOST_TEST((event_type_from_name(name_of(type)) == type));
    BOOST_TEST(alternative_of(type) == body.index());
  }
  // Every type has a sample (generated when not written by hand), and one
  // name per number.
  BOOST_TEST(numbers.size() == std::variant_size_v<event>);
  BOOST_TEST(names.size() == numbers.size());
  BOOST_TEST(name_of(static_cast<event_type>(999)).empty());
  BOOST_TEST(!is_known_event_type(999));
}

BOOST_AUTO_TEST_CASE(a_sample_of_every_type_survives_the_codec) {
  for (auto& x : test::sample_envelopes(1)) {
    BOOST_TEST_INFO("type " << name_of(x.type()));
    auto back = codec::decode(codec::encode(x));
    BOOST_REQUIRE(back);
    BOOST_TEST((*back == x));
  }
}

BOOST_AUTO_TEST_SUITE_END()
