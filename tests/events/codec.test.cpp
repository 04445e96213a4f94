#include "timecontrol/events/codec.hpp"

#include <boost/test/unit_test.hpp>

#include "tests/support/hex.hpp"
#include "tests/support/sample_events.hpp"
#include "timecontrol/core/crc32c.hpp"

using namespace tc;

namespace {

// Rewrites the checksum of a record after its body was edited.
void fix_checksum(std::string& record) {
  auto crc = crc32c(std::string_view{record}.substr(5));
  for (int i = 0; i < 4; ++i)
    record[1 + i] = static_cast<char>(crc >> (8 * i));
}

} // namespace

BOOST_AUTO_TEST_SUITE(events_codec)

BOOST_AUTO_TEST_CASE(every_event_type_survives_a_round_trip) {
  for (auto& x : test::sample_envelopes(100)) {
    auto bytes = codec::encode(x);
    auto back = codec::decode(bytes);
    BOOST_TEST_INFO("type " << name_of(x.type()));
    BOOST_REQUIRE(back);
    BOOST_TEST((*back == x));
  }
}

BOOST_AUTO_TEST_CASE(decoding_into_a_used_envelope_replaces_everything) {
  auto samples = test::sample_envelopes(1);
  envelope scratch;
  for (auto& x : samples) {
    BOOST_REQUIRE(!codec::decode(codec::encode(x), scratch));
    BOOST_TEST((scratch == x));
  }
  // Same type twice in a row: the reused alternative is fully overwritten.
  auto a = envelope{5, test::sample_time(), "a",
                    call_finished{1, duration{2}, false, "long error text"}};
  auto b = envelope{6, test::sample_time(), "b",
                    call_finished{2, duration{3}, true, ""}};
  BOOST_REQUIRE(!codec::decode(codec::encode(a), scratch));
  BOOST_REQUIRE(!codec::decode(codec::encode(b), scratch));
  BOOST_TEST((scratch == b));
}

BOOST_AUTO_TEST_CASE(extreme_values_survive_a_round_trip) {
  envelope x{UINT64_MAX, from_nanos(INT64_MIN), std::string(1000, 'x'),
             call_throttled{UINT64_MAX, duration{INT64_MIN},
                            throttle_action::dropped}};
  auto back = codec::decode(codec::encode(x));
  BOOST_REQUIRE(back);
  BOOST_TEST((*back == x));
  x.body = intent_scheduled{0, "", "", "", INT32_MIN, "", ""};
  back = codec::decode(codec::encode(x));
  BOOST_REQUIRE(back);
  BOOST_TEST((*back == x));
}

// The bytes of format version 1, as logs written before version 2 hold
// them. If this test fails, old logs no longer read.
BOOST_AUTO_TEST_CASE(records_of_format_version_1_still_read) {
  auto samples = test::sample_envelopes(1);
  std::vector<std::string> golden = {
      "01a00b169801000046327289eb1808736f757263652d300107",
      "018fd2ef7002e80346327289eb1808736f757263652d310207c08db701",
      "0119a22b9f03d00746327289eb1808736f757263652d3203088088debe0100",
      "01cbed8cc904b80b46327289eb1808736f757263652d300407",
      "01f5144f6d05a00f46327289eb1808736f757263652d31050780ecb80b001b4854545020"
      "3432393a20746f6f206d616e79207265717565737473",
      "01e56f51e606881346327289eb1808736f757263652d32060980c8afa025",
      "01da31fdad07701746327289eb1808736f757263652d30140b706f6c6c2d707269636573"
      "0102",
      "01336efb0808581b46327289eb1808736f757263652d31150b706f6c6c2d707269636573"
      "80f28ba809",
      "013faef50309401f46327289eb1808736f757263652d32282a0b73656e642d7265706f72"
      "741063726f6e202a2f35202a202a202a202a11636f616c65736365206772616365203173"
      "05030001ff",
      "01aeeddaf20a282346327289eb1808736f757263652d30292a00b8aa0bb889eb18046172"
      "6773",
      "0176044f310b102746327289eb1808736f757263652d312a2a00a8fe396489eb180302",
      "01d90885190cf82a46327289eb1808736f757263652d322b2a",
      "016d26e33e0de02e46327289eb1808736f757263652d303c0c352f732062757273742031"
      "30",
      "01171731db0ec83246327289eb1808736f757263652d313d922105302e312e30",
      "016944119d0fb03646327289eb1808736f757263652d323e0873687574646f776e"};
  // The first samples are the hand-written ones of version 1's types; the
  // fields added later (the key of intent_scheduled) read as empty.
  BOOST_REQUIRE(golden.size() <= samples.size());
  for (size_t i = 0; i < golden.size(); ++i) {
    BOOST_TEST_INFO("type " << name_of(samples[i].type()));
    auto expected = samples[i];
    if (auto* s = std::get_if<intent_scheduled>(&expected.body))
      s->key.clear();
    auto back = codec::decode(test::from_hex(golden[i]));
    BOOST_REQUIRE(back);
    BOOST_TEST((*back == expected));
  }
}

// The bytes of format version 2, which this build writes for every event
// that needs nothing newer. If this test fails, the stored format changed:
// bump codec::format_version, keep reading version 2, update FORMAT.md, then
// add the new version's bytes here.
BOOST_AUTO_TEST_CASE(the_stored_bytes_of_format_version_2_never_change) {
  auto samples = test::sample_envelopes(1);
  std::vector<std::string> golden = {
      "02a00b169801000046327289eb1808736f757263652d300107",
      "028fd2ef7002e80346327289eb1808736f757263652d310207c08db701",
      "0219a22b9f03d00746327289eb1808736f757263652d3203088088debe0100",
      "02cbed8cc904b80b46327289eb1808736f757263652d300407",
      "02f5144f6d05a00f46327289eb1808736f757263652d31050780ecb80b001b4854545020"
      "3432393a20746f6f206d616e79207265717565737473",
      "02e56f51e606881346327289eb1808736f757263652d32060980c8afa025",
      "02da31fdad07701746327289eb1808736f757263652d30140b706f6c6c2d707269636573"
      "0102",
      "02336efb0808581b46327289eb1808736f757263652d31150b706f6c6c2d707269636573"
      "80f28ba809",
      "027bf0386e09401f46327289eb1808736f757263652d32282a0b73656e642d7265706f72"
      "741063726f6e202a2f35202a202a202a202a11636f616c65736365206772616365203173"
      "05030001ff067265706f7274",
      "02aeeddaf20a282346327289eb1808736f757263652d30292a00b8aa0bb889eb18046172"
      "6773",
      "0276044f310b102746327289eb1808736f757263652d312a2a00a8fe396489eb180302",
      "02d90885190cf82a46327289eb1808736f757263652d322b2a",
      "026d26e33e0de02e46327289eb1808736f757263652d303c0c352f732062757273742031"
      "30",
      "02171731db0ec83246327289eb1808736f757263652d313d922105302e312e30",
      "026944119d0fb03646327289eb1808736f757263652d323e0873687574646f776e",
      // log_repaired (which store version 2, a repaired log, brought)
      "0205dcb3c010983a46327289eb1808736f757263652d303f0738332e2e3136380c3136"
      "392e2e313034383734342d3030303031322e6c6f67206174206f6666736574203438"
      "39392028636865636b73756d206d69736d6174636829"};
  BOOST_REQUIRE(golden.size() <= samples.size());
  for (size_t i = 0; i < golden.size(); ++i) {
    BOOST_TEST_INFO("type " << name_of(samples[i].type()));
    BOOST_TEST(test::to_hex(codec::encode(samples[i])) == golden[i]);
    auto back = codec::decode(test::from_hex(golden[i]));
    BOOST_REQUIRE(back);
    BOOST_TEST((*back == samples[i]));
  }
}

// The bytes of format version 3: a call_admitted of cost 5 and a
// call_throttled (expired), the only events that need it; the samples after
// log_repaired. A call_admitted of cost 1 stays version 2 (above).
BOOST_AUTO_TEST_CASE(the_stored_bytes_of_format_version_3_never_change) {
  auto samples = test::sample_envelopes(1);
  std::vector<std::pair<size_t, std::string>> golden = {
      {16, "031905283811803e46327289eb1808736f757263652d310207c08db70105"},
      {17, "038d6a023512684246327289eb1808736f757263652d320308808c8d9e0203"}};
  for (auto& [i, hex] : golden) {
    BOOST_TEST_INFO("sample " << i << ": " << name_of(samples[i].type()));
    BOOST_REQUIRE(i < samples.size());
    BOOST_TEST(codec::record_version_of(samples[i]) == 3u);
    BOOST_TEST(test::to_hex(codec::encode(samples[i])) == hex);
    auto back = codec::decode(test::from_hex(hex));
    BOOST_REQUIRE(back);
    BOOST_TEST((*back == samples[i]));
  }
  // Cost 1 and the other actions need nothing newer than version 2.
  BOOST_TEST(codec::record_version_of(samples[1]) == 2u);
  BOOST_TEST(codec::record_version_of(samples[2]) == 2u);
}

// The bytes of format version 4: a call_admitted and a call_throttled of a
// key (a limit per key), the only events that need it; the samples after
// those of version 3. An empty key is not stored (the records above).
BOOST_AUTO_TEST_CASE(the_stored_bytes_of_format_version_4_never_change) {
  auto samples = test::sample_envelopes(1);
  std::vector<std::pair<size_t, std::string>> golden = {
      {18, "048841af4f13504646327289eb1808736f757263652d30020a000107757365722d"
           "3432"},
      {19, "041bc8e83314384a46327289eb1808736f757263652d31030b80cab5ee010108"
           "31302e302e302e37"}};
  for (auto& [i, hex] : golden) {
    BOOST_TEST_INFO("sample " << i << ": " << name_of(samples[i].type()));
    BOOST_REQUIRE(i < samples.size());
    BOOST_TEST(codec::record_version_of(samples[i]) == 4u);
    BOOST_TEST(test::to_hex(codec::encode(samples[i])) == hex);
    auto back = codec::decode(test::from_hex(hex));
    BOOST_REQUIRE(back);
    BOOST_TEST((*back == samples[i]));
  }
  // A version 4 record stores the cost too, 1 here; a keyed call of cost 5
  // reads back whole.
  envelope weighted{3, test::sample_time(), "api",
                    call_admitted{4, duration{0}, 5, "user-1"}};
  auto back = codec::decode(codec::encode(weighted));
  BOOST_REQUIRE(back);
  BOOST_TEST((*back == weighted));
  // A record of version 3 (or older) never has a key: it reads as "".
  auto v3 = test::from_hex(
      "031905283811803e46327289eb1808736f757263652d310207c08db70105");
  auto old = codec::decode(v3);
  BOOST_REQUIRE(old);
  BOOST_TEST(std::get<call_admitted>(old->body).key.empty());
}

// The bytes of format version 5: node_joined and node_lost (nodes over the
// network), the only events that need it; the samples after those of
// version 4. A build that reads up to version 4 refuses them as newer.
BOOST_AUTO_TEST_CASE(the_stored_bytes_of_format_version_5_never_change) {
  auto samples = test::sample_envelopes(1);
  std::vector<std::pair<size_t, std::string>> golden = {
      {20, "05304099b815204e46327289eb1808736f757263652d324008776f726b65722d31"
           "9321"},
      {21, "0526c19d6916085246327289eb1808736f757263652d304108776f726b65722d31"
           "1772656d6f74655f6c696e6b5f756e726561636861626c65"}};
  for (auto& [i, hex] : golden) {
    BOOST_TEST_INFO("sample " << i << ": " << name_of(samples[i].type()));
    BOOST_REQUIRE(i < samples.size());
    BOOST_TEST(codec::record_version_of(samples[i]) == 5u);
    BOOST_TEST(test::to_hex(codec::encode(samples[i])) == hex);
    auto back = codec::decode(test::from_hex(hex));
    BOOST_REQUIRE(back);
    BOOST_TEST((*back == samples[i]));
  }
}

BOOST_AUTO_TEST_CASE(a_newer_format_version_is_an_error_naming_the_seq) {
  auto bytes = codec::encode(test::sample_envelopes(7).front());
  bytes[0] = static_cast<char>(codec::format_version + 1);
  auto back = codec::decode(bytes, 7);
  BOOST_REQUIRE(!back);
  BOOST_TEST(is(back.error(), errc::newer_format));
  BOOST_TEST(render(back.error()).find("seq 7") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_unknown_event_type_is_an_error_naming_the_seq) {
  envelope x{31, test::sample_time(), "s", call_requested{1}};
  auto bytes = codec::encode(x);
  // Layout: version(1) crc(4) seq(1: 31) time(8) source(2: len 1, "s") type.
  auto type_at = 1 + 4 + 1 + 8 + 2;
  BOOST_REQUIRE(bytes[type_at] == 1);
  bytes[type_at] = 99;
  fix_checksum(bytes);
  auto back = codec::decode(bytes);
  BOOST_REQUIRE(!back);
  BOOST_TEST(is(back.error(), errc::unknown_event_type));
  BOOST_TEST(render(back.error()) == "unknown_event_type: seq 31: unknown "
                                     "event type 99");
}

BOOST_AUTO_TEST_CASE(
    a_flipped_bit_in_the_checksum_or_body_is_reported_as_corrupt) {
  auto bytes = codec::encode(test::sample_envelopes(3)[4]);
  for (size_t i = 1; i < bytes.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      auto damaged = bytes;
      damaged[i] = static_cast<char>(damaged[i] ^ (1 << bit));
      auto back = codec::decode(damaged, 3);
      BOOST_TEST_INFO("byte " << i << " bit " << bit);
      BOOST_REQUIRE(!back);
      BOOST_TEST(is(back.error(), errc::corrupt_record));
      BOOST_TEST(render(back.error()).find("seq 3") != std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_CASE(every_truncation_is_an_error_not_a_crash) {
  for (auto& x : test::sample_envelopes(1)) {
    auto bytes = codec::encode(x);
    for (size_t n = 0; n < bytes.size(); ++n) {
      auto back = codec::decode(std::string_view{bytes}.substr(0, n));
      BOOST_TEST(!back);
    }
  }
}

BOOST_AUTO_TEST_CASE(trailing_bytes_and_bad_values_are_corrupt) {
  envelope x{2, test::sample_time(), "s",
             call_finished{1, duration{1}, true, ""}};
  auto bytes = codec::encode(x);
  auto longer = bytes + "z";
  fix_checksum(longer);
  auto back = codec::decode(longer);
  BOOST_REQUIRE(!back);
  BOOST_TEST(render(back.error()) == "corrupt_record: seq 2: 1 trailing bytes");
  // The `ok` flag is the second to last byte: 2 is not a boolean.
  auto bad_bool = bytes;
  bad_bool[bad_bool.size() - 2] = 2;
  fix_checksum(bad_bool);
  back = codec::decode(bad_bool);
  BOOST_REQUIRE(!back);
  BOOST_TEST(render(back.error()) ==
             "corrupt_record: seq 2: call_finished: boolean out of range");
}

BOOST_AUTO_TEST_CASE(an_out_of_range_enumeration_value_is_corrupt) {
  envelope x{2, test::sample_time(), "s",
             call_throttled{1, duration{1}, throttle_action::dropped}};
  auto bytes = codec::encode(x);
  bytes.back() = 4;
  fix_checksum(bytes);
  auto back = codec::decode(bytes);
  BOOST_REQUIRE(!back);
  BOOST_TEST(render(back.error()) ==
             "corrupt_record: seq 2: call_throttled: enumeration value out "
             "of range");
  // `expired` (3) came with record version 3: in a record of version 2 it
  // is damage, not an expired call.
  BOOST_REQUIRE(bytes[0] == 2);
  bytes.back() = 3;
  fix_checksum(bytes);
  back = codec::decode(bytes);
  BOOST_REQUIRE(!back);
  BOOST_TEST(render(back.error()) ==
             "corrupt_record: seq 2: call_throttled: a value of record format "
             "version 3 in a record of version 2");
}

BOOST_AUTO_TEST_CASE(a_record_stored_under_another_seq_is_corrupt) {
  auto bytes = codec::encode(test::sample_envelopes(5).front());
  auto back = codec::decode(bytes, 6);
  BOOST_REQUIRE(!back);
  BOOST_TEST(render(back.error()) ==
             "corrupt_record: seq 6: record holds seq 5");
}

BOOST_AUTO_TEST_SUITE_END()
