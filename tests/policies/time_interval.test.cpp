#include <boost/test/unit_test.hpp>

#include "timecontrol/policies/time_interval.hpp"

#include <random>

using namespace tc;
using r = tc::allen_relation;

namespace {

time_interval iv(int64_t b, int64_t e) {
  return *time_interval::make(from_nanos(b), from_nanos(e));
}

// Allen's table, each relation written as its own endpoint conditions.
bool holds(r rel, const time_interval& a, const time_interval& b) {
  auto as = to_nanos(a.begin), ae = to_nanos(a.end);
  auto bs = to_nanos(b.begin), be = to_nanos(b.end);
  switch (rel) {
    case r::before:
      return ae < bs;
    case r::meets:
      return ae == bs;
    case r::overlaps:
      return as < bs && bs < ae && ae < be;
    case r::starts:
      return as == bs && ae < be;
    case r::during:
      return bs < as && ae < be;
    case r::finishes:
      return bs < as && ae == be;
    case r::equals:
      return as == bs && ae == be;
    case r::after:
      return be < as;
    case r::met_by:
      return be == as;
    case r::overlapped_by:
      return bs < as && as < be && be < ae;
    case r::started_by:
      return as == bs && be < ae;
    case r::contains:
      return as < bs && be < ae;
    case r::finished_by:
      return as < bs && ae == be;
  }
  return false;
}

} // namespace

BOOST_AUTO_TEST_SUITE(time_interval_tests)

BOOST_AUTO_TEST_CASE(each_of_the_thirteen_relations) {
  auto b = iv(10, 20);
  BOOST_TEST((relate(iv(0, 5), b) == r::before));
  BOOST_TEST((relate(iv(0, 10), b) == r::meets));
  BOOST_TEST((relate(iv(5, 15), b) == r::overlaps));
  BOOST_TEST((relate(iv(10, 15), b) == r::starts));
  BOOST_TEST((relate(iv(12, 18), b) == r::during));
  BOOST_TEST((relate(iv(15, 20), b) == r::finishes));
  BOOST_TEST((relate(iv(10, 20), b) == r::equals));
  BOOST_TEST((relate(iv(25, 30), b) == r::after));
  BOOST_TEST((relate(iv(20, 30), b) == r::met_by));
  BOOST_TEST((relate(iv(15, 25), b) == r::overlapped_by));
  BOOST_TEST((relate(iv(10, 25), b) == r::started_by));
  BOOST_TEST((relate(iv(5, 25), b) == r::contains));
  BOOST_TEST((relate(iv(5, 20), b) == r::finished_by));
}

BOOST_AUTO_TEST_CASE(an_empty_or_reversed_interval_cannot_be_made) {
  BOOST_TEST(!time_interval::make(from_nanos(5), from_nanos(5)).has_value());
  BOOST_TEST(!time_interval::make(from_nanos(6), from_nanos(5)).has_value());
}

BOOST_AUTO_TEST_CASE(exactly_one_relation_holds_and_inverses_agree) {
  std::mt19937_64 rng{13};
  for (int i = 0; i < 20000; ++i) {
    auto x = static_cast<int64_t>(rng() % 12);
    auto y = x + 1 + static_cast<int64_t>(rng() % 6);
    auto u = static_cast<int64_t>(rng() % 12);
    auto v = u + 1 + static_cast<int64_t>(rng() % 6);
    auto a = iv(x, y);
    auto b = iv(u, v);
    int count = 0;
    for (int k = 0; k <= static_cast<int>(r::finished_by); ++k)
      count += holds(static_cast<r>(k), a, b) ? 1 : 0;
    BOOST_REQUIRE_EQUAL(count, 1);
    auto rel = relate(a, b);
    BOOST_REQUIRE_MESSAGE(holds(rel, a, b), to_string(rel));
    BOOST_REQUIRE((relate(b, a) == inverse(rel)));
    BOOST_REQUIRE((inverse(inverse(rel)) == rel));
  }
}

BOOST_AUTO_TEST_CASE(contains_intersects_and_intersection) {
  auto a = iv(10, 20);
  BOOST_TEST(a.contains(from_nanos(10)));
  BOOST_TEST(!a.contains(from_nanos(20)));
  BOOST_TEST(a.length().count() == 10);
  BOOST_TEST(a.intersects(iv(19, 30)));
  BOOST_TEST(!a.intersects(iv(20, 30)));
  BOOST_TEST((*a.intersection(iv(15, 30)) == iv(15, 20)));
  BOOST_TEST(!a.intersection(iv(20, 30)).has_value());
}

BOOST_AUTO_TEST_CASE(relate_answers_a_relation_that_holds_for_empty_intervals) {
  // Empty intervals cannot be made with make(), but relate() still answers
  // one of the relations whose conditions hold (several may).
  std::vector<time_interval> xs;
  for (int64_t b = 0; b <= 12; b += 3)
    for (int64_t e = b; e <= 12; e += 3)
      xs.push_back(time_interval{from_nanos(b), from_nanos(e)});
  for (auto& a : xs)
    for (auto& b : xs)
      BOOST_TEST(holds(relate(a, b), a, b),
                 "[" << to_nanos(a.begin) << ", " << to_nanos(a.end) << ") "
                     << to_string(relate(a, b)) << " [" << to_nanos(b.begin)
                     << ", " << to_nanos(b.end) << ")");
}

BOOST_AUTO_TEST_SUITE_END()
