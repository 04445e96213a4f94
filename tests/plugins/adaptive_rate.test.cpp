#include "timecontrol/plugins/adaptive_rate.hpp"

#include <boost/test/unit_test.hpp>

#include <clocale>
#include <cmath>
#include <cstring>

#include "tests/plugins/checks.hpp"
#include "tests/support/print.hpp"

using namespace tc;
using namespace std::chrono_literals;

namespace {

// Feeds one command's events to an adaptive_rate, numbering them.
struct feeder {
  adaptive_rate learner;
  time_point t = test::sample_time();
  seq_t seq = 0;
  uint64_t id = 0;

  explicit feeder(adaptive_rate_config config = {.command = "api"})
      : learner(std::move(config)) {}

  void feed(event body) {
    learner.consume(envelope{++seq, t, "api", std::move(body)});
  }

  /// One call that waited in the command's queue (so the limiter holds
  /// calls back) and ended with `error` ("" for success), as a Command
  /// records it (the compact call record).
  uint64_t call(std::string error = "") {
    auto n = ++id;
    feed(call_throttled{n, 10ms, throttle_action::waited});
    feed(call_admitted{n, 10ms});
    feed(call_finished{n, 1ms, error.empty(), std::move(error)});
    return n;
  }

  void applied(const std::string& spec) { feed(policy_changed{spec}); }
};

} // namespace

BOOST_AUTO_TEST_SUITE(adaptive_rate_plugin)

BOOST_AUTO_TEST_CASE(it_starts_from_the_commands_limiter) {
  feeder f;
  BOOST_TEST(f.learner.rate() == 1.0);
  BOOST_TEST(!f.learner.applied());
  BOOST_TEST(*f.learner.proposal() == "1/s burst 1");
  f.applied("4/s burst 8");
  BOOST_TEST(f.learner.rate() == 4.0);
  BOOST_TEST(*f.learner.applied() == 4.0);
  BOOST_TEST(!f.learner.proposal());
  f.applied("min 200ms");
  BOOST_TEST(f.learner.rate() == 5.0);
  f.applied("30 per 10s");
  BOOST_TEST(f.learner.rate() == 3.0);
}

BOOST_AUTO_TEST_CASE(successes_under_pressure_raise_the_rate) {
  feeder f;
  f.applied("2/s");
  f.call();
  BOOST_TEST(f.learner.rate() == 2.5); // slow start: + slow_start_gain
  BOOST_TEST(*f.learner.proposal() == "2.5/s burst 1");
}

BOOST_AUTO_TEST_CASE(successes_without_pressure_change_nothing) {
  feeder f;
  f.applied("2/s");
  f.feed(call_requested{1});
  f.feed(call_admitted{1, 0ms});
  f.feed(call_started{1});
  f.feed(call_finished{1, 1ms, true, ""});
  BOOST_TEST(f.learner.rate() == 2.0);
  // Pressure longer ago than the window does not count either.
  f.feed(call_throttled{2, 100ms, throttle_action::rejected});
  f.t += 2s;
  f.feed(call_requested{3});
  f.feed(call_admitted{3, 0ms});
  f.feed(call_finished{3, 1ms, true, ""});
  BOOST_TEST(f.learner.rate() == 2.0);
}

BOOST_AUTO_TEST_CASE(pressure_centuries_ago_is_outside_the_window) {
  // 1700 to 2200: the difference overflowed 64-bit nanoseconds, came out
  // negative, and so "within the window".
  feeder f;
  f.applied("2/s");
  f.t = from_nanos(-8'520'336'000'000'000'000);
  f.feed(call_throttled{1, 100ms, throttle_action::rejected});
  f.t = from_nanos(7'258'118'400'000'000'000);
  f.feed(call_admitted{2, 0ms});
  f.feed(call_finished{2, 1ms, true, ""});
  BOOST_TEST(f.learner.rate() == 2.0);
}

BOOST_AUTO_TEST_CASE(a_remote_throttle_cuts_the_rate_once_per_round) {
  feeder f;
  f.applied("10/s");
  f.feed(call_admitted{1, 0ms});
  f.feed(call_admitted{2, 0ms});
  f.feed(call_throttled{4, 10ms, throttle_action::waited}); // queued
  f.feed(call_finished{1, 1ms, false, "throttled: remote said no"});
  BOOST_TEST(f.learner.ceiling() == 10.0);
  BOOST_TEST(f.learner.rate() == 9.25);
  BOOST_TEST(f.learner.cuts() == 1u);
  // Proposed at once, though the change is within the hysteresis... and
  // call 2 was admitted before the cut: its throttle does not cut again.
  BOOST_TEST(*f.learner.proposal() == "9.25/s burst 1");
  f.feed(call_finished{2, 1ms, false, "HTTP 429 Too Many Requests"});
  BOOST_TEST(f.learner.rate() == 9.25);
  BOOST_TEST(f.learner.remote_throttles() == 2u);
  BOOST_TEST(f.learner.cuts() == 1u);
  // Nor does one the command admits before it applies the cut.
  f.feed(call_admitted{3, 0ms});
  f.feed(call_finished{3, 1ms, false, "throttled"});
  BOOST_TEST(f.learner.cuts() == 1u);
  f.applied("9.25/s burst 1");
  BOOST_TEST(!f.learner.proposal());
  // A call admitted after the cut took effect that is throttled cuts again,
  // also one that waited in the queue through the cut.
  f.feed(call_admitted{4, 50ms});
  f.feed(call_finished{4, 1ms, false, "throttled"});
  BOOST_TEST(f.learner.cuts() == 2u);
  BOOST_TEST(f.learner.ceiling() == 9.25);
}

BOOST_AUTO_TEST_CASE(other_failures_do_not_cut) {
  feeder f;
  f.applied("10/s");
  f.call("connection refused");
  BOOST_TEST(f.learner.cuts() == 0u);
  BOOST_TEST(f.learner.remote_throttles() == 0u);
}

BOOST_AUTO_TEST_CASE(after_a_cut_it_climbs_by_a_share_of_the_ceiling) {
  feeder f;
  f.applied("10/s");
  f.call("throttled");
  f.applied(*f.learner.proposal());
  auto before = f.learner.rate();
  f.call();
  // increase * ceiling / rate: 1.5 % of 10 per second at 9.25 calls a second.
  BOOST_TEST(f.learner.rate() == before + 0.015 * 10 / before,
             boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(small_changes_wait_for_the_hysteresis) {
  feeder f{{.command = "api", .slow_start_gain = 0.1}};
  f.applied("10/s");
  f.call(); // 10.1: 1 % off
  BOOST_TEST(!f.learner.proposal());
  f.call();
  f.call(); // 10.3: 3 % off
  BOOST_TEST(*f.learner.proposal() == "10.3/s burst 1");
}

BOOST_AUTO_TEST_CASE(specs_have_three_significant_digits) {
  adaptive_rate a{{.command = "x", .burst = 4}};
  BOOST_TEST(a.spec_for(18.5349) == "18.5/s burst 4");
  BOOST_TEST(a.spec_for(1534) == "1530/s burst 4");
  BOOST_TEST(a.spec_for(150) == "150/s burst 4");
  BOOST_TEST(a.spec_for(0.0512) == "0.0512/s burst 4");
  BOOST_TEST(a.spec_for(2) == "2/s burst 4");
  BOOST_TEST(a.spec_for(1e-9) == "0.01/s burst 4"); // min_rate
}

BOOST_AUTO_TEST_CASE(replaying_the_same_log_gives_the_same_state) {
  auto events = test::random_log(3000);
  // Remote throttles and limiter changes among the calls.
  for (size_t i = 0; i < events.size(); i += 97)
    if (auto* fin = std::get_if<call_finished>(&events[i].body)) {
      fin->ok = false;
      fin->error = "throttled: 429";
    } else if (i % 2 == 0) {
      events[i].body = policy_changed{std::to_string(1 + i % 13) + "/s"};
    }
  auto store = test::store_of(std::move(events));
  auto last = store->last_seq();
  auto make = [] {
    return std::make_shared<adaptive_rate>(
        adaptive_rate_config{.command = "api", .pressure_window = 1h});
  };
  test::check_replay_determinism(*store, make, {1, last / 3, last / 2, last});
  auto learner = make();
  test::replayed(*store, *learner);
  BOOST_TEST(learner->cuts() > 0u);
  test::check_damaged_snapshots(*learner, make);
}

BOOST_AUTO_TEST_CASE(a_snapshot_with_a_value_out_of_range_does_not_load) {
  adaptive_rate a{{.command = "a"}};
  auto bytes = a.save();
  // tag, command, then the rate and the ceiling as 8-byte doubles.
  auto ceiling_at =
      1 + std::string_view{"tc.adaptive_rate/1"}.size() + 1 + 1 + 8;
  for (double bad : {std::nan(""), -1.0, HUGE_VAL}) {
    auto damaged = bytes;
    std::memcpy(damaged.data() + ceiling_at, &bad, sizeof bad);
    adaptive_rate b{{.command = "a"}};
    auto err = b.load(damaged);
    BOOST_TEST(render(err).find("out of range") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(specs_ignore_the_locale) {
  // A host program's locale with a decimal comma.
  auto* before = std::setlocale(LC_NUMERIC, nullptr);
  std::string saved = before ? before : "C";
  if (std::setlocale(LC_NUMERIC, "de_DE.UTF-8") == nullptr &&
      std::setlocale(LC_NUMERIC, "fr_FR.UTF-8") == nullptr)
    BOOST_TEST_MESSAGE("no locale with a decimal comma here; checking in C");
  adaptive_rate a{{.command = "x"}};
  BOOST_TEST(a.spec_for(18.5349) == "18.5/s burst 1");
  std::setlocale(LC_NUMERIC, saved.c_str());
}

BOOST_AUTO_TEST_CASE(a_snapshot_of_another_command_does_not_load) {
  adaptive_rate a{{.command = "a"}};
  adaptive_rate b{{.command = "b"}};
  auto err = b.load(a.save());
  BOOST_TEST(render(err).find("of command 'a', not 'b'") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
