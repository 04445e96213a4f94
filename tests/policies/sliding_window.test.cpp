#include <boost/test/unit_test.hpp>

#include "tests/support/hex.hpp"

#include "timecontrol/policies/sliding_window.hpp"

#include <algorithm>
#include <optional>
#include <random>
#include <string>
#include <vector>

using namespace tc;
using namespace std::chrono_literals;

namespace {

time_point at(int64_t n) {
  return from_nanos(n);
}

} // namespace

BOOST_AUTO_TEST_SUITE(sliding_window_tests)

BOOST_AUTO_TEST_CASE(n_calls_in_a_window_pass_and_the_next_is_refused) {
  sliding_window sw{3, 10ns};
  BOOST_TEST(sw.admit(at(0)).admitted);
  BOOST_TEST(sw.admit(at(1)).admitted);
  BOOST_TEST(sw.admit(at(2)).admitted);
  auto a = sw.admit(at(3));
  BOOST_TEST(!a.admitted);
  BOOST_TEST((a.earliest == at(10)));
  BOOST_TEST((a.retry_after == 7ns));
}

BOOST_AUTO_TEST_CASE(a_slot_frees_exactly_one_window_after_the_oldest_call) {
  sliding_window sw{2, 10ns};
  sw.admit(at(0));
  sw.admit(at(4));
  BOOST_TEST(!sw.admit(at(9)).admitted);
  BOOST_TEST(sw.admit(at(10)).admitted);
  auto a = sw.admit(at(11));
  BOOST_TEST(!a.admitted);
  BOOST_TEST((a.earliest == at(14)));
}

BOOST_AUTO_TEST_CASE(twenty_calls_per_ten_seconds) {
  sliding_window sw{20, 10s};
  for (int i = 0; i < 20; ++i)
    BOOST_REQUIRE(sw.admit(at(i * 100'000'000)).admitted); // every 100ms
  auto a = sw.admit(at(2'000'000'000));
  BOOST_TEST(!a.admitted);
  BOOST_TEST((a.earliest == at(10'000'000'000)));
  BOOST_TEST(sw.free_slots(at(2'000'000'000)) == 0u);
  BOOST_TEST(sw.free_slots(at(10'150'000'000)) == 2u);
}

BOOST_AUTO_TEST_CASE(a_refused_call_is_not_recorded) {
  sliding_window sw{1, 10ns};
  sw.admit(at(0));
  sw.admit(at(5));
  BOOST_TEST(sw.calls().size() == 1u);
  BOOST_TEST(sw.admit(at(10)).admitted);
}

BOOST_AUTO_TEST_CASE(a_limit_of_zero_admits_nothing_ever) {
  sliding_window sw{0, 10ns};
  auto a = sw.admit(at(0));
  BOOST_TEST(!a.admitted);
  BOOST_TEST((a.earliest == never));
  BOOST_TEST((a.retry_after == duration::max()));
}

BOOST_AUTO_TEST_CASE(a_zero_window_admits_everything_and_remembers_nothing) {
  sliding_window sw{1, 0ns};
  for (int i = 0; i < 10; ++i)
    BOOST_REQUIRE(sw.admit(at(5)).admitted);
  BOOST_TEST(sw.calls().empty());
}

BOOST_AUTO_TEST_CASE(a_huge_window_does_not_overflow) {
  sliding_window sw{1, duration::max()};
  BOOST_TEST(sw.admit(at(INT64_MAX - 5)).admitted);
  auto a = sw.admit(at(INT64_MAX));
  BOOST_TEST(!a.admitted);
  BOOST_TEST((a.earliest == never));
}

BOOST_AUTO_TEST_CASE(a_call_before_the_latest_is_judged_at_the_latest) {
  sliding_window sw{2, 10ns};
  sw.admit(at(100));
  sw.admit(at(105));
  auto a = sw.admit(at(50)); // time went backwards
  BOOST_TEST(!a.admitted);
  BOOST_TEST((a.earliest == at(110)));
  BOOST_TEST((a.retry_after == 60ns));
  sliding_window one{2, 10ns};
  one.admit(at(100));
  BOOST_TEST(one.admit(at(50)).admitted);      // a free slot is a free slot
  BOOST_TEST((one.calls().back() == at(100))); // recorded at the latest time
  BOOST_TEST(!one.admit(at(109)).admitted);
}

// -- properties ---------------------------------------------------------------

// Brute force: a call at t is admitted iff fewer than `limit` admitted calls
// lie in (t - window, t], with t clamped to the latest admitted call; the
// earliest time is found by stepping forward one nanosecond at a time.
BOOST_AUTO_TEST_CASE(admit_matches_a_brute_force_reference) {
  std::mt19937_64 rng{77};
  for (int round = 0; round < 300; ++round) {
    auto limit = 1 + rng() % 5;
    auto window = 1 + static_cast<int64_t>(rng() % 30);
    sliding_window sw{limit, duration{window}};
    std::vector<int64_t> admitted;
    auto count_in = [&](int64_t t) {
      uint64_t n = 0;
      for (auto c : admitted)
        if (c > t - window && c <= t)
          ++n;
      return n;
    };
    int64_t t = 0;
    for (int i = 0; i < 80; ++i) {
      t += static_cast<int64_t>(rng() % 10) - 2;
      auto eff = admitted.empty() ? t : std::max(t, admitted.back());
      bool expect = count_in(eff) < limit;
      auto a = sw.admit(at(t));
      BOOST_REQUIRE_EQUAL(a.admitted, expect);
      if (expect) {
        admitted.push_back(eff);
      } else {
        auto e = eff;
        while (count_in(e) >= limit)
          ++e;
        BOOST_REQUIRE_EQUAL(to_nanos(a.earliest), e);
        BOOST_REQUIRE(a.retry_after >= 0ns);
      }
      // Invariant: no window [s, s + window) holds more than limit calls.
      for (auto s : admitted) {
        uint64_t n = 0;
        for (auto c : admitted)
          if (c >= s && c < s + window)
            ++n;
        BOOST_REQUIRE(n <= limit);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(replaying_the_same_calls_gives_the_same_state) {
  std::mt19937_64 rng{4};
  sliding_window a{5, 100ns};
  sliding_window b{5, 100ns};
  int64_t t = 0;
  for (int i = 0; i < 1000; ++i) {
    t += static_cast<int64_t>(rng() % 50) - 5;
    BOOST_REQUIRE((a.admit(at(t)) == b.admit(at(t))));
  }
  BOOST_TEST((a == b));
}

// -- serialization ------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_state_survives_a_round_trip) {
  sliding_window sw{4, 1s};
  sw.admit(at(-5'000'000'000));
  sw.admit(at(7));
  sw.admit(at(INT64_MAX - 1));
  auto back = sliding_window::deserialize(sw.serialize());
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST((*back == sw));
}

BOOST_AUTO_TEST_CASE(garbage_is_rejected) {
  sliding_window sw{3, 1s};
  sw.admit(at(10));
  sw.admit(at(20));
  auto bytes = sw.serialize();
  for (size_t n = 0; n < bytes.size(); ++n)
    BOOST_TEST(!sliding_window::deserialize(bytes.substr(0, n)).has_value());
  BOOST_TEST(!sliding_window::deserialize(bytes + "?").has_value());
  // More times than the limit.
  auto claimed = bytes;
  claimed[2] = 1; // limit 1, but two times follow
  BOOST_TEST(!sliding_window::deserialize(claimed).has_value());
  // A huge claimed count must not allocate or crash.
  std::string huge = bytes.substr(0, 2 + 1 + 8);
  huge += "\xff\xff\xff\xff\xff\xff\xff\xff\x7f";
  BOOST_TEST(!sliding_window::deserialize(huge).has_value());
  std::mt19937_64 rng{2};
  for (int i = 0; i < 2000; ++i) {
    auto junk = bytes;
    junk[rng() % junk.size()] = static_cast<char>(rng());
    if (auto r = sliding_window::deserialize(junk))
      r->admit(at(100));
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(sliding_window_golden)

BOOST_AUTO_TEST_CASE(the_byte_format_is_pinned) {
  sliding_window sw{3, duration{10}};
  sw.admit(from_nanos(1));
  sw.admit(from_nanos(4));
  BOOST_TEST(test::to_hex(sw.serialize()) == "0401"
                                             "03"
                                             "0a00000000000000"
                                             "02"
                                             "0100000000000000"
                                             "0300000000000000");
}

BOOST_AUTO_TEST_CASE(
    a_weighted_call_is_admitted_when_as_many_unit_calls_would_be) {
  // Reference: a call of weight n at t is admitted iff n calls of weight 1
  // at t all are, and then leaves the same state; its earliest time is the
  // first candidate (t, or a remembered call's time + window) at which n
  // unit calls all are.
  std::mt19937_64 rng{12};
  for (int round = 0; round < 300; ++round) {
    uint64_t limit = 1 + rng() % 6;
    sliding_window w{limit, duration{100}};
    int64_t t = 0;
    for (int i = 0; i < 40; ++i) {
      t += static_cast<int64_t>(rng() % 60);
      uint64_t n = 1 + rng() % (limit + 1);
      auto units = [&](sliding_window copy, int64_t when) {
        for (uint64_t k = 0; k < n; ++k)
          if (!copy.admit(at(when)).admitted)
            return std::optional<sliding_window>{};
        return std::optional<sliding_window>{copy};
      };
      auto expected = units(w, t);
      auto c = w.check(at(t), n);
      BOOST_TEST_INFO("round " << round << " call " << i << " n " << n);
      BOOST_REQUIRE(c.admitted == expected.has_value());
      if (!c.admitted) {
        auto want = never;
        if (n <= limit) {
          std::vector<int64_t> candidates;
          for (auto x : w.calls())
            candidates.push_back(to_nanos(x) + 100);
          std::sort(candidates.begin(), candidates.end());
          for (auto when : candidates)
            if (when >= t && units(w, when)) {
              want = at(when);
              break;
            }
        }
        BOOST_REQUIRE((c.earliest == want));
      }
      auto a = w.admit(at(t), n);
      BOOST_REQUIRE((a == c));
      if (expected)
        BOOST_REQUIRE((w == *expected));
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
