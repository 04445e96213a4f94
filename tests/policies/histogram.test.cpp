#include <boost/test/unit_test.hpp>

#include "tests/support/hex.hpp"

#include "timecontrol/policies/histogram.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

using namespace tc;
using namespace std::chrono_literals;

namespace {

// The exact quantile under the histogram's definition: rank ceil(q * n).
int64_t exact_quantile(std::vector<int64_t> xs, double q) {
  std::sort(xs.begin(), xs.end());
  if (q <= 0.0)
    return xs.front();
  if (q >= 1.0)
    return xs.back();
  auto rank =
      static_cast<size_t>(std::ceil(q * static_cast<double>(xs.size())));
  rank = std::clamp<size_t>(rank, 1, xs.size());
  return xs[rank - 1];
}

int64_t log_uniform(std::mt19937_64& rng) {
  auto bits = rng() % 63;
  return static_cast<int64_t>(rng() >> (64 - std::max<uint64_t>(bits, 1)));
}

} // namespace

BOOST_AUTO_TEST_SUITE(histogram_tests)

BOOST_AUTO_TEST_CASE(an_empty_histogram_reports_zeros) {
  histogram h;
  BOOST_TEST(h.count() == 0u);
  BOOST_TEST(h.min() == 0);
  BOOST_TEST(h.max() == 0);
  BOOST_TEST(h.mean() == 0.0);
  BOOST_TEST(h.quantile(0.5) == 0);
}

BOOST_AUTO_TEST_CASE(small_values_are_counted_exactly) {
  histogram h;
  for (int64_t v = 0; v < 128; ++v)
    h.record(v);
  BOOST_TEST(h.count() == 128u);
  BOOST_TEST(h.min() == 0);
  BOOST_TEST(h.max() == 127);
  BOOST_TEST(h.mean() == 63.5);
  BOOST_TEST(h.p50() == 63);
  BOOST_TEST(h.p90() == 115);
  BOOST_TEST(h.p99() == 126);
  BOOST_TEST(h.quantile(1.0) == 127);
  BOOST_TEST(h.quantile(0.0) == 0);
}

BOOST_AUTO_TEST_CASE(count_min_max_and_mean_are_exact) {
  histogram h;
  h.record(1500ms);
  h.record(3ns);
  h.record(int64_t{1'000'000'007}, 2);
  BOOST_TEST(h.count() == 4u);
  BOOST_TEST(h.min() == 3);
  BOOST_TEST(h.max() == 1'500'000'000);
  BOOST_TEST(h.mean() == (1'500'000'000.0 + 3.0 + 2'000'000'014.0) / 4.0);
}

BOOST_AUTO_TEST_CASE(negative_values_are_recorded_as_zero) {
  histogram h;
  h.record(-5);
  BOOST_TEST(h.min() == 0);
  BOOST_TEST(h.count() == 1u);
}

BOOST_AUTO_TEST_CASE(the_largest_value_has_a_bucket) {
  histogram h;
  h.record(INT64_MAX);
  h.record(0);
  BOOST_TEST(h.max() == INT64_MAX);
  BOOST_TEST(h.quantile(1.0) == INT64_MAX);
  BOOST_TEST(static_cast<double>(INT64_MAX - h.quantile(0.99)) <=
             static_cast<double>(INT64_MAX) * histogram::relative_error);
  BOOST_TEST(histogram::index_of(INT64_MAX) == histogram::bucket_count - 1);
}

BOOST_AUTO_TEST_CASE(buckets_tile_the_value_range_without_gaps) {
  for (size_t i = 0; i + 1 < histogram::bucket_count; ++i) {
    auto lo = histogram::lower_bound_of(i);
    auto next = histogram::lower_bound_of(i + 1);
    BOOST_REQUIRE_EQUAL(lo + histogram::width_of(i), next);
    BOOST_REQUIRE_EQUAL(histogram::index_of(lo), i);
    BOOST_REQUIRE_EQUAL(histogram::index_of(next - 1), i);
  }
}

BOOST_AUTO_TEST_CASE(quantiles_are_within_the_stated_relative_error) {
  std::mt19937_64 rng{123};
  for (int round = 0; round < 50; ++round) {
    histogram h;
    std::vector<int64_t> xs;
    auto n = 1 + rng() % 2000;
    for (uint64_t i = 0; i < n; ++i) {
      auto v = log_uniform(rng);
      xs.push_back(v);
      h.record(v);
    }
    for (double q : {0.0, 0.001, 0.25, 0.5, 0.9, 0.99, 0.999, 1.0}) {
      auto exact = exact_quantile(xs, q);
      auto got = h.quantile(q);
      auto err =
          std::abs(static_cast<double>(got) - static_cast<double>(exact));
      BOOST_REQUIRE_LE(err,
                       static_cast<double>(exact) * histogram::relative_error);
    }
  }
}

BOOST_AUTO_TEST_CASE(merging_equals_recording_everything_in_one) {
  std::mt19937_64 rng{9};
  histogram a;
  histogram b;
  histogram all;
  for (int i = 0; i < 5000; ++i) {
    auto v = log_uniform(rng);
    (i % 3 == 0 ? a : b).record(v);
    all.record(v);
  }
  histogram m = a;
  m.merge(b);
  BOOST_TEST((m == all));
  histogram empty;
  empty.merge(all);
  BOOST_TEST((empty == all));
  all.merge(histogram{});
  BOOST_TEST((empty == all));
}

BOOST_AUTO_TEST_CASE(clear_forgets_everything) {
  histogram h;
  h.record(5);
  h.clear();
  BOOST_TEST((h == histogram{}));
}

// -- serialization ------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_state_survives_a_round_trip) {
  std::mt19937_64 rng{10};
  histogram h;
  for (int i = 0; i < 1000; ++i)
    h.record(log_uniform(rng));
  auto back = histogram::deserialize(h.serialize());
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST((*back == h));
  auto empty = histogram::deserialize(histogram{}.serialize());
  BOOST_REQUIRE(empty.has_value());
  BOOST_TEST((*empty == histogram{}));
}

BOOST_AUTO_TEST_CASE(garbage_is_rejected) {
  histogram h;
  h.record(5);
  h.record(500);
  h.record(5'000'000);
  auto bytes = h.serialize();
  for (size_t n = 0; n < bytes.size(); ++n)
    BOOST_TEST(!histogram::deserialize(bytes.substr(0, n)).has_value());
  BOOST_TEST(!histogram::deserialize(bytes + "\x01").has_value());
  auto wrong_min = bytes;
  wrong_min[4] = 4; // min 4 is not in the first bucket (3)
  BOOST_TEST(!histogram::deserialize(wrong_min).has_value());
  auto wrong_sum = bytes;
  wrong_sum[27] = 0x7f; // sum far above count * max
  BOOST_TEST(!histogram::deserialize(wrong_sum).has_value());
  auto wrong_count = bytes;
  wrong_count[3] = 4; // count says 4, buckets hold 3
  BOOST_TEST(!histogram::deserialize(wrong_count).has_value());
  std::mt19937_64 rng{3};
  for (int i = 0; i < 5000; ++i) {
    auto junk = bytes;
    junk[rng() % junk.size()] = static_cast<char>(rng());
    if (auto r = histogram::deserialize(junk)) {
      r->quantile(0.5);
      r->record(7);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(histogram_golden)

BOOST_AUTO_TEST_CASE(the_byte_format_is_pinned) {
  histogram h;
  h.record(3);
  h.record(300, 2); // bucket 278
  BOOST_TEST(test::to_hex(h.serialize()) == "0601"
                                            "07"
                                            "03"
                                            "0300000000000000"
                                            "2c01000000000000"
                                            "5b02000000000000"
                                            "0000000000000000"
                                            "02"
                                            "0301"
                                            "930202");
}

BOOST_AUTO_TEST_SUITE_END()
