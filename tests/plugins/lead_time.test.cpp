#include "timecontrol/plugins/lead_time.hpp"

#include <boost/test/unit_test.hpp>

#include "tests/plugins/checks.hpp"
#include "tests/support/print.hpp"

using namespace tc;
using namespace std::chrono_literals;

namespace {

// Builds a log and folds it into a lead_time plugin as it goes.
struct lead_log {
  time_point t = test::sample_time();
  std::vector<envelope> events;
  lead_time lt;
  uint64_t call_id = 0;

  explicit lead_log(lead_time_config config = {.controller = "watchdog"})
      : lt(std::move(config)) {
    // nop
  }

  void add(std::string source, event body) {
    events.push_back(
        envelope{events.size() + 1, t, std::move(source), std::move(body)});
    lt.consume(events.back());
  }

  void watch_it(const watch& w, std::string controller = "watchdog") {
    add(std::move(controller), policy_changed{watch_spec(w)});
  }

  // A call of `command` that takes `took`, then a pause of `gap`.
  void call(const std::string& command, duration took, duration gap = 1s) {
    ++call_id;
    add(command, call_started{call_id});
    t += took;
    add(command, call_finished{call_id, took, true, ""});
    t += gap;
  }

  void calls(const std::string& command, int n, duration took) {
    for (int i = 0; i < n; ++i)
      call(command, took);
  }
};

// The recommended lead in milliseconds; -1 for none.
int64_t recommended_ms(const lead_time& lt, const std::string& command) {
  auto lead = lt.recommended(command);
  return lead ? std::chrono::duration_cast<std::chrono::milliseconds>(*lead)
                    .count()
              : -1;
}

duration ms(int64_t n) {
  return std::chrono::milliseconds{n};
}

// A log for the common checks: watches that change, calls of watched and
// other commands, intents of the Scheduler joined to calls, an unwatch.
std::vector<envelope> watched_log(size_t n, uint64_t seed = 11) {
  std::mt19937_64 rng{seed};
  auto out = test::random_log(n, seed);
  std::vector<envelope> result;
  auto t = test::sample_time();
  auto add = [&](std::string source, event body) {
    result.push_back(envelope{0, t, std::move(source), std::move(body)});
  };
  add("watchdog", policy_changed{watch_spec({"api", 2s, 1s})});
  add("watchdog", policy_changed{watch_spec({"feed", 1s, 0s, 300ms})});
  add("other", policy_changed{watch_spec({"report", 1s, 0s})});
  uint64_t intent = 0;
  for (auto& x : out) {
    t = x.time;
    if (std::holds_alternative<call_requested>(x.body) && rng() % 3 == 0) {
      add("scheduler",
          intent_scheduled{++intent, x.source,
                           rng() % 2 ? "once 5" : "every 1s", "", 0, "", ""});
      if (rng() % 5 == 0)
        add("scheduler", intent_cancelled{intent});
      else
        add("scheduler", intent_fired{intent, t, ""});
    }
    result.push_back(x);
    if (rng() % 200 == 0)
      add("watchdog",
          policy_changed{watch_spec(
              {"feed", 1s, 0s, ms(static_cast<int64_t>(rng() % 900))})});
    if (rng() % 500 == 0)
      add("watchdog", policy_changed{"unwatch report"});
    if (rng() % 500 == 0)
      add("watchdog", policy_changed{watch_spec({"report", 5s, 1s})});
  }
  return result;
}

lead_time_config small_window() {
  return {.controller = "watchdog", .window = 20};
}

} // namespace

BOOST_AUTO_TEST_SUITE(lead_time_plugin)

BOOST_AUTO_TEST_CASE(the_lead_is_a_high_quantile_of_durations_plus_a_margin) {
  lead_log b;
  b.watch_it({"poll", 1s, 0s});
  b.calls("poll", 4, 300ms);
  // Fewer than min_samples (5) durations: no recommendation yet.
  BOOST_TEST(!b.lt.recommended("poll"));
  BOOST_TEST(!b.lt.pending_change("poll"));
  b.calls("poll", 1, 300ms);
  BOOST_TEST(recommended_ms(b.lt, "poll") == 350);
  auto change = b.lt.pending_change("poll");
  BOOST_REQUIRE(change);
  BOOST_TEST((*change == watch{"poll", 1s, 0s, 350ms}));
  BOOST_TEST(b.lt.pending_changes().size() == 1u);
}

BOOST_AUTO_TEST_CASE(the_quantile_skips_rare_outliers_and_is_rounded_up) {
  lead_log b;
  b.watch_it({"poll", 1s, 0s});
  // 1 .. 100 ms: p99 is the 99th, 99 ms; + 50 ms margin = 149 ms -> 150 ms.
  for (int i = 1; i <= 100; ++i)
    b.call("poll", ms(i));
  BOOST_TEST(recommended_ms(b.lt, "poll") == 150);
  lead_log median{{.controller = "watchdog",
                   .quantile = 0.5,
                   .margin = 0ms,
                   .resolution = 20ms}};
  median.watch_it({"poll", 1s, 0s});
  for (int i = 1; i <= 100; ++i)
    median.call("poll", ms(i));
  // The 50th is 50 ms, rounded up to 60 ms.
  BOOST_TEST(recommended_ms(median.lt, "poll") == 60);
}

BOOST_AUTO_TEST_CASE(the_lead_follows_durations_that_grow_and_shrink) {
  lead_log b{small_window()};
  b.watch_it({"poll", 1s, 0s});
  b.calls("poll", 20, 300ms);
  BOOST_TEST(recommended_ms(b.lt, "poll") == 350);
  b.calls("poll", 10, 600ms);
  // Half the window is slow now: p99 sees them.
  BOOST_TEST(recommended_ms(b.lt, "poll") == 650);
  b.calls("poll", 19, 100ms);
  BOOST_TEST(recommended_ms(b.lt, "poll") == 650);
  b.calls("poll", 1, 100ms);
  // The window holds only fast calls now.
  BOOST_TEST(recommended_ms(b.lt, "poll") == 150);
}

BOOST_AUTO_TEST_CASE(a_change_smaller_than_the_hysteresis_is_not_pending) {
  lead_log b;
  b.watch_it({"poll", 1s, 0s, 350ms}); // applied already
  b.calls("poll", 10, 300ms);
  BOOST_TEST(!b.lt.pending_change("poll"));
  // 305 ms + 50 ms -> 360 ms: 10 ms off, not more than the hysteresis.
  b.calls("poll", 1, 305ms);
  BOOST_TEST(recommended_ms(b.lt, "poll") == 360);
  BOOST_TEST(!b.lt.pending_change("poll"));
  b.calls("poll", 1, 311ms); // -> 370 ms
  auto change = b.lt.pending_change("poll");
  BOOST_REQUIRE(change);
  BOOST_TEST((change->lead == 370ms));
  // Once the controller records it, nothing is pending.
  b.watch_it(*change);
  BOOST_TEST(b.lt.applied("poll")->lead == duration{370ms});
  BOOST_TEST(!b.lt.pending_change("poll"));
}

BOOST_AUTO_TEST_CASE(a_lead_of_a_period_or_more_is_not_recommended) {
  lead_log b;
  b.watch_it({"poll", 1s, 0s});
  b.calls("poll", 5, 960ms); // 1010 ms -> 1010 ms >= 1 s
  BOOST_TEST(recommended_ms(b.lt, "poll") == 1010);
  BOOST_TEST(!b.lt.pending_change("poll"));
}

BOOST_AUTO_TEST_CASE(a_lead_past_64_bit_nanoseconds_is_too_long_not_zero) {
  // Durations near the largest a duration holds, plus the margin: the sum
  // wrapped to a negative lead, rounded up to 0, and a lead of 0 was
  // recommended to replace 300 ms.
  lead_log b;
  b.watch_it({"poll", 1s, 0s, 300ms});
  for (uint64_t id = 1; id <= 5; ++id) {
    b.add("poll", call_started{id});
    b.add("poll", call_finished{id, duration::max() - 1ms, true, ""});
  }
  auto lead = b.lt.recommended("poll");
  BOOST_REQUIRE(lead.has_value());
  BOOST_TEST(*lead > duration::max() - 10ms);
  BOOST_TEST(lead->count() % duration{10ms}.count() == 0);
  BOOST_TEST(!b.lt.pending_change("poll"));
}

BOOST_AUTO_TEST_CASE(it_learns_only_for_the_watches_of_its_controller) {
  lead_log b{{.controller = "watchdog", .commands = {"poll", "feed"}}};
  b.watch_it({"poll", 1s, 0s});
  b.watch_it({"report", 1s, 0s});                 // not among `commands`
  b.watch_it({"feed", 1s, 0s}, "other-watchdog"); // another controller
  for (auto name : {"poll", "report", "feed", "unwatched"})
    b.calls(name, 5, 100ms);
  BOOST_TEST(b.lt.recommended("poll").has_value());
  BOOST_TEST(!b.lt.recommended("report"));
  BOOST_TEST(!b.lt.recommended("feed"));
  BOOST_TEST(!b.lt.recommended("unwatched"));
  BOOST_TEST(b.lt.applied("report") == nullptr);
  BOOST_TEST(b.lt.samples("unwatched") == nullptr);
  BOOST_TEST(b.lt.pending_changes().size() == 1u);
  b.add("watchdog", policy_changed{"unwatch poll"});
  BOOST_TEST(!b.lt.recommended("poll"));
  BOOST_TEST(b.lt.pending_changes().empty());
}

BOOST_AUTO_TEST_CASE(cron_watches_take_no_lead_and_are_not_learned_for) {
  lead_log b;
  b.watch_it({"poll", 1s, 0s});
  b.watch_it({"backup", 0s, 1min, 0s, false, "0 3 * * *"});
  b.calls("poll", 5, 100ms);
  b.calls("backup", 5, 100ms);
  BOOST_TEST(b.lt.applied("backup") == nullptr);
  BOOST_TEST(!b.lt.recommended("backup"));
  BOOST_TEST(b.lt.pending_changes().size() == 1u);
  // A period watch changed to a cron watch is forgotten, and its snapshot
  // still loads.
  b.watch_it({"poll", 0s, 1min, 0s, false, "*/5 * * * *"});
  BOOST_TEST(b.lt.applied("poll") == nullptr);
  BOOST_TEST(b.lt.pending_changes().empty());
  lead_time loaded{{.controller = "watchdog"}};
  BOOST_TEST(!loaded.load(b.lt.save()));
  BOOST_TEST(loaded.save() == b.lt.save());
}

BOOST_AUTO_TEST_CASE(time_an_intent_waits_in_the_scheduler_adds_to_the_lead) {
  lead_log b;
  b.watch_it({"poll", 1s, 0s});
  for (uint64_t id = 1; id <= 5; ++id) {
    b.add("scheduler", intent_scheduled{id, "poll", "once 1", "", 0, "", ""});
    b.add("scheduler", intent_fired{id, b.t, ""});
    b.t += 120ms; // waits for the command's limiter
    b.call("poll", 300ms);
  }
  auto* s = b.lt.samples("poll");
  BOOST_REQUIRE(s);
  BOOST_TEST(s->waits.size() == 5u);
  BOOST_TEST(s->waits.back() == duration{120ms}.count());
  // 300 + 120 + 50
  BOOST_TEST(recommended_ms(b.lt, "poll") == 470);
  // A call nobody asked the Scheduler for waited for nothing.
  b.call("poll", 300ms);
  BOOST_TEST(s->waits.size() == 5u);
  lead_log without{{.controller = "watchdog", .count_waits = false}};
  for (auto& x : b.events)
    without.lt.consume(x);
  BOOST_TEST(recommended_ms(without.lt, "poll") == 350);
}

BOOST_AUTO_TEST_CASE(after_a_replay_it_knows_the_lead_applied_before) {
  lead_log b;
  b.watch_it({"poll", 1s, 0s});
  b.calls("poll", 5, 300ms);
  b.watch_it({"poll", 1s, 0s, 350ms});
  auto store = test::store_of(b.events);
  lead_time again{{.controller = "watchdog"}};
  test::replayed(*store, again);
  BOOST_REQUIRE(again.applied("poll"));
  BOOST_TEST(again.applied("poll")->lead == duration{350ms});
  BOOST_TEST(!again.pending_change("poll"));
  BOOST_TEST(again.name() == "lead_time/watchdog");
}

BOOST_AUTO_TEST_CASE(a_lead_change_keeps_how_the_watch_counts_failures) {
  lead_log b;
  b.watch_it({"poll", 1s, 0s, 0s, true}); // fail=call
  b.calls("poll", 5, 300ms);
  lead_time again{{.controller = "watchdog"}};
  BOOST_REQUIRE(!again.load(b.lt.save())); // through a snapshot
  for (auto* lt : {&b.lt, &again}) {
    auto change = lt->pending_change("poll");
    BOOST_REQUIRE(change);
    BOOST_TEST(change->lead == duration{350ms});
    BOOST_TEST(change->count_failures);
  }
}

BOOST_AUTO_TEST_CASE(a_one_shot_intent_that_was_skipped_is_forgotten) {
  lead_log b;
  b.watch_it({"poll", 1s, 0s});
  auto before = b.lt.save();
  b.add("scheduler", intent_scheduled{7, "poll", "now", "", 0, "", ""});
  BOOST_TEST(b.lt.save() != before);
  // Given up (a target that stayed unknown): it will never fire.
  b.add("scheduler", intent_misfired{7, b.t, 1, misfire_action::skipped});
  BOOST_TEST(b.lt.save() == before);
}

BOOST_AUTO_TEST_CASE(replaying_the_same_log_gives_the_same_state) {
  auto store = test::store_of(watched_log(3000));
  auto last = store->last_seq();
  test::check_replay_determinism(
      *store,
      [] {
        return std::make_shared<lead_time>(
            lead_time_config{.controller = "watchdog", .window = 50});
      },
      {1, 3, last / 3, last / 2, last - 1, last});
  lead_time lt{{.controller = "watchdog", .window = 50}};
  test::replayed(*store, lt);
  // The log exercised what the snapshot holds.
  BOOST_REQUIRE(lt.samples("api"));
  BOOST_TEST(lt.samples("api")->took.size() == 50u);
  BOOST_TEST(!lt.samples("api")->waits.empty());
}

BOOST_AUTO_TEST_CASE(a_damaged_snapshot_does_not_load) {
  auto store = test::store_of(watched_log(200));
  lead_time lt{{.controller = "watchdog", .window = 8}};
  test::replayed(*store, lt);
  BOOST_REQUIRE(!lt.watches().empty());
  test::check_damaged_snapshots(lt, [] {
    return std::make_shared<lead_time>(
        lead_time_config{.controller = "watchdog", .window = 8});
  });
}

BOOST_AUTO_TEST_CASE(a_snapshot_with_a_longer_window_keeps_the_newest) {
  lead_log b;
  b.watch_it({"poll", 1s, 0s});
  for (int i = 1; i <= 30; ++i)
    b.call("poll", ms(i));
  lead_time small{small_window()};
  BOOST_REQUIRE(!small.load(b.lt.save()));
  auto* s = small.samples("poll");
  BOOST_REQUIRE(s);
  BOOST_TEST(s->took.size() == 20u);
  BOOST_TEST(s->took.front() == duration{11ms}.count());
}

BOOST_AUTO_TEST_SUITE_END()
