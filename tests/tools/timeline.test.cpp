#include <boost/test/unit_test.hpp>

#include "tests/support/print.hpp"

#include "timecontrol/tools/timeline_svg.hpp"

#include <limits>
#include <string>
#include <vector>

using namespace tc;
using namespace tc::tool;
using namespace std::chrono_literals;

namespace {

const time_point t0 = from_nanos(1767225600000000000); // 2026-01-01T00:00:00Z

timeline fold(const std::vector<envelope>& events, timeline_options opt = {}) {
  timeline_builder b{std::move(opt)};
  for (auto& x : events)
    b.add(x);
  return b.finish();
}

const timeline_lane* find_lane(const timeline& t, std::string_view name) {
  for (auto& l : t.lanes)
    if (l.name == name)
      return &l;
  return nullptr;
}

// The bucket of `t` holding time `at`.
size_t bucket_at(const timeline& t, time_point at) {
  return static_cast<size_t>((at - t.begin) / t.bucket);
}

size_t count(std::string_view text, std::string_view what) {
  size_t n = 0;
  for (auto i = text.find(what); i != std::string_view::npos;
       i = text.find(what, i + 1))
    ++n;
  return n;
}

} // namespace

BOOST_AUTO_TEST_SUITE(timeline_tests)

BOOST_AUTO_TEST_CASE(xml_escape_escapes_markup_and_replaces_what_xml_forbids) {
  BOOST_TEST(xml_escape("a<b>&\"c'") == "a&lt;b&gt;&amp;&quot;c&apos;");
  BOOST_TEST(xml_escape("caf\xc3\xa9 \xe2\x86\x92") ==
             "caf\xc3\xa9 \xe2\x86\x92");
  // A stray byte, an overlong form, a surrogate and a control character.
  BOOST_TEST(xml_escape("x\xffy") == "x\xef\xbf\xbdy");
  BOOST_TEST(xml_escape("\xc0\xaf") == "\xef\xbf\xbd\xef\xbf\xbd");
  BOOST_TEST(xml_escape("\xed\xa0\x80") ==
             "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
  BOOST_TEST(xml_escape(std::string{"a\x01\tb", 4}) == "a\xef\xbf\xbd b");
}

BOOST_AUTO_TEST_CASE(calls_are_counted_by_how_they_ended) {
  auto t = fold({
      {0, t0, "api", call_requested{1}},
      {0, t0, "api", call_admitted{1, 0ns}},
      {0, t0 + 10ms, "api", call_finished{1, 10ms, true, ""}},
      {0, t0 + 20ms, "api", call_finished{2, 10ms, false, "boom"}},
      {0, t0 + 30ms, "api", call_timed_out{3, 1s}},
      // The timed-out call's end is not a second call.
      {0, t0 + 40ms, "api", call_finished{3, 2s, false, "late"}},
      {0, t0 + 50ms, "api", call_throttled{4, 1s, throttle_action::waited}},
      {0, t0 + 60ms, "api", call_throttled{5, 1s, throttle_action::dropped}},
  });
  auto* api = find_lane(t, "api");
  BOOST_REQUIRE(api != nullptr);
  BOOST_TEST(api->has_calls);
  // Call 1's request is its call_requested (a log of an earlier build);
  // calls 4 and 5 tell theirs with call_throttled (the compact record);
  // calls 2 and 3 tell none in this excerpt.
  BOOST_TEST(api->requested == 3u);
  BOOST_TEST(api->admitted == 1u);
  BOOST_TEST(api->totals.ok == 1u);
  BOOST_TEST(api->totals.failed == 1u);
  BOOST_TEST(api->totals.timed_out == 1u);
  BOOST_TEST(api->totals.throttled[0] == 1u);
  BOOST_TEST(api->totals.throttled[1] == 0u);
  BOOST_TEST(api->totals.throttled[2] == 1u);
  BOOST_TEST(t.events == 8u);
}

BOOST_AUTO_TEST_CASE(expired_calls_are_drawn_and_counted_apart_from_throttles) {
  auto t = fold({
      {0, t0, "api", call_throttled{1, 1s, throttle_action::waited}},
      {0, t0 + 300ms, "api", call_throttled{1, 1s, throttle_action::expired}},
      {0, t0 + 400ms, "api", call_throttled{2, 1s, throttle_action::expired}},
      {0, t0 + 500ms, "api", call_admitted{3, 0ns}},
  });
  auto* api = find_lane(t, "api");
  BOOST_REQUIRE(api != nullptr);
  BOOST_TEST(api->totals.throttled[0] == 1u);
  BOOST_TEST(api->totals.throttled[3] == 2u);
  BOOST_TEST(api->totals.throttled_total() == 1u); // as the stats count
  auto svg = render_svg(t, {});
  BOOST_TEST(svg.find("2 expired") != std::string::npos);
  BOOST_TEST(svg.find("throttled, expired (below)") != std::string::npos);
  BOOST_TEST(svg.find("throttled (expired)") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_default_bucket_is_a_round_200th_of_the_range) {
  auto t = fold({{0, t0, "api", call_finished{1, 1ms, true, ""}},
                 {0, t0 + 4s, "api", call_finished{2, 1ms, true, ""}}});
  BOOST_TEST(t.bucket == 20ms);
  BOOST_TEST(t.begin == t0);
  BOOST_TEST(t.buckets == 201u);
  BOOST_TEST(t.first == t0);
  BOOST_TEST(t.last == t0 + 4s);
}

BOOST_AUTO_TEST_CASE(events_out_of_time_order_land_in_their_buckets) {
  auto t = fold({{0, t0 + 3s, "api", call_finished{1, 1ms, true, ""}},
                 {0, t0 + 1s, "api", call_finished{2, 1ms, false, "x"}},
                 {0, t0 + 4s, "api", call_finished{3, 1ms, true, ""}},
                 {0, t0, "api", call_timed_out{4, 1s}}});
  auto* api = find_lane(t, "api");
  BOOST_REQUIRE(api != nullptr);
  BOOST_TEST(api->buckets[bucket_at(t, t0)].timed_out == 1u);
  BOOST_TEST(api->buckets[bucket_at(t, t0 + 1s)].failed == 1u);
  BOOST_TEST(api->buckets[bucket_at(t, t0 + 3s)].ok == 1u);
  BOOST_TEST(api->buckets[bucket_at(t, t0 + 4s)].ok == 1u);
}

BOOST_AUTO_TEST_CASE(
    a_long_log_is_folded_into_few_buckets_and_keeps_its_counts) {
  // A day of calls, one a second, with room for 64 buckets while reading.
  timeline_builder b{{.max_buckets = 64}};
  for (int i = 0; i < 86400; ++i)
    b.add({0, t0 + std::chrono::seconds{i}, "api",
           call_finished{static_cast<uint64_t>(i), 1ms, i % 10 != 0, ""}});
  auto t = b.finish();
  BOOST_TEST(t.buckets <= 201u);
  BOOST_TEST(t.bucket >= 86400s / 200);
  auto* api = find_lane(t, "api");
  BOOST_REQUIRE(api != nullptr);
  BOOST_TEST(api->totals.ok == 77760u);
  BOOST_TEST(api->totals.failed == 8640u);
  // Every bucket but the last is a whole multiple of seconds, all full.
  BOOST_TEST(api->buckets[0].ended() == static_cast<uint64_t>(t.bucket / 1s));
}

BOOST_AUTO_TEST_CASE(a_fixed_bucket_is_kept_when_it_fits_and_widened_when_not) {
  std::vector<envelope> events{{0, t0, "api", call_finished{1, 1ms, true, ""}},
                               {0, t0 + 4s, "api", call_timed_out{2, 1s}}};
  auto kept = fold(events, {.bucket = 7s});
  BOOST_TEST(kept.bucket == 7s);
  BOOST_TEST(kept.asked_bucket == 0ns);
  auto widened = fold(events, {.bucket = 1ms, .max_buckets = 300});
  BOOST_TEST(widened.bucket == 20ms); // 1ms, 2ms, 5ms, 10ms are too many
  BOOST_TEST(widened.asked_bucket == 1ms);
  BOOST_TEST(widened.buckets <= 300u);
  auto* api = find_lane(widened, "api");
  BOOST_REQUIRE(api != nullptr);
  BOOST_TEST(api->totals.ok == 1u);
  BOOST_TEST(api->totals.timed_out == 1u);
}

BOOST_AUTO_TEST_CASE(the_status_band_holds_the_time_spent_in_each_status) {
  auto t =
      fold({{0, t0, "api", call_finished{1, 1ms, true, ""}},
            {0, t0 + 1s, "watchdog",
             deadline_status_changed{"poller", deadline_status::up,
                                     deadline_status::late}},
            {0, t0 + 1s + 20ms, "watchdog",
             deadline_status_changed{"poller", deadline_status::late,
                                     deadline_status::down}},
            {0, t0 + 1s + 50ms, "watchdog",
             deadline_status_changed{"poller", deadline_status::down,
                                     deadline_status::up}},
            {0, t0 + 1s + 50ms, "watchdog", deadline_missed{"poller", 500ms}},
            {0, t0 + 3s + 50ms, "watchdog",
             deadline_status_changed{"poller", deadline_status::up,
                                     deadline_status::paused}},
            {0, t0 + 4s, "api", call_finished{2, 1ms, true, ""}}},
           {.bucket = 100ms});
  auto* poller = find_lane(t, "poller");
  BOOST_REQUIRE(poller != nullptr);
  BOOST_TEST(!poller->has_calls);
  BOOST_TEST(poller->watched_by == std::vector<std::string>{"watchdog"});
  BOOST_TEST(poller->totals.missed == 1u);
  auto ns = [&](time_point at, deadline_status s) {
    return duration{
        poller->buckets[bucket_at(t, at)].status_ns[static_cast<size_t>(s)]};
  };
  // Before the first change: the status that change left.
  BOOST_TEST(ns(t0, deadline_status::up) == 100ms);
  // Late, down and up again within one bucket, each for its time.
  BOOST_TEST(ns(t0 + 1s, deadline_status::late) == 20ms);
  BOOST_TEST(ns(t0 + 1s, deadline_status::down) == 30ms);
  BOOST_TEST(ns(t0 + 1s, deadline_status::up) == 50ms);
  BOOST_TEST(ns(t0 + 3s, deadline_status::up) == 50ms);
  BOOST_TEST(ns(t0 + 3s, deadline_status::paused) == 50ms);
  // After the last change, up to the end of the range.
  BOOST_TEST(ns(t0 + 3900ms, deadline_status::paused) == 100ms);
  BOOST_TEST(duration{poller->totals.status_ns[static_cast<size_t>(
                 deadline_status::paused)]} == 950ms);
  // The whole range is accounted for, once.
  int64_t total = 0;
  for (auto x : poller->totals.status_ns)
    total += x;
  BOOST_TEST(duration{total} == 4s);
  auto* api = find_lane(t, "api");
  for (auto x : api->totals.status_ns)
    BOOST_TEST(x == 0);
}

BOOST_AUTO_TEST_CASE(since_keeps_the_status_from_before_the_range) {
  auto t = fold({{0, t0, "watchdog",
                  deadline_status_changed{"poller", deadline_status::up,
                                          deadline_status::down}},
                 {0, t0 + 2s, "api", call_finished{1, 1ms, true, ""}},
                 {0, t0 + 5s, "api", call_finished{2, 1ms, true, ""}}},
                {.since = t0 + 1s, .until = t0 + 3s});
  BOOST_TEST(t.events == 1u);
  BOOST_TEST(t.first == t0 + 1s);
  BOOST_TEST(t.last == t0 + 3s);
  auto* poller = find_lane(t, "poller");
  BOOST_REQUIRE(poller != nullptr);
  BOOST_TEST(duration{poller->totals.status_ns[static_cast<size_t>(
                 deadline_status::down)]} == 2s);
}

BOOST_AUTO_TEST_CASE(a_long_status_is_spread_over_buckets_folded_meanwhile) {
  // Up for a day, with room for 16 buckets while reading: the folding in
  // between must keep the time.
  timeline_builder b{{.max_buckets = 16}};
  b.add({0, t0, "watchdog",
         deadline_status_changed{"poller", deadline_status::never_called,
                                 deadline_status::up}});
  for (int h = 1; h <= 24; ++h)
    b.add({0, t0 + std::chrono::hours{h}, "poller",
           call_finished{static_cast<uint64_t>(h), 1ms, true, ""}});
  b.add({0, t0 + 24h, "watchdog",
         deadline_status_changed{"poller", deadline_status::up,
                                 deadline_status::down}});
  auto t = b.finish();
  auto* poller = find_lane(t, "poller");
  BOOST_REQUIRE(poller != nullptr);
  BOOST_TEST(
      duration{
          poller->totals.status_ns[static_cast<size_t>(deadline_status::up)]} ==
      24h);
  BOOST_TEST(poller->totals.ok == 24u);
}

BOOST_AUTO_TEST_CASE(a_range_from_1677_to_2262_is_drawn_without_overflowing) {
  // From the first to the last nanosecond of 64-bit time: the range (2^64 ns)
  // overflowed, was taken for less than a millisecond, and the status band
  // was then spread over 5e12 buckets of 5 us (plot never ended); the
  // aligned buckets start before 1677 and end after 2262.
  auto first = time_point::min();
  auto last = time_point::max();
  auto y1900 = from_nanos(-2'208'988'800'000'000'000);
  auto t = fold({{0, first, "watchdog",
                  deadline_status_changed{"poller", deadline_status::up,
                                          deadline_status::down}},
                 {0, y1900, "watchdog",
                  deadline_status_changed{"poller", deadline_status::down,
                                          deadline_status::up}},
                 {0, t0, "api", call_finished{1, 1ms, true, ""}},
                 {0, last, "api", call_finished{2, 1ms, false, "x"}}});
  BOOST_TEST(t.first == first);
  BOOST_TEST(t.last == last);
  BOOST_TEST(t.buckets <= 2048u);
  BOOST_TEST(t.buckets >= 50u);
  // The first bucket starts before the earliest time: begin is clamped and
  // bucket_start() has it exactly.
  BOOST_TEST(t.begin == first);
  BOOST_TEST((t.bucket_start(0) < to_nanos(first)));
  BOOST_TEST((t.bucket_start(t.buckets) > to_nanos(last)));
  auto* poller = find_lane(t, "poller");
  BOOST_REQUIRE(poller != nullptr);
  auto down = static_cast<size_t>(deadline_status::down);
  auto up = static_cast<size_t>(deadline_status::up);
  // Down from 1677 to 1900 (223 years) fits; up from 1900 to 2262 (362
  // years) does not: that total stops at the largest value.
  BOOST_TEST(duration{poller->totals.status_ns[down]} == y1900 - first);
  BOOST_TEST(poller->totals.status_ns[up] ==
             std::numeric_limits<int64_t>::max());
  // Every bucket holds at most its width.
  for (auto& b : poller->buckets) {
    int64_t in_bucket = 0;
    for (auto x : b.status_ns) {
      BOOST_TEST(x >= 0);
      in_bucket += x;
    }
    BOOST_TEST(in_bucket <= t.bucket.count());
  }
  auto* api = find_lane(t, "api");
  BOOST_REQUIRE(api != nullptr);
  BOOST_TEST(api->totals.ok == 1u);
  BOOST_TEST(api->totals.failed == 1u);
  BOOST_TEST(api->buckets.back().failed == 1u);
  // The picture: the whole range in the title, dated ticks on the axis.
  auto svg = render_svg(t, {});
  BOOST_TEST(count(svg, "<svg") == 1u);
  BOOST_TEST(svg.find("1677-09-21 00:12:43.145 to 2262-04-11 23:47:16.854 "
                      "UTC (213504 d)") != std::string::npos);
  BOOST_TEST(svg.find(">1805-09-23</text>") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_source_filter_keeps_deadline_events_about_the_command) {
  std::vector<envelope> events{
      {0, t0, "api", call_finished{1, 1ms, true, ""}},
      {0, t0 + 1s, "poller", call_finished{1, 1ms, true, ""}},
      {0, t0 + 2s, "watchdog", deadline_missed{"poller", 1s}},
      {0, t0 + 2s, "watchdog", deadline_missed{"other", 1s}},
      {0, t0 + 3s, "scheduler", intent_fired{1, t0 + 3s, ""}}};
  auto t = fold(events, {.sources = {"poller"}});
  BOOST_TEST(t.events == 2u);
  BOOST_REQUIRE(t.lanes.size() == 1u);
  BOOST_TEST(t.lanes[0].name == "poller");
  BOOST_TEST(t.lanes[0].totals.missed == 1u);
  auto all = fold(events);
  BOOST_REQUIRE(all.lanes.size() == 4u);
  // Commands by name, then schedulers.
  BOOST_TEST(all.lanes[0].name == "api");
  BOOST_TEST(all.lanes[1].name == "other");
  BOOST_TEST(all.lanes[2].name == "poller");
  BOOST_TEST(all.lanes[3].name == "scheduler");
  BOOST_TEST((all.lanes[3].kind == lane_kind::scheduler));
  BOOST_TEST(all.lanes[3].totals.fired == 1u);
}

BOOST_AUTO_TEST_CASE(an_empty_timeline_is_drawn_saying_so) {
  auto svg = render_svg(fold({}), {.title = "/tmp/log"});
  BOOST_TEST(svg.find("<?xml version=\"1.0\" encoding=\"UTF-8\"?>") == 0u);
  BOOST_TEST(svg.find(">no events<") != std::string::npos);
  BOOST_TEST(svg.find("</svg>\n") == svg.size() - 7);
  auto filtered = render_svg(fold({}, {.sources = {"x"}}),
                             {.title = "/tmp/log", .filters = "source x"});
  BOOST_TEST(filtered.find(">no events match the filters<") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(names_are_escaped_in_the_picture) {
  std::string odd = "api<v2>&\"beta\"";
  auto t = fold({{0, t0, odd, call_finished{1, 1ms, true, ""}},
                 {0, t0 + 1s, "watch'dog", deadline_missed{odd, 1s}},
                 {0, t0 + 2s, "sched<&>", intent_fired{1, t0, ""}}});
  auto svg = render_svg(t, {.title = "/tmp/<log>&"});
  BOOST_TEST(svg.find("api&lt;v2&gt;&amp;&quot;beta&quot;") !=
             std::string::npos);
  BOOST_TEST(svg.find("watch&apos;dog") != std::string::npos);
  BOOST_TEST(svg.find("sched&lt;&amp;&gt;") != std::string::npos);
  BOOST_TEST(svg.find("/tmp/&lt;log&gt;&amp;") != std::string::npos);
  BOOST_TEST(svg.find("api<") == std::string::npos);
  BOOST_TEST(svg.find("sched<") == std::string::npos);
  // Every '<' opens a tag and every '&' an entity.
  BOOST_TEST(count(svg, "<") == count(svg, ">"));
}

BOOST_AUTO_TEST_CASE(the_same_timeline_draws_the_same_bytes) {
  std::vector<envelope> events{
      {0, t0, "api", call_finished{1, 1ms, true, ""}},
      {0, t0 + 1s, "api", call_throttled{2, 1s, throttle_action::rejected}},
      {0, t0 + 2s, "watchdog",
       deadline_status_changed{"api", deadline_status::up,
                               deadline_status::late}}};
  auto a = render_svg(fold(events), {.title = "x", .width = 800});
  auto b = render_svg(fold(events), {.title = "x", .width = 800});
  BOOST_TEST(a == b);
  BOOST_TEST(a.find("width=\"800\"") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
