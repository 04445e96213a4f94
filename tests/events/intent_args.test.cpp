// The stored arguments of an intent (storage/FORMAT.md, "Intent
// arguments").

#include "timecontrol/events/intent.hpp"

#include <boost/test/unit_test.hpp>

using namespace tc;

BOOST_AUTO_TEST_SUITE(events_intent_args)

BOOST_AUTO_TEST_CASE(the_stored_forms_never_change) {
  BOOST_TEST(encode_intent_args({"plain", 0}) == "plain");
  BOOST_TEST(encode_intent_args({"", 0}) == "");
  BOOST_TEST(encode_intent_args({"fuzzy 1 x", 0}) == "fixed fuzzy 1 x");
  BOOST_TEST(encode_intent_args({"fixed y", 0}) == "fixed fixed y");
  BOOST_TEST(encode_intent_args({"int 1 1000000", 99}) ==
             "fuzzy 99 int 1 1000000");
  BOOST_TEST(encode_intent_args({"", UINT64_MAX}) ==
             "fuzzy 18446744073709551615 ");
}

BOOST_AUTO_TEST_CASE(fixed_args_that_look_encoded_round_trip) {
  for (std::string args :
       {"", "plain", "fuzzy 1 x", "fixed y", "fuzzy", "fixed", "fuzzy x"}) {
    auto back = decode_intent_args(encode_intent_args({args, 0}));
    BOOST_REQUIRE(back);
    BOOST_TEST(back->args == args);
    BOOST_TEST(back->seed == 0u);
  }
}

BOOST_AUTO_TEST_CASE(drawn_args_round_trip_with_their_seed) {
  for (uint64_t seed : {uint64_t{1}, uint64_t{99}, UINT64_MAX})
    for (std::string gen : {"", "int 1 5", "pick a|b c"}) {
      auto back = decode_intent_args(encode_intent_args({gen, seed}));
      BOOST_REQUIRE(back);
      BOOST_TEST((*back == intent_args{gen, seed}));
    }
}

BOOST_AUTO_TEST_CASE(a_bad_seed_is_unreadable_not_guessed) {
  for (std::string stored : {"fuzzy ", "fuzzy x int 1 2", "fuzzy 0 int",
                             "fuzzy 007 int", "fuzzy 18446744073709551616 int",
                             "fuzzy 123456789012345678901 x", "fuzzy 12"})
    BOOST_TEST(!decode_intent_args(stored), stored);
}

BOOST_AUTO_TEST_SUITE_END()
