#include "timecontrol/plugins/stats.hpp"

#include <boost/test/unit_test.hpp>

#include "tests/plugins/checks.hpp"
#include "tests/support/faulty_store.hpp"
#include "tests/support/print.hpp"

using namespace tc;
using namespace std::chrono_literals;

namespace {

struct log_builder {
  time_point t = test::sample_time();
  std::vector<envelope> events;

  void at(duration offset, std::string source, event body) {
    events.push_back(
        envelope{0, t + offset, std::move(source), std::move(body)});
  }
};

std::shared_ptr<stats> folded(const std::vector<envelope>& events,
                              duration bucket = 1min) {
  auto s = std::make_shared<stats>(bucket);
  seq_t seq = 0;
  for (auto x : events) {
    x.seq = ++seq;
    s->consume(x);
  }
  return s;
}

} // namespace

BOOST_AUTO_TEST_SUITE(stats_plugin)

BOOST_AUTO_TEST_CASE(it_counts_expired_calls_once_each_and_keeps_them) {
  log_builder b;
  b.at(0ms, "api", call_admitted{1, 0ms, 5});
  b.at(0ms, "api", call_throttled{2, 1s, throttle_action::expired});
  b.at(10ms, "api", call_throttled{3, 1s, throttle_action::waited});
  b.at(310ms, "api", call_throttled{3, 300ms, throttle_action::expired});
  auto s = folded(b.events);
  auto* api = s->command("api");
  BOOST_REQUIRE(api != nullptr);
  BOOST_TEST(api->requested == 3u);
  BOOST_TEST(api->admitted == 1u);
  BOOST_TEST(api->expired == 2u);
  BOOST_TEST(api->throttled[0] == 1u); // call 3 waited first
  BOOST_TEST(api->throttled[1] == 0u);
  BOOST_TEST(api->throttled_total() == 1u);
  auto copy = folded({});
  BOOST_REQUIRE(!copy->load(s->save()));
  BOOST_REQUIRE(copy->command("api") != nullptr);
  BOOST_TEST(copy->command("api")->expired == 2u);
}

BOOST_AUTO_TEST_CASE(it_counts_each_call_by_its_outcome) {
  log_builder b;
  b.at(0ms, "api", call_requested{1});
  b.at(0ms, "api", call_admitted{1, 0ms});
  b.at(0ms, "api", call_started{1});
  b.at(20ms, "api", call_finished{1, 20ms, true, ""});
  b.at(100ms, "api", call_requested{2});
  b.at(100ms, "api", call_throttled{2, 100ms, throttle_action::rejected});
  b.at(150ms, "api", call_requested{3});
  b.at(150ms, "api", call_throttled{3, 50ms, throttle_action::waited});
  b.at(200ms, "api", call_admitted{3, 50ms});
  b.at(200ms, "api", call_started{3});
  b.at(500ms, "api", call_timed_out{3, 250ms});
  b.at(600ms, "api", call_finished{3, 400ms, false, "late"});
  b.at(700ms, "api", call_requested{4});
  b.at(700ms, "api", call_throttled{4, 10ms, throttle_action::dropped});
  b.at(750ms, "api", call_admitted{5, 0ms});
  b.at(760ms, "api", call_finished{5, 10ms, false, "refused"});
  b.at(800ms, "feed", call_requested{1});
  auto s = folded(b.events);
  auto* api = s->command("api");
  BOOST_REQUIRE(api != nullptr);
  BOOST_TEST(api->requested == 5u);
  BOOST_TEST(api->admitted == 3u);
  BOOST_TEST(api->throttled[0] == 1u); // waited
  BOOST_TEST(api->throttled[1] == 1u); // rejected
  BOOST_TEST(api->throttled[2] == 1u); // dropped
  BOOST_TEST(api->throttled_total() == 3u);
  // One outcome per call: call 3 timed out, and its late end (failed) is
  // not a second outcome, though it adds its duration.
  BOOST_TEST(api->finished_ok == 1u);
  BOOST_TEST(api->failed == 1u);
  BOOST_TEST(api->timed_out == 1u);
  BOOST_TEST(api->timed_out_running.empty());
  BOOST_TEST(api->durations.count() == 3u);
  BOOST_TEST(api->durations.max() == duration{400ms}.count());
  BOOST_TEST(api->waits.max() == duration{50ms}.count());
  BOOST_TEST(api->intervals.count() == 2u);
  BOOST_TEST(api->intervals.min() == duration{200ms}.count());
  BOOST_TEST(api->first == b.t);
  BOOST_TEST(api->last == b.t + 750ms);
  BOOST_TEST(s->command("feed")->requested == 1u);
  BOOST_TEST(s->command("nobody") == nullptr);
  BOOST_TEST(s->events() == b.events.size());
  BOOST_TEST(s->until() == b.t + 800ms);
}

BOOST_AUTO_TEST_CASE(a_timed_out_call_that_ends_after_a_snapshot_counts_once) {
  log_builder b;
  b.at(0ms, "api", call_admitted{1, 0ms});
  b.at(500ms, "api", call_timed_out{1, 500ms});
  auto s = folded(b.events);
  BOOST_TEST(s->command("api")->timed_out_running.size() == 1u);
  stats restored;
  BOOST_REQUIRE(!restored.load(s->save()));
  restored.consume(
      envelope{3, b.t + 900ms, "api", call_finished{1, 900ms, true, ""}});
  auto* api = restored.command("api");
  BOOST_TEST(api->timed_out == 1u);
  BOOST_TEST(api->finished_ok == 0u);
  BOOST_TEST(api->timed_out_running.empty());
}

BOOST_AUTO_TEST_CASE(a_compact_log_counts_the_same_as_four_events_per_call) {
  // The calls of the case above as this build's Commands record them: no
  // call_requested, no call_started.
  log_builder legacy;
  legacy.at(0ms, "api", call_requested{1});
  legacy.at(0ms, "api", call_admitted{1, 0ms});
  legacy.at(0ms, "api", call_started{1});
  legacy.at(20ms, "api", call_finished{1, 20ms, true, ""});
  legacy.at(100ms, "api", call_requested{2});
  legacy.at(100ms, "api", call_throttled{2, 100ms, throttle_action::rejected});
  legacy.at(150ms, "api", call_requested{3});
  legacy.at(150ms, "api", call_throttled{3, 50ms, throttle_action::waited});
  legacy.at(200ms, "api", call_admitted{3, 50ms});
  legacy.at(200ms, "api", call_started{3});
  legacy.at(600ms, "api", call_finished{3, 400ms, true, ""});
  legacy.at(70s, "api", call_requested{4});
  legacy.at(70s, "api", call_throttled{4, 10ms, throttle_action::dropped});
  log_builder compact;
  for (auto& x : legacy.events)
    if (!std::holds_alternative<call_requested>(x.body) &&
        !std::holds_alternative<call_started>(x.body))
      compact.events.push_back(x);
  auto a = folded(legacy.events);
  auto b = folded(compact.events);
  BOOST_TEST(b->command("api")->requested == 4u);
  BOOST_TEST(b->command("api")->rate.size() == 2u);
  BOOST_TEST((*a->command("api") == *b->command("api")));
  // A snapshot keeps the calls still waiting for their admission.
  auto half =
      std::vector<envelope>(compact.events.begin(), compact.events.begin() + 4);
  auto saved = folded(half);
  stats restored;
  BOOST_REQUIRE(!restored.load(saved->save()));
  seq_t seq = 4;
  for (auto x : std::vector<envelope>(compact.events.begin() + 4,
                                      compact.events.end())) {
    x.seq = ++seq;
    restored.consume(x);
  }
  BOOST_TEST((*restored.command("api") == *b->command("api")));
}

BOOST_AUTO_TEST_CASE(it_counts_requests_per_time_bucket) {
  log_builder b;
  // sample_time() is on a whole second; buckets of 1 s are aligned to it.
  for (auto offset : {0ms, 10ms, 999ms, 1000ms, 3500ms})
    b.at(offset, "api", call_requested{1});
  auto s = folded(b.events, 1s);
  auto& rate = s->command("api")->rate;
  auto base = to_nanos(b.t);
  BOOST_REQUIRE(rate.size() == 3u);
  BOOST_TEST(rate.at(base) == 3u);
  BOOST_TEST(rate.at(base + 1'000'000'000) == 1u);
  BOOST_TEST(rate.at(base + 3'000'000'000) == 1u);
}

BOOST_AUTO_TEST_CASE(it_sums_the_time_a_watched_command_spent_late_and_down) {
  log_builder b;
  using enum deadline_status;
  b.at(0s, "watchdog", deadline_status_changed{"feed", never_called, up});
  b.at(10s, "watchdog", deadline_status_changed{"feed", up, late});
  b.at(12s, "watchdog", deadline_status_changed{"feed", late, down});
  b.at(12s, "watchdog", deadline_missed{"feed", 2s});
  b.at(20s, "watchdog", deadline_status_changed{"feed", down, up});
  b.at(30s, "watchdog", deadline_status_changed{"feed", up, late});
  b.at(33s, "other", call_requested{1});
  auto s = folded(b.events);
  auto& d = s->deadlines().at({"watchdog", "feed"});
  BOOST_TEST(d.misses == 1u);
  BOOST_TEST(d.late_by.max() == duration{2s}.count());
  BOOST_TEST(d.changes == 5u);
  BOOST_TEST(d.status == late);
  // 2 s closed, plus 3 s open up to the latest event (33 s).
  BOOST_TEST(s->late_time(d) == duration{5s});
  BOOST_TEST(s->down_time(d) == duration{8s});
}

BOOST_AUTO_TEST_CASE(time_late_over_centuries_saturates_instead_of_wrapping) {
  // 1700 to 2200 is 500 years, more than 64-bit nanoseconds hold (292):
  // the difference alone overflowed, and the sum came out negative.
  using enum deadline_status;
  auto y1700 = from_nanos(-8'520'336'000'000'000'000);
  auto y1800 = from_nanos(-5'364'662'400'000'000'000);
  auto y2000 = from_nanos(946'684'800'000'000'000);
  auto y2200 = from_nanos(7'258'118'400'000'000'000);
  std::vector<envelope> events{
      {0, y1700, "watchdog",
       deadline_status_changed{"feed", never_called, late}},
      {0, y2200, "watchdog", deadline_status_changed{"feed", late, down}},
      {0, y1700, "api", call_admitted{1, 0ns}},
      {0, y2200, "api", call_admitted{2, 0ns}},
  };
  auto s = folded(events);
  auto& d = s->deadlines().at({"watchdog", "feed"});
  BOOST_TEST(d.late_time == duration::max());
  BOOST_TEST(s->late_time(d) == duration::max());
  BOOST_TEST(s->command("api")->intervals.max() == duration::max().count());
  // Times that go back and forth: each stretch fits, their sum does not
  // (250 years twice).
  std::vector<envelope> back_and_forth{
      {0, y2000 - 50 * 8760h, "watchdog",
       deadline_status_changed{"feed", never_called, down}},
      {0, y2200, "watchdog", deadline_status_changed{"feed", down, up}},
      {0, y2000 - 50 * 8760h, "watchdog",
       deadline_status_changed{"feed", up, down}},
      {0, y2200, "watchdog", deadline_status_changed{"feed", down, up}},
  };
  auto t = folded(back_and_forth);
  auto& e = t->deadlines().at({"watchdog", "feed"});
  BOOST_TEST(e.down_time == duration::max());
  BOOST_TEST(t->down_time(e) == duration::max());
  // An open stretch (200 years) on top of a closed one (200 years).
  std::vector<envelope> open{
      {0, y1800, "watchdog",
       deadline_status_changed{"feed", never_called, late}},
      {0, y2000, "watchdog", deadline_status_changed{"feed", late, up}},
      {0, y2000, "watchdog", deadline_status_changed{"feed", up, late}},
      {0, y2200, "other", call_admitted{1, 0ns}},
  };
  auto u = folded(open);
  auto& f = u->deadlines().at({"watchdog", "feed"});
  BOOST_TEST(f.late_time == y2000 - y1800);
  BOOST_TEST(u->late_time(f) == duration::max());
}

BOOST_AUTO_TEST_CASE(replaying_the_same_log_gives_the_same_state) {
  auto store = test::store_of(test::random_log(3000));
  auto last = store->last_seq();
  test::check_replay_determinism(*store,
                                 [] { return std::make_shared<stats>(10s); },
                                 {1, last / 3, last / 2, last - 1, last});
}

BOOST_AUTO_TEST_CASE(a_damaged_snapshot_does_not_load) {
  auto store = test::store_of(test::random_log(200));
  stats s{10s};
  test::replayed(*store, s);
  test::check_damaged_snapshots(s, [] { return std::make_shared<stats>(10s); });
}

BOOST_AUTO_TEST_CASE(
    a_snapshot_whose_record_is_damaged_or_newer_is_passed_over) {
  auto events = test::random_log(300);
  auto inner = event_store::open("plugin-test", {.mode = durability::memory});
  BOOST_REQUIRE(inner);
  BOOST_REQUIRE((*inner)->append(events));
  test::faulty_store store{std::move(*inner)};
  stats saved{10s};
  BOOST_REQUIRE(!rebuild(store, saved, {.from_snapshot = false, .to = 100}));
  BOOST_REQUIRE(!save_snapshot(store, saved));
  stats full{10s};
  auto expected = test::replayed(store, full);
  for (auto code : {errc::corrupt_record, errc::newer_format}) {
    store.snapshot_error = code;
    stats s{10s};
    auto err = rebuild(store, s);
    BOOST_TEST(!err, render(err));
    BOOST_TEST(s.save() == expected);
  }
  // A read that fails is an error, not a reason to replay everything.
  store.snapshot_error = errc::storage_failure;
  stats failed{10s};
  BOOST_TEST(is(rebuild(store, failed), errc::storage_failure));
}

BOOST_AUTO_TEST_CASE(a_snapshot_of_another_bucket_width_does_not_load) {
  auto store = test::store_of(test::random_log(50));
  stats s{10s};
  test::replayed(*store, s);
  stats other{1h};
  auto err = other.load(s.save());
  BOOST_TEST(render(err).find("10s wide, not 1h") != std::string::npos);
  BOOST_TEST(other.bucket() == duration{1h});
  // Each width has its own snapshot name.
  BOOST_TEST(stats{}.name() == "stats");
  BOOST_TEST(s.name() == "stats/10s");
}

BOOST_AUTO_TEST_SUITE_END()
