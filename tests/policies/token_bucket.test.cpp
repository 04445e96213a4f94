#include <boost/test/unit_test.hpp>

#include "tests/support/hex.hpp"

#include "timecontrol/policies/token_bucket.hpp"

#include <random>
#include <string>

using namespace tc;
using namespace std::chrono_literals;

namespace {

time_point at(int64_t n) {
  return from_nanos(n);
}

time_point at_ms(int64_t ms) {
  return from_nanos(ms * 1'000'000);
}

} // namespace

BOOST_AUTO_TEST_SUITE(token_bucket_tests)

// -- basic behaviour
// -----------------------------------------------------------

BOOST_AUTO_TEST_CASE(the_bucket_starts_full) {
  token_bucket tb{token_rate::per_second(10), 3, at(0)};
  BOOST_TEST(tb.tokens(at(0)) == 3.0);
  BOOST_TEST(tb.allow(at(0)));
  BOOST_TEST(tb.allow(at(0)));
  BOOST_TEST(tb.allow(at(0)));
  BOOST_TEST(!tb.allow(at(0)));
}

BOOST_AUTO_TEST_CASE(a_refused_call_reports_when_the_token_will_be_there) {
  token_bucket tb{token_rate::per_second(10), 1, at(0)};
  BOOST_TEST(tb.allow(at(0)));
  auto a = tb.admit(at_ms(30));
  BOOST_TEST(!a.admitted);
  BOOST_TEST((a.earliest == at_ms(100)));
  BOOST_TEST((a.retry_after == 70ms));
  BOOST_TEST(!tb.allow(at_ms(100) - 1ns));
  BOOST_TEST(tb.allow(at_ms(100)));
}

BOOST_AUTO_TEST_CASE(tokens_refill_continuously_up_to_the_burst) {
  token_bucket tb{token_rate::per_second(4), 2, at(0)};
  BOOST_TEST(tb.allow(at(0), 2));
  BOOST_TEST(tb.tokens(at_ms(125)) == 0.5);
  BOOST_TEST(tb.tokens(at_ms(250)) == 1.0);
  BOOST_TEST(tb.tokens(at_ms(10'000)) == 2.0);
}

BOOST_AUTO_TEST_CASE(a_fractional_rate_is_exact) {
  // 3 tokens per 7ns: after 7ns exactly 3 tokens, never drifting.
  token_bucket tb{token_rate{3, 7ns}, 3, at(0)};
  BOOST_TEST(tb.allow(at(0), 3));
  for (int64_t k = 1; k <= 1000; ++k) {
    BOOST_REQUIRE(!tb.allow(at(7 * k - 1), 3));
    BOOST_REQUIRE(tb.allow(at(7 * k), 3));
  }
}

// -- burst edges
// ----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(n_equal_to_the_burst_is_ok_when_full) {
  token_bucket tb{token_rate::per_second(1), 5, at(0)};
  BOOST_TEST(tb.allow(at(0), 5));
}

BOOST_AUTO_TEST_CASE(n_greater_than_the_burst_is_never_ok) {
  token_bucket tb{token_rate::per_second(1), 5, at(0)};
  auto a = tb.admit(at(0), 6);
  BOOST_TEST(!a.admitted);
  BOOST_TEST((a.earliest == never));
  BOOST_TEST((a.retry_after == duration::max()));
  auto r = tb.reserve(at(0), 6);
  BOOST_TEST(!r.ok);
  BOOST_TEST((r.delay_from(at(0)) == duration::max()));
  BOOST_TEST(tb.tokens(at(0)) == 5.0);
}

BOOST_AUTO_TEST_CASE(a_zero_burst_admits_nothing_but_n_zero) {
  token_bucket tb{token_rate::per_second(100), 0, at(0)};
  BOOST_TEST(!tb.allow(at(0)));
  BOOST_TEST(!tb.allow(at_ms(100'000)));
  BOOST_TEST(tb.allow(at(0), 0));
}

BOOST_AUTO_TEST_CASE(a_negative_n_is_never_admitted) {
  token_bucket tb{token_rate::per_second(100), 10, at(0)};
  BOOST_TEST(!tb.allow(at(0), -1));
  BOOST_TEST(!tb.reserve(at(0), -1).ok);
  BOOST_TEST(tb.tokens(at(0)) == 10.0);
}

BOOST_AUTO_TEST_CASE(a_huge_n_does_not_overflow) {
  token_bucket tb{token_rate{INT64_MAX, 1ns}, INT64_MAX, at(0)};
  BOOST_TEST(tb.allow(at(0), INT64_MAX));
  BOOST_TEST(!tb.allow(at(0), INT64_MAX));
  BOOST_TEST(tb.allow(at(1), INT64_MAX));
  token_bucket slow{token_rate{1, duration::max()}, INT64_MAX, at(0)};
  BOOST_TEST(slow.allow(at(0), INT64_MAX));
  auto a = slow.admit(at(0), INT64_MAX);
  BOOST_TEST(!a.admitted);
  BOOST_TEST((a.earliest == never));
}

// -- rate 0 and infinite
// ----------------------------------------------------------

BOOST_AUTO_TEST_CASE(an_infinite_rate_admits_everything) {
  token_bucket tb{token_rate::infinite(), 0, at(0)};
  BOOST_TEST(tb.allow(at(0), 1'000'000));
  BOOST_TEST(tb.allow(at(0), INT64_MAX));
  auto r = tb.reserve(at(5), 1000);
  BOOST_TEST(r.ok);
  BOOST_TEST((r.delay_from(at(5)) == 0ns));
  BOOST_TEST(token_rate::every(0ns).is_infinite());
}

BOOST_AUTO_TEST_CASE(a_zero_rate_spends_the_burst_and_never_refills) {
  token_bucket tb{token_rate::zero(), 2, at(0)};
  BOOST_TEST(tb.allow(at(0)));
  BOOST_TEST(tb.allow(at(10)));
  auto a = tb.admit(at(20));
  BOOST_TEST(!a.admitted);
  BOOST_TEST((a.earliest == never));
  BOOST_TEST(!tb.reserve(at(20)).ok);
  BOOST_TEST(tb.tokens(at_ms(1'000'000)) == 0.0);
}

// -- time going backwards
// ---------------------------------------------------------

BOOST_AUTO_TEST_CASE(jumping_backwards_in_time_does_not_mint_tokens) {
  token_bucket tb{token_rate::per_second(10), 1, at(0)};
  BOOST_TEST(tb.allow(at_ms(1000)));
  BOOST_TEST(!tb.allow(at_ms(500)));  // before last: treated as last
  BOOST_TEST(!tb.allow(at_ms(1050))); // half a token only
  BOOST_TEST(tb.tokens(at_ms(0)) == 0.0);
  BOOST_TEST(tb.allow(at_ms(1100)));
  BOOST_TEST(!tb.allow(at_ms(1100)));
}

BOOST_AUTO_TEST_CASE(a_backwards_call_reports_a_wait_from_its_own_now) {
  token_bucket tb{token_rate::per_second(10), 1, at(0)};
  BOOST_TEST(tb.allow(at_ms(1000)));
  auto a = tb.admit(at_ms(900));
  BOOST_TEST(!a.admitted);
  BOOST_TEST((a.earliest == at_ms(1100)));
  BOOST_TEST((a.retry_after == 200ms));
}

// -- reservations
// -----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_reservation_goes_into_debt_and_says_when_to_act) {
  token_bucket tb{token_rate::per_second(10), 1, at(0)};
  auto r1 = tb.reserve(at(0));
  auto r2 = tb.reserve(at(0));
  auto r3 = tb.reserve(at(0));
  BOOST_TEST(r1.ok);
  BOOST_TEST((r1.delay_from(at(0)) == 0ns));
  BOOST_TEST((r2.time_to_act == at_ms(100)));
  BOOST_TEST((r3.time_to_act == at_ms(200)));
  BOOST_TEST((r3.delay_from(at_ms(150)) == 50ms));
  BOOST_TEST((r3.delay_from(at_ms(250)) == 0ns));
  BOOST_TEST(tb.tokens(at(0)) == -2.0);
}

BOOST_AUTO_TEST_CASE(
    a_reservation_beyond_max_wait_is_not_ok_and_books_nothing) {
  token_bucket tb{token_rate::per_second(10), 1, at(0)};
  BOOST_TEST(tb.reserve(at(0)).ok);
  BOOST_TEST(!tb.reserve(at(0), 1, 99ms).ok);
  BOOST_TEST(tb.reserve(at(0), 1, 100ms).ok);
}

BOOST_AUTO_TEST_CASE(cancelling_the_latest_reservation_returns_its_tokens) {
  token_bucket tb{token_rate::per_second(10), 1, at(0)};
  tb.reserve(at(0));
  auto r = tb.reserve(at(0));
  BOOST_TEST(tb.cancel(r, at(0)) == 1.0);
  BOOST_TEST(tb.tokens(at(0)) == 0.0);
  BOOST_TEST((tb.last_event() == at(0)));
}

BOOST_AUTO_TEST_CASE(
    cancelling_returns_only_tokens_later_bookings_do_not_rely_on) {
  token_bucket tb{token_rate::per_second(10), 1, at(0)};
  tb.reserve(at(0));          // acts at 0
  auto r = tb.reserve(at(0)); // acts at 100ms
  tb.reserve(at(0));          // acts at 200ms
  // The third booking relies on 1 token's worth of time after r.
  BOOST_TEST(tb.cancel(r, at(0)) == 0.0);
  token_bucket tb2{token_rate::per_second(10), 2, at(0)};
  tb2.reserve(at(0), 2);           // acts at 0
  auto r2 = tb2.reserve(at(0), 2); // acts at 200ms
  tb2.reserve(at(0), 1);           // acts at 300ms
  BOOST_TEST(tb2.cancel(r2, at(0)) == 1.0);
}

BOOST_AUTO_TEST_CASE(cancelling_after_the_time_to_act_does_nothing) {
  token_bucket tb{token_rate::per_second(10), 1, at(0)};
  tb.reserve(at(0));
  auto r = tb.reserve(at(0));
  BOOST_TEST(tb.cancel(r, at_ms(101)) == 0.0);
  BOOST_TEST(tb.cancel(reservation{}, at(0)) == 0.0);
}

// -- configuration changes
// --------------------------------------------------------

BOOST_AUTO_TEST_CASE(changing_the_rate_keeps_what_accrued_so_far) {
  token_bucket tb{token_rate::per_second(10), 10, at(0)};
  BOOST_TEST(tb.allow(at(0), 10));
  tb.set_rate(at_ms(500), token_rate::per_second(1)); // 5 tokens accrued
  BOOST_TEST(tb.tokens(at_ms(500)) == 5.0);
  BOOST_TEST(tb.tokens(at_ms(1500)) == 6.0);
}

BOOST_AUTO_TEST_CASE(changing_the_rate_from_infinite_leaves_the_bucket_full) {
  token_bucket tb{token_rate::infinite(), 3, at(0)};
  tb.set_rate(at(10), token_rate::per_second(1));
  BOOST_TEST(tb.tokens(at(10)) == 3.0);
  BOOST_TEST(tb.allow(at(10), 3));
  BOOST_TEST(!tb.allow(at(10)));
}

BOOST_AUTO_TEST_CASE(shrinking_the_burst_drops_tokens_above_it) {
  token_bucket tb{token_rate::per_second(1), 10, at(0)};
  tb.set_burst(at(0), 4);
  BOOST_TEST(tb.tokens(at(0)) == 4.0);
  BOOST_TEST(!tb.allow(at(0), 5));
  tb.set_burst(at(0), 8);
  BOOST_TEST(tb.tokens(at(0)) == 4.0);
  BOOST_TEST(tb.tokens(at_ms(10'000)) == 8.0);
}

// -- properties
// -----------------------------------------------------------------

namespace {

// Brute force: advance one nanosecond at a time, in units of 1/per token.
struct reference_bucket {
  int64_t count;
  int64_t per;
  int64_t burst;
  int64_t units; // tokens * per
  int64_t cur;

  int64_t at(int64_t t) const {
    int64_t u = units;
    for (int64_t k = cur; k < t; ++k)
      u = std::min(burst * per, u + count);
    return u;
  }

  // Returns -1 if admitted, else the earliest time (or INT64_MAX for never).
  int64_t admit(int64_t now, int64_t n) {
    auto t = std::max(now, cur);
    auto u = at(t);
    if (n <= burst && u >= n * per) {
      units = u - n * per;
      cur = t;
      return -1;
    }
    if (n > burst)
      return INT64_MAX;
    auto e = t;
    while (u < n * per) {
      u = std::min(burst * per, u + count);
      ++e;
    }
    return e;
  }

  int64_t reserve(int64_t now, int64_t n) {
    auto t = std::max(now, cur);
    auto u = at(t) - n * per;
    if (n > burst)
      return INT64_MAX;
    units = u;
    cur = t;
    auto e = t;
    while (u < 0) {
      u += count;
      ++e;
    }
    return e;
  }
};

} // namespace

BOOST_AUTO_TEST_CASE(admit_matches_a_brute_force_reference) {
  std::mt19937_64 rng{2024};
  for (int round = 0; round < 300; ++round) {
    auto count = 1 + static_cast<int64_t>(rng() % 5);
    auto per = 1 + static_cast<int64_t>(rng() % 12);
    auto burst = static_cast<int64_t>(rng() % 5);
    token_bucket tb{token_rate{count, duration{per}}, burst, at(0)};
    reference_bucket ref{count, per, burst, burst * per, 0};
    int64_t t = 0;
    for (int i = 0; i < 60; ++i) {
      t += static_cast<int64_t>(rng() % 8) - 2;
      auto n = static_cast<int64_t>(rng() % 4);
      auto expect = ref.admit(t, n);
      auto a = tb.admit(at(t), n);
      BOOST_REQUIRE_EQUAL(a.admitted, expect == -1);
      if (expect == INT64_MAX)
        BOOST_REQUIRE((a.earliest == never));
      else if (expect >= 0)
        BOOST_REQUIRE_EQUAL(to_nanos(a.earliest), expect);
      BOOST_REQUIRE(a.retry_after >= 0ns);
    }
  }
}

BOOST_AUTO_TEST_CASE(reserve_matches_a_brute_force_reference) {
  std::mt19937_64 rng{99};
  for (int round = 0; round < 300; ++round) {
    auto count = 1 + static_cast<int64_t>(rng() % 5);
    auto per = 1 + static_cast<int64_t>(rng() % 12);
    auto burst = 1 + static_cast<int64_t>(rng() % 5);
    token_bucket tb{token_rate{count, duration{per}}, burst, at(0)};
    reference_bucket ref{count, per, burst, burst * per, 0};
    int64_t t = 0;
    for (int i = 0; i < 40; ++i) {
      t += static_cast<int64_t>(rng() % 30) - 5;
      auto n = static_cast<int64_t>(rng() % 3);
      auto expect = ref.reserve(t, n);
      auto r = tb.reserve(at(t), n);
      if (expect == INT64_MAX) {
        BOOST_REQUIRE(!r.ok);
      } else {
        BOOST_REQUIRE(r.ok);
        BOOST_REQUIRE_EQUAL(to_nanos(r.time_to_act), expect);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(the_earliest_time_reported_is_admitted) {
  std::mt19937_64 rng{5};
  token_bucket tb{token_rate{3, 1000ns}, 4, at(0)};
  int64_t t = 0;
  for (int i = 0; i < 10'000; ++i) {
    t += static_cast<int64_t>(rng() % 400);
    auto n = 1 + static_cast<int64_t>(rng() % 4);
    auto a = tb.admit(at(t), n);
    if (!a.admitted) {
      auto copy = tb;
      BOOST_REQUIRE(copy.allow(a.earliest, n));
      auto copy2 = tb;
      BOOST_REQUIRE(!copy2.allow(a.earliest - 1ns, n));
    }
  }
}

BOOST_AUTO_TEST_CASE(replaying_the_same_calls_gives_the_same_state) {
  std::mt19937_64 rng{8};
  token_bucket a{token_rate::per_second(50), 7, at(0)};
  token_bucket b = a;
  int64_t t = 0;
  for (int i = 0; i < 1000; ++i) {
    t += static_cast<int64_t>(rng() % 40'000'000) - 5'000'000;
    auto n = static_cast<int64_t>(rng() % 3);
    BOOST_REQUIRE((a.admit(at(t), n) == b.admit(at(t), n)));
  }
  BOOST_TEST((a == b));
}

// -- serialization
// ----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_state_survives_a_round_trip) {
  token_bucket tb{token_rate{3, 7ns}, 5, at(0)};
  tb.reserve(at(1), 5);
  tb.reserve(at(2), 4); // in debt
  auto back = token_bucket::deserialize(tb.serialize());
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST((*back == tb));
  BOOST_TEST((back->admit(at(100)) == tb.admit(at(100))));
}

BOOST_AUTO_TEST_CASE(garbage_is_rejected) {
  token_bucket tb{token_rate::per_second(5), 10, at(0)};
  auto bytes = tb.serialize();
  for (size_t n = 0; n < bytes.size(); ++n)
    BOOST_TEST(!token_bucket::deserialize(bytes.substr(0, n)).has_value());
  BOOST_TEST(!token_bucket::deserialize(bytes + "z").has_value());
  auto negative_burst = bytes;
  negative_burst[2 + 16 + 7] = static_cast<char>(0x80);
  BOOST_TEST(!token_bucket::deserialize(negative_burst).has_value());
  auto too_many_tokens = bytes;
  too_many_tokens[2 + 24 + 15] = 0x10; // tokens far above the burst
  BOOST_TEST(!token_bucket::deserialize(too_many_tokens).has_value());
  std::mt19937_64 rng{1};
  for (int i = 0; i < 2000; ++i) {
    auto junk = bytes;
    junk[rng() % junk.size()] = static_cast<char>(rng());
    auto r = token_bucket::deserialize(junk);
    if (r)
      r->allow(at(1)); // whatever it decodes to, it must be usable
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(token_bucket_golden)

BOOST_AUTO_TEST_CASE(the_byte_format_is_pinned) {
  token_bucket tb{token_rate{3, duration{7}}, 2, from_nanos(0)};
  tb.reserve(from_nanos(1), 2);
  tb.reserve(from_nanos(1), 1); // 7 units (one token) in debt
  BOOST_TEST(test::to_hex(tb.serialize()) == "0301"
                                             "0300000000000000"
                                             "0700000000000000"
                                             "0200000000000000"
                                             "f9ffffffffffffff"
                                             "ffffffffffffffff"
                                             "0100000000000000"
                                             "0400000000000000");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(token_bucket_check)

BOOST_AUTO_TEST_CASE(check_answers_like_admit_but_takes_nothing) {
  std::mt19937_64 rng{12};
  token_bucket tb{token_rate{2, std::chrono::microseconds{1}}, 3,
                  from_nanos(0)};
  int64_t t = 0;
  for (int i = 0; i < 2000; ++i) {
    t += static_cast<int64_t>(rng() % 900) - 100;
    auto n = static_cast<int64_t>(rng() % 4);
    auto before = tb;
    auto c = tb.check(from_nanos(t), n);
    BOOST_REQUIRE((tb == before));
    BOOST_REQUIRE((tb.admit(from_nanos(t), n) == c));
  }
}

BOOST_AUTO_TEST_SUITE_END()

// The allow tables of x/time/rate's rate_test.go (limit 10/s, so one token
// per 100ms; t0..t9 are 100ms apart), run against token_bucket.
BOOST_AUTO_TEST_SUITE(token_bucket_like_x_time_rate)

namespace {

struct step {
  int tick; // t0 + tick * 100ms
  int64_t n;
  bool ok;
};

void run(token_bucket tb, std::initializer_list<step> steps) {
  int i = 0;
  for (auto& s : steps) {
    auto now = from_nanos(1'000'000'000 + s.tick * 100'000'000LL);
    BOOST_TEST_CONTEXT("step " << i++ << ": t" << s.tick << " n=" << s.n) {
      BOOST_TEST(tb.allow(now, s.n) == s.ok);
    }
  }
}

} // namespace

BOOST_AUTO_TEST_CASE(limiter_burst_1) {
  run(token_bucket{token_rate::per_second(10), 1, from_nanos(0)},
      {{0, 1, true},
       {0, 1, false},
       {1, 1, true},
       {1, 1, false},
       {1, 1, false},
       {2, 1, true},
       {2, 1, false}});
}

BOOST_AUTO_TEST_CASE(limiter_burst_3) {
  run(token_bucket{token_rate::per_second(10), 3, from_nanos(0)},
      {{0, 2, true},
       {0, 2, false},
       {0, 1, true},
       {0, 1, false},
       {1, 4, false},
       {2, 1, true},
       {3, 1, true},
       {4, 1, true},
       {4, 1, true},
       {4, 1, false},
       {4, 1, false},
       {9, 3, true},
       {9, 0, true}});
}

// x/time/rate's TestLimiterJumpBackwards expects a token at t1 after the
// jump back to t0, crediting t0..t1 a second time. Here time inside the
// bucket never runs backwards, so that token only comes at t2.
BOOST_AUTO_TEST_CASE(limiter_jump_backwards_credits_no_time_twice) {
  run(token_bucket{token_rate::per_second(10), 3, from_nanos(0)},
      {{1, 1, true},
       {0, 1, true},
       {0, 1, true},
       {0, 1, false},
       {0, 1, false},
       {1, 1, false}, // x/time/rate: true
       {1, 1, false},
       {2, 1, true},
       {2, 1, false},
       {3, 1, true},
       {3, 1, false}});
}

BOOST_AUTO_TEST_CASE(limiter_inf_admits_any_n) {
  run(token_bucket{token_rate::infinite(), 0, from_nanos(0)},
      {{0, 1, true}, {0, 1'000'000, true}, {1, 0, true}});
}

BOOST_AUTO_TEST_SUITE_END()
