#include "timecontrol/events/call_requests.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <vector>

using namespace tc;
using namespace std::chrono_literals;

namespace {

time_point at(int64_t ms) {
  return time_point{std::chrono::milliseconds{ms}};
}

// One call as a Command lives it; `legacy`: written by a build before the
// compact call record (a call_requested first, and a call_started).
struct call {
  std::string source;
  uint64_t id;
  int64_t requested_ms;
  enum { at_once, waits, rejected, dropped, cut_short } fate;
  int64_t waited_ms;
  bool legacy;
};

// The events of `calls`, in time order (stable for equal times: the order
// a Command records them in).
std::vector<envelope> events_of(const std::vector<call>& calls) {
  std::vector<envelope> out;
  auto add = [&](const call& c, int64_t ms, event body) {
    out.push_back(envelope{0, at(ms), c.source, std::move(body)});
  };
  for (auto& c : calls) {
    auto t = c.requested_ms;
    if (c.legacy)
      add(c, t, call_requested{c.id});
    switch (c.fate) {
      case call::at_once:
        add(c, t, call_admitted{c.id, 0ms});
        break;
      case call::waits:
        add(c, t, call_throttled{c.id, 5ms, throttle_action::waited});
        add(c, t + c.waited_ms,
            call_admitted{c.id, std::chrono::milliseconds{c.waited_ms}});
        break;
      case call::rejected:
        add(c, t, call_throttled{c.id, 5ms, throttle_action::rejected});
        break;
      case call::dropped:
        add(c, t, call_throttled{c.id, 5ms, throttle_action::dropped});
        break;
      case call::cut_short:
        break; // legacy: only its call_requested made it into the log
    }
    if (c.fate == call::at_once || c.fate == call::waits) {
      auto start = t + c.waited_ms;
      if (c.legacy)
        add(c, start, call_started{c.id});
      add(c, start + 3, call_finished{c.id, 3ms, true, {}});
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](auto& a, auto& b) { return a.time < b.time; });
  return out;
}

// Each call's request, by (source, id), as call_requests finds them.
std::map<std::pair<std::string, uint64_t>, std::vector<time_point>>
requests_in(const std::vector<envelope>& log) {
  call_requests reader;
  std::map<std::pair<std::string, uint64_t>, std::vector<time_point>> found;
  for (auto& x : log)
    if (auto t = reader.request(x)) {
      uint64_t id = 0;
      std::visit(
          [&](auto& body) {
            if constexpr (requires { body.call_id; })
              id = body.call_id;
          },
          x.body);
      found[{x.source, id}].push_back(*t);
    }
  return found;
}

// Random calls of two commands, ids numbered per command; `legacy_share` of
// them written the old way.
std::vector<call> random_calls(uint32_t seed, double legacy_share) {
  std::mt19937 rng{seed};
  std::uniform_int_distribution<int> fate(0, 4);
  std::uniform_int_distribution<int64_t> gap(0, 4), wait(1, 40);
  std::bernoulli_distribution legacy(legacy_share);
  std::map<std::string, uint64_t> next_id;
  std::vector<call> calls;
  int64_t t = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string source = (rng() % 2) ? "api" : "db";
    call c{source,
           ++next_id[source],
           t += gap(rng),
           static_cast<decltype(call::fate)>(fate(rng)),
           0,
           legacy(rng)};
    if (c.fate == call::waits)
      c.waited_ms = wait(rng);
    if (c.fate == call::cut_short && !c.legacy)
      c.fate = call::at_once; // a compact call leaves no trace before
    calls.push_back(c);
  }
  return calls;
}

void check_one_request_per_call(const std::vector<call>& calls) {
  auto found = requests_in(events_of(calls));
  BOOST_TEST(found.size() == calls.size());
  for (auto& c : calls) {
    auto i = found.find({c.source, c.id});
    BOOST_TEST_REQUIRE((i != found.end()));
    BOOST_TEST(i->second.size() == 1u);
    BOOST_TEST((i->second.front() == at(c.requested_ms)));
  }
}

} // namespace

BOOST_AUTO_TEST_SUITE(events_call_requests)

BOOST_AUTO_TEST_CASE(a_compact_log_tells_each_request_once_at_its_time) {
  check_one_request_per_call(random_calls(1, 0.0));
}

BOOST_AUTO_TEST_CASE(a_log_of_call_requested_events_tells_each_request_once) {
  check_one_request_per_call(random_calls(2, 1.0));
}

BOOST_AUTO_TEST_CASE(a_log_continued_by_a_newer_build_tells_each_once) {
  check_one_request_per_call(random_calls(3, 0.5));
}

BOOST_AUTO_TEST_CASE(a_call_admitted_after_a_wait_was_requested_before_it) {
  call_requests reader;
  auto t = reader.request(
      {1, at(100), "api", call_throttled{7, 20ms, throttle_action::waited}});
  BOOST_TEST((t == at(100)));
  BOOST_TEST(reader.open().at("api").count(7) == 1u);
  BOOST_TEST(!reader.request({2, at(120), "api", call_admitted{7, 20ms}}));
  BOOST_TEST(reader.open().empty());
  // The same id from another command is another call.
  BOOST_TEST(
      (reader.request({3, at(130), "db", call_admitted{7, 10ms}}) == at(120)));
}

BOOST_AUTO_TEST_CASE(an_expired_call_is_one_request_whether_it_waited_or_not) {
  call_requests reader;
  // Waited, then its max wait passed: requested once, at 100.
  BOOST_TEST(
      (reader.request({1, at(100), "api",
                       call_throttled{7, 20ms, throttle_action::waited}}) ==
       at(100)));
  BOOST_TEST(!reader.request(
      {2, at(400), "api", call_throttled{7, 300ms, throttle_action::expired}}));
  BOOST_TEST(reader.open().empty());
  // Answered expired at its request: that event is the request.
  BOOST_TEST(
      (reader.request({3, at(500), "api",
                       call_throttled{8, 1s, throttle_action::expired}}) ==
       at(500)));
  BOOST_TEST(reader.open().empty());
  // A weighted call is one request too.
  BOOST_TEST((reader.request({4, at(600), "api", call_admitted{9, 0ms, 5}}) ==
              at(600)));
}

BOOST_AUTO_TEST_CASE(a_wait_longer_than_time_goes_back_is_clamped_not_wrapped) {
  // Admitted in 1700 after 273 years of waiting: the request was before the
  // earliest time a time_point holds; the difference wrapped into 2010.
  call_requests reader;
  auto y1700 = time_point{std::chrono::nanoseconds{-8'520'336'000'000'000'000}};
  auto t = reader.request({1, y1700, "api", call_admitted{1, 100'000 * 24h}});
  BOOST_TEST((t == time_point::min()));
}

BOOST_AUTO_TEST_CASE(events_that_are_not_requests_tell_none) {
  call_requests reader;
  BOOST_TEST(!reader.request({1, at(1), "api", call_started{1}}));
  BOOST_TEST(
      !reader.request({2, at(2), "api", call_finished{1, 1ms, true, ""}}));
  BOOST_TEST(!reader.request({3, at(3), "api", call_timed_out{1, 1ms}}));
  BOOST_TEST(!reader.request({4, at(4), "node", node_started{1, "x"}}));
}

BOOST_AUTO_TEST_CASE(restore_takes_back_what_open_gave) {
  call_requests a;
  a.request({1, at(1), "api", call_requested{1}});
  call_requests b;
  b.restore(a.open());
  BOOST_TEST(!b.request({2, at(2), "api", call_admitted{1, 0ms}}));
}

BOOST_AUTO_TEST_SUITE_END()
