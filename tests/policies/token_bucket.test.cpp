#include <boost/test/unit_test.hpp>

#include "tests/support/hex.hpp"

#include "timecontrol/policies/token_bucket.hpp"

#include <boost/multiprecision/cpp_int.hpp>

#include <random>
#include <string>
#include <vector>

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

// -- basic behaviour ----------------------------------------------------------

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

// -- burst edges --------------------------------------------------------------

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

// -- rate 0 and infinite ------------------------------------------------------

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

// -- time going backwards -----------------------------------------------------

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

// -- reservations -------------------------------------------------------------

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

// -- configuration changes ----------------------------------------------------

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

// -- properties ---------------------------------------------------------------

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

// -- serialization ------------------------------------------------------------

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
  // The latest booking is due at 1 + 7/3 ns: 4 ns less 2 ticks of 1/3 ns.
  BOOST_TEST(test::to_hex(tb.serialize()) == "0302"
                                             "0300000000000000"
                                             "0700000000000000"
                                             "0200000000000000"
                                             "f9ffffffffffffff"
                                             "ffffffffffffffff"
                                             "0100000000000000"
                                             "0400000000000000"
                                             "0200000000000000"
                                             "0300000000000000");
}

BOOST_AUTO_TEST_CASE(a_version_1_state_still_reads) {
  // Written before the latest booking kept its exact part.
  auto bytes = test::from_hex("0301"
                              "0300000000000000"
                              "0700000000000000"
                              "0200000000000000"
                              "f9ffffffffffffff"
                              "ffffffffffffffff"
                              "0100000000000000"
                              "0400000000000000");
  auto tb = token_bucket::deserialize(bytes);
  BOOST_REQUIRE(tb.has_value());
  BOOST_TEST(tb->tokens(from_nanos(1)) == -1.0);
  BOOST_TEST((tb->last_event() == from_nanos(4)));
  BOOST_TEST(test::to_hex(tb->serialize()).substr(0, 4) == "0302");
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

// -- cancelling exactly (issue 12, item 10) -----------------------------------

BOOST_AUTO_TEST_SUITE(token_bucket_cancel)

namespace {

constexpr int64_t second = 1'000'000'000;

time_point sec(int64_t s) {
  return from_nanos(s * second);
}

} // namespace

BOOST_AUTO_TEST_CASE(cancelling_two_reservations_newest_first_restores_both) {
  token_bucket tb{token_rate::per_second(1), 2, sec(0)};
  auto t = sec(10);
  auto a = tb.reserve(t, 1);
  auto b = tb.reserve(t, 2);
  BOOST_TEST((b.time_to_act == sec(11)));
  BOOST_TEST(tb.cancel(b, t) == 2.0);
  BOOST_TEST(tb.cancel(a, t) == 1.0);
  BOOST_TEST(tb.tokens(t) == 2.0);
  BOOST_TEST(tb.allow(t, 2));
}

BOOST_AUTO_TEST_CASE(
    ten_reservations_cancelled_newest_first_leave_a_full_bucket) {
  for (int64_t rate : {3, 60, 7, 1'000'000'007}) {
    BOOST_TEST_CONTEXT("rate " << rate << "/s") {
      token_bucket tb{token_rate::per_second(rate), 10, sec(0)};
      auto before = tb;
      auto t = sec(5);
      std::vector<reservation> rs;
      for (int i = 0; i < 10; ++i)
        rs.push_back(tb.reserve(t, 10));
      BOOST_TEST(tb.tokens(t) == -90.0);
      for (auto i = rs.rbegin(); i != rs.rend(); ++i)
        BOOST_TEST(tb.cancel(*i, t) == 10.0);
      BOOST_TEST((tb.units(t) == before.units(t)));
      auto a = tb.admit(t);
      BOOST_TEST(a.admitted);
      BOOST_TEST((a.retry_after == 0ns));
    }
  }
}

// Reserve k tokens' worth at one instant in any sizes, then cancel every
// reservation newest first at that instant: the bucket is exactly as it was
// (the same tokens now and later, the same answers to any later calls).
BOOST_AUTO_TEST_CASE(reserve_k_then_cancel_all_at_the_same_instant_is_a_no_op) {
  std::mt19937_64 rng{1210};
  for (int round = 0; round < 2000; ++round) {
    auto count = 1 + static_cast<int64_t>(rng() % 1000);
    auto per = 1 + static_cast<int64_t>(rng() % 3'000'000'000LL);
    auto burst = 1 + static_cast<int64_t>(rng() % 20);
    token_bucket tb{token_rate{count, duration{per}}, burst, from_nanos(0)};
    // Some history first: calls and reservations at earlier instants.
    int64_t now = 0;
    for (int i = 0; i < 5; ++i) {
      now += static_cast<int64_t>(rng() % static_cast<uint64_t>(per));
      if (rng() % 2)
        tb.admit(from_nanos(now), static_cast<int64_t>(rng() % 3));
      else
        tb.reserve(from_nanos(now), static_cast<int64_t>(rng() % 3));
    }
    now += static_cast<int64_t>(rng() % 1000);
    auto t = from_nanos(now);
    auto before = tb;
    std::vector<reservation> rs;
    auto k = 1 + rng() % 12;
    for (size_t i = 0; i < k; ++i)
      rs.push_back(tb.reserve(t, static_cast<int64_t>(rng() % (burst + 1))));
    for (auto i = rs.rbegin(); i != rs.rend(); ++i)
      tb.cancel(*i, t);
    BOOST_TEST_CONTEXT("round " << round << ": " << count << " per " << per
                                << "ns burst " << burst << ", k " << k) {
      BOOST_REQUIRE((tb.units(t) == before.units(t)));
      for (int i = 0; i < 20; ++i) {
        auto later = from_nanos(now + static_cast<int64_t>(rng() % (3 * per)));
        BOOST_REQUIRE((tb.units(later) == before.units(later)));
        auto n = static_cast<int64_t>(rng() % (burst + 1));
        BOOST_REQUIRE((tb.check(later, n) == before.check(later, n)));
      }
      auto x = tb.reserve(t, burst);
      auto y = before.reserve(t, burst);
      BOOST_REQUIRE((x == y));
    }
  }
}

// -- x/time/rate's own cases --------------------------------------------------
//
// rate_test.go (golang.org/x/time/rate, read at commit 2b4e439): a limiter of
// 10/s, so one token every d = 100ms; t0..t9 are d apart. Each runReserve line
// there is a `reserve` below that expects the same time to act (exactly, not
// only to the nearest d) and the same ok.

namespace {

constexpr int64_t d = 100'000'000;

time_point tk(int64_t k) {
  return from_nanos(second + k * d);
}

// runReserve(t, lim, request{t_at, n, t_act, ok})
reservation expect_reserve(token_bucket& tb, int64_t at, int64_t n, int64_t act,
                           bool ok, duration max_wait = duration::max()) {
  auto r = tb.reserve(tk(at), n, max_wait);
  BOOST_TEST(r.ok == ok);
  if (ok && r.ok)
    BOOST_TEST(to_nanos(r.time_to_act) == to_nanos(tk(act)));
  return r;
}

// run(t, lim, []allow{{t_at, toks, n, ok}}): TokensAt then AllowN.
void expect_allow(token_bucket& tb, int64_t at, double toks, int64_t n,
                  bool ok) {
  BOOST_TEST(tb.tokens(tk(at)) == toks);
  BOOST_TEST(tb.allow(tk(at), n) == ok);
}

token_bucket limiter(int64_t per_second, int64_t burst) {
  return token_bucket{token_rate::per_second(per_second), burst, tk(0)};
}

} // namespace

BOOST_AUTO_TEST_CASE(x_time_rate_TestLimiterBurst1_with_tokens) {
  auto lim = limiter(10, 1);
  expect_allow(lim, 0, 1, 1, true);
  expect_allow(lim, 0, 0, 1, false);
  expect_allow(lim, 0, 0, 1, false);
  expect_allow(lim, 1, 1, 1, true);
  expect_allow(lim, 1, 0, 1, false);
  expect_allow(lim, 1, 0, 1, false);
  expect_allow(lim, 2, 1, 2, false);
  expect_allow(lim, 2, 1, 1, true);
  expect_allow(lim, 2, 0, 1, false);
}

BOOST_AUTO_TEST_CASE(x_time_rate_TestLimiterBurst3_with_tokens) {
  auto lim = limiter(10, 3);
  expect_allow(lim, 0, 3, 2, true);
  expect_allow(lim, 0, 1, 2, false);
  expect_allow(lim, 0, 1, 1, true);
  expect_allow(lim, 0, 0, 1, false);
  expect_allow(lim, 1, 1, 4, false);
  expect_allow(lim, 2, 2, 1, true);
  expect_allow(lim, 3, 2, 1, true);
  expect_allow(lim, 4, 2, 1, true);
  expect_allow(lim, 4, 1, 1, true);
  expect_allow(lim, 4, 0, 1, false);
  expect_allow(lim, 4, 0, 1, false);
  expect_allow(lim, 9, 3, 3, true);
  expect_allow(lim, 9, 0, 0, true);
}

BOOST_AUTO_TEST_CASE(x_time_rate_TestSimpleReserve) {
  auto lim = limiter(10, 2);
  expect_reserve(lim, 0, 2, 0, true);
  expect_reserve(lim, 0, 2, 2, true);
  expect_reserve(lim, 3, 2, 4, true);
}

BOOST_AUTO_TEST_CASE(x_time_rate_TestMix) {
  auto lim = limiter(10, 2);
  expect_reserve(lim, 0, 3, 1, false);
  expect_reserve(lim, 0, 2, 0, true);
  expect_allow(lim, 1, 1, 2, false);
  expect_reserve(lim, 1, 2, 2, true);
  expect_allow(lim, 1, -1, 1, false);
  expect_allow(lim, 3, 1, 1, true);
}

BOOST_AUTO_TEST_CASE(x_time_rate_TestCancelInvalid) {
  auto lim = limiter(10, 2);
  expect_reserve(lim, 0, 2, 0, true);
  auto r = expect_reserve(lim, 0, 3, 3, false);
  lim.cancel(r, tk(0));
  expect_reserve(lim, 0, 2, 2, true);
}

BOOST_AUTO_TEST_CASE(x_time_rate_TestCancelLast) {
  auto lim = limiter(10, 2);
  expect_reserve(lim, 0, 2, 0, true);
  auto r = expect_reserve(lim, 0, 2, 2, true);
  BOOST_TEST(lim.cancel(r, tk(1)) == 2.0);
  expect_reserve(lim, 1, 2, 2, true);
}

BOOST_AUTO_TEST_CASE(x_time_rate_TestCancelTooLate) {
  auto lim = limiter(10, 2);
  expect_reserve(lim, 0, 2, 0, true);
  auto r = expect_reserve(lim, 0, 2, 2, true);
  BOOST_TEST(lim.cancel(r, tk(3)) == 0.0);
  expect_reserve(lim, 3, 2, 4, true);
}

BOOST_AUTO_TEST_CASE(x_time_rate_TestCancel0Tokens) {
  auto lim = limiter(10, 2);
  expect_reserve(lim, 0, 2, 0, true);
  auto r = expect_reserve(lim, 0, 1, 1, true);
  expect_reserve(lim, 0, 1, 2, true);
  BOOST_TEST(lim.cancel(r, tk(0)) == 0.0);
  expect_reserve(lim, 0, 1, 3, true);
}

BOOST_AUTO_TEST_CASE(x_time_rate_TestCancel1Token) {
  auto lim = limiter(10, 2);
  expect_reserve(lim, 0, 2, 0, true);
  auto r = expect_reserve(lim, 0, 2, 2, true);
  expect_reserve(lim, 0, 1, 3, true);
  BOOST_TEST(lim.cancel(r, tk(2)) == 1.0);
  expect_reserve(lim, 2, 2, 4, true);
}

BOOST_AUTO_TEST_CASE(x_time_rate_TestCancelMulti) {
  auto lim = limiter(10, 4);
  expect_reserve(lim, 0, 4, 0, true);
  auto ra = expect_reserve(lim, 0, 3, 3, true);
  expect_reserve(lim, 0, 1, 4, true);
  auto rc = expect_reserve(lim, 0, 1, 5, true);
  BOOST_TEST(lim.cancel(rc, tk(1)) == 1.0);
  BOOST_TEST(lim.cancel(ra, tk(1)) == 2.0); // as if C was never reserved
  expect_reserve(lim, 1, 3, 5, true);
}

// TestReserveJumpBack and TestReserveJumpBackCancel expect reservations at
// t0 after one at t1 to "violate Limit, Burst" (time running backwards is
// credited twice there). Here time inside the bucket never runs backwards
// (see token_bucket.hpp): the same calls, with what they get here.
BOOST_AUTO_TEST_CASE(x_time_rate_TestReserveJumpBack_without_going_back) {
  auto lim = limiter(10, 2);
  expect_reserve(lim, 1, 2, 1, true);
  expect_reserve(lim, 0, 1, 2, true); // x/time/rate: t1
  expect_reserve(lim, 2, 2, 4, true); // x/time/rate: t3
  expect_reserve(lim, 0, 3, 0, false);
  expect_reserve(lim, 2, 1, 5, true);               // x/time/rate: t4
  expect_reserve(lim, 0, 2, 0, false, duration{d}); // over max_wait
  expect_reserve(lim, 2, 1, 6, true);               // x/time/rate: t5
}

BOOST_AUTO_TEST_CASE(x_time_rate_TestReserveJumpBackCancel_without_going_back) {
  auto lim = limiter(10, 2);
  expect_reserve(lim, 1, 2, 1, true);
  auto r = expect_reserve(lim, 1, 2, 3, true);
  expect_reserve(lim, 1, 1, 4, true);
  BOOST_TEST(lim.cancel(r, tk(0)) == 1.0); // 1 token back, as there
  expect_reserve(lim, 1, 2, 5, true);      // x/time/rate: t4 (back in time)
}

BOOST_AUTO_TEST_CASE(x_time_rate_TestReserveSetLimit) {
  auto lim = limiter(5, 2);
  expect_reserve(lim, 0, 2, 0, true);
  expect_reserve(lim, 0, 2, 4, true);
  lim.set_rate(tk(2), token_rate::per_second(10));
  expect_reserve(lim, 2, 1, 4, true);
}

BOOST_AUTO_TEST_CASE(x_time_rate_TestReserveSetBurst) {
  auto lim = limiter(5, 2);
  expect_reserve(lim, 0, 2, 0, true);
  expect_reserve(lim, 0, 2, 4, true);
  lim.set_burst(tk(3), 4);
  // x/time/rate: t9, reserving at t0 after t3; here t0 counts as t3.
  expect_reserve(lim, 0, 4, 12, true);
}

BOOST_AUTO_TEST_CASE(x_time_rate_TestReserveSetLimitCancel) {
  auto lim = limiter(5, 2);
  expect_reserve(lim, 0, 2, 0, true);
  auto r = expect_reserve(lim, 0, 2, 4, true);
  lim.set_rate(tk(2), token_rate::per_second(10));
  BOOST_TEST(lim.cancel(r, tk(2)) == 2.0);
  expect_reserve(lim, 2, 2, 3, true);
}

BOOST_AUTO_TEST_CASE(x_time_rate_TestReserveMax) {
  auto lim = limiter(10, 2);
  expect_reserve(lim, 0, 2, 0, true, duration{d});
  expect_reserve(lim, 0, 1, 1, true, duration{d});
  expect_reserve(lim, 0, 1, 2, false, duration{d});
}

// TestWaitCancel: act-now takes 2 of 3 tokens; will-cancel reserves 3 and is
// cancelled a d later, which "should get 3 tokens back, and have
// lim.tokens = 2"; then 2 tokens are there at once.
BOOST_AUTO_TEST_CASE(x_time_rate_TestWaitCancel) {
  auto lim = limiter(10, 3);
  expect_reserve(lim, 0, 2, 0, true);
  auto r = expect_reserve(lim, 0, 3, 2, true);
  BOOST_TEST(lim.cancel(r, tk(1)) == 3.0);
  BOOST_TEST(lim.tokens(tk(1)) == 2.0);
  expect_reserve(lim, 1, 2, 1, true);
}

BOOST_AUTO_TEST_CASE(x_time_rate_TestZeroLimit_and_TestSetAfterZeroLimit) {
  token_bucket lim{token_rate::zero(), 1, tk(0)};
  BOOST_TEST(lim.allow(tk(0)));
  BOOST_TEST(!lim.allow(tk(0)));
  lim.set_rate(tk(0), token_rate::per_second(10));
  // "We set the limit to 10/s so expect to get another token in 100ms".
  expect_reserve(lim, 0, 1, 1, true);
}

// TestTinyLimit: 1e-10 tokens/s, burst 1: the first call passes, the second
// does not (here one token per 1e10 s, far beyond year 2262).
BOOST_AUTO_TEST_CASE(x_time_rate_TestTinyLimit) {
  token_bucket lim{token_rate{1, duration::max()}, 1, tk(0)};
  BOOST_TEST(lim.allow(tk(0)));
  BOOST_TEST(!lim.allow(tk(0)));
}

// TestLongRunningQPS: 100/s burst 100, a call every 2ms for 5s: never more
// than burst + rate * elapsed + 1 calls, and at least 99.9 % of that.
BOOST_AUTO_TEST_CASE(x_time_rate_TestLongRunningQPS) {
  token_bucket lim{token_rate::per_second(100), 100, tk(0)};
  int ok = 0;
  int64_t elapsed = 0;
  for (; elapsed < 5 * second; elapsed += 2'000'000)
    ok += lim.allow(from_nanos(to_nanos(tk(0)) + elapsed)) ? 1 : 0;
  double ideal = 100 + 100.0 * static_cast<double>(elapsed) / second;
  BOOST_TEST(ok <= static_cast<int>(ideal + 1));
  BOOST_TEST(ok >= static_cast<int>(0.999 * ideal));
}

// -- against an exact reference -----------------------------------------------

namespace {

using rational = boost::multiprecision::cpp_rational;

// x/time/rate's Limiter (rate.go: reserveN, CancelAt, advance) on exact
// rationals instead of float64 and time.Duration, with the deviations
// token_bucket.hpp lists: the latest booking becomes `now` when the one before
// it would be due earlier, a negative reliance counts as 0, and a reservation
// is cancellable up to its rounded time to act. Times are nanoseconds.
struct go_limiter {
  rational limit; // tokens per nanosecond
  int64_t burst;
  rational tokens;
  rational last;
  rational last_event;

  struct booking {
    bool ok = false;
    int64_t tokens = 0;
    rational time_to_act;
    rational limit;
  };

  rational advance(const rational& t) const {
    auto l = t < last ? t : last;
    rational result = tokens + (t - l) * limit;
    return result > burst ? rational{burst} : result;
  }

  booking reserve(const rational& t, int64_t n) {
    booking r;
    r.limit = limit;
    auto left = advance(t) - n;
    rational wait = left < 0 ? rational{-left / limit} : rational{0};
    if (n > burst)
      return r;
    r.ok = true;
    r.tokens = n;
    r.time_to_act = t + wait;
    last = t;
    tokens = left;
    last_event = r.time_to_act;
    return r;
  }

  bool allow(const rational& t, int64_t n) {
    auto left = advance(t) - n;
    if (n > burst || left < 0)
      return false;
    last = t;
    tokens = left;
    last_event = t;
    return true;
  }

  // Returns the tokens given back.
  rational cancel(const booking& r, const rational& t, int64_t rounded_act) {
    if (!r.ok || r.tokens == 0 || rational{rounded_act} < t)
      return 0;
    rational relied = r.limit * (last_event - r.time_to_act);
    if (relied < 0)
      relied = 0;
    rational restore = r.tokens - relied;
    if (restore <= 0)
      return 0;
    auto before = advance(t);
    rational after = before + restore;
    if (after > burst)
      after = burst;
    last = t;
    tokens = after;
    if (r.time_to_act == last_event) {
      rational prev = r.time_to_act - r.tokens / r.limit;
      last_event = prev >= t ? prev : t;
    }
    return after - before;
  }
};

rational ceil_of(const rational& x) {
  using boost::multiprecision::cpp_int;
  cpp_int q = boost::multiprecision::numerator(x) /
              boost::multiprecision::denominator(x);
  if (rational{q} < x)
    ++q;
  return rational{q};
}

} // namespace

BOOST_AUTO_TEST_CASE(reserve_admit_and_cancel_match_exact_x_time_rate) {
  std::mt19937_64 rng{2026};
  for (int round = 0; round < 400; ++round) {
    auto count = 1 + static_cast<int64_t>(rng() % 50);
    auto per = 1 + static_cast<int64_t>(rng() % 2000);
    auto burst = 1 + static_cast<int64_t>(rng() % 6);
    token_bucket tb{token_rate{count, duration{per}}, burst, from_nanos(0)};
    go_limiter ref{rational{count, per}, burst, rational{burst}, 0, 0};
    std::vector<std::pair<reservation, go_limiter::booking>> held;
    int64_t now = 0;
    for (int step = 0; step < 60; ++step) {
      now += static_cast<int64_t>(rng() % static_cast<uint64_t>(per));
      auto t = from_nanos(now);
      auto op = rng() % 4;
      BOOST_TEST_CONTEXT("round " << round << " step " << step << " op " << op
                                  << ": " << count << " per " << per
                                  << "ns burst " << burst) {
        if (op <= 1) {
          auto n = static_cast<int64_t>(rng() % (burst + 2));
          auto r = tb.reserve(t, n);
          auto b = ref.reserve(now, n);
          BOOST_REQUIRE_EQUAL(r.ok, b.ok);
          if (r.ok) {
            BOOST_REQUIRE(rational{to_nanos(r.time_to_act)} ==
                          ceil_of(b.time_to_act));
            held.emplace_back(r, b);
          }
        } else if (op == 2 && !held.empty()) {
          auto i = rng() % held.size();
          auto got = tb.cancel(held[i].first, t);
          (void)got;
          auto want = ref.cancel(held[i].second, now,
                                 to_nanos(held[i].first.time_to_act));
          BOOST_REQUIRE(rational{tb.restored_units()} == want * per);
          held.erase(held.begin() + static_cast<std::ptrdiff_t>(i));
        } else {
          auto n = static_cast<int64_t>(rng() % (burst + 1));
          BOOST_REQUIRE_EQUAL(tb.allow(t, n), ref.allow(now, n));
        }
        BOOST_REQUIRE(rational{tb.units(t)} == ref.advance(now) * per);
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
