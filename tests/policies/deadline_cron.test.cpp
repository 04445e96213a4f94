// Cron deadlines (issue 12, item 5): a command due by a cron schedule, in
// UTC or in an IANA time zone, with the deadline's rules on exact
// boundaries, across daylight-saving changes, and against a brute-force
// reference that walks the calendar minute by minute.

#include <boost/test/unit_test.hpp>

#include "tests/support/hex.hpp"

#include "timecontrol/policies/cron.hpp"
#include "timecontrol/policies/deadline.hpp"

#include <bitset>
#include <chrono>
#include <random>
#include <string>
#include <vector>

using namespace tc;
using namespace std::chrono_literals;

namespace {

using st = deadline_status;

constexpr int64_t ns_per_minute = 60'000'000'000;

// The instant of a UTC civil time.
tc::time_point utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0,
                   int s = 0) {
  using namespace std::chrono;
  auto t = sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} +
           seconds{s};
  return tc::time_point{duration_cast<tc::duration>(t.time_since_epoch())};
}

cron_schedule cron(std::string_view text) {
  auto r = cron_schedule::parse(text);
  BOOST_REQUIRE_MESSAGE(r.ok(),
                        "parse failed: " << text << ": "
                                         << (r.ok() ? "" : r.error().message));
  return r.value();
}

constexpr auto ns = tc::duration{1};

} // namespace

BOOST_AUTO_TEST_SUITE(deadline_cron)

// -- status on exact boundaries -----------------------------------------------

BOOST_AUTO_TEST_CASE(
    a_cron_command_is_due_at_the_first_fire_time_after_its_call) {
  deadline d{cron("0 * * * *"), 5min, utc(2026, 6, 1)};
  d.called(utc(2026, 6, 1, 10, 20));
  auto due = utc(2026, 6, 1, 11);
  BOOST_TEST((d.due() == due));
  BOOST_TEST((d.status(utc(2026, 6, 1, 10, 59, 59)) == st::up));
  BOOST_TEST((d.status(due) == st::up));
  BOOST_TEST((d.status(due + ns) == st::late));
  BOOST_TEST((d.status(due + 5min) == st::late));
  BOOST_TEST((d.status(due + 5min + ns) == st::down));
  BOOST_TEST((d.status(utc(2027, 1, 1)) == st::down));
  BOOST_TEST((d.next_change(utc(2026, 6, 1, 10, 30)) == due + ns));
  BOOST_TEST((d.next_change(due) == due + ns));
  BOOST_TEST((d.next_change(due + ns) == due + 5min + ns));
  BOOST_TEST((d.next_change(due + 5min) == due + 5min + ns));
  BOOST_TEST(!d.next_change(due + 5min + ns).has_value());
  BOOST_TEST(d.period().count() == 0);
  BOOST_REQUIRE(d.schedule() != nullptr);
  BOOST_TEST(d.schedule()->text() == "0 * * * *");
}

BOOST_AUTO_TEST_CASE(a_call_exactly_at_a_fire_time_is_due_at_the_next_one) {
  deadline d{cron("0 * * * *"), 0s, utc(2026, 6, 1)};
  d.called(utc(2026, 6, 1, 11));
  BOOST_TEST((d.due() == utc(2026, 6, 1, 12)));
  d.called(utc(2026, 6, 1, 11) - ns);
  BOOST_TEST((d.due() == utc(2026, 6, 1, 12))); // the later call counts
  // Without grace, from up straight to down.
  BOOST_TEST((d.status(utc(2026, 6, 1, 12)) == st::up));
  BOOST_TEST((d.status(utc(2026, 6, 1, 12) + ns) == st::down));
}

BOOST_AUTO_TEST_CASE(
    a_new_cron_command_is_due_at_the_first_fire_time_after_its_creation) {
  // healthchecks keeps a check never pinged "new"; a Controller's watch
  // (first_call_due) is due at the first fire time after it began.
  deadline watched{cron("0 9 * * *"), 1h, utc(2026, 6, 1, 10), true};
  auto due = utc(2026, 6, 2, 9);
  BOOST_TEST((watched.due() == due));
  BOOST_TEST((watched.status(due) == st::never_called));
  BOOST_TEST((watched.status(due + ns) == st::late));
  BOOST_TEST((watched.status(due + 1h) == st::late));
  BOOST_TEST((watched.status(due + 1h + ns) == st::down));
  deadline plain{cron("0 9 * * *"), 1h, utc(2026, 6, 1, 10)};
  BOOST_TEST(!plain.due().has_value());
  BOOST_TEST((plain.status(utc(2030, 1, 1)) == st::never_called));
  BOOST_TEST(!plain.next_change(utc(2026, 6, 1, 10)).has_value());
}

BOOST_AUTO_TEST_CASE(runs_and_failures_hold_a_cron_command_as_a_period_one) {
  deadline d{cron("0 * * * *"), 5min, utc(2026, 6, 1)};
  // A run started at the fire time counts as a call then: due an hour on.
  d.started(7, utc(2026, 6, 1, 11, 0, 1));
  BOOST_TEST((d.status(utc(2026, 6, 1, 11, 5, 1)) == st::up));
  BOOST_TEST((d.status(utc(2026, 6, 1, 11, 5, 1) + ns) == st::down));
  d.finished(7, utc(2026, 6, 1, 11, 2), true);
  BOOST_TEST((d.due() == utc(2026, 6, 1, 12)));
  BOOST_TEST((d.status(utc(2026, 6, 1, 11, 30)) == st::up));
  // A failure: down at once, until a call succeeds.
  d.started(8, utc(2026, 6, 1, 12));
  d.finished(8, utc(2026, 6, 1, 12, 1), false);
  BOOST_TEST((d.status(utc(2026, 6, 1, 12, 1)) == st::down));
  BOOST_TEST(!d.next_change(utc(2026, 6, 1, 12, 1)).has_value());
  d.called(utc(2026, 6, 1, 12, 20));
  BOOST_TEST((d.status(utc(2026, 6, 1, 12, 20)) == st::down));
  d.finished(9, utc(2026, 6, 1, 12, 21), true);
  BOOST_TEST((d.status(utc(2026, 6, 1, 12, 21)) == st::up));
  BOOST_TEST((d.due() == utc(2026, 6, 1, 13)));
}

BOOST_AUTO_TEST_CASE(
    a_resumed_cron_command_is_due_at_the_first_fire_time_after_the_resume) {
  deadline d{cron("0 * * * *"), 5min, utc(2026, 6, 1)};
  d.called(utc(2026, 6, 1, 10));
  d.paused(utc(2026, 6, 1, 10, 30));
  BOOST_TEST((d.status(utc(2026, 6, 1, 15)) == st::paused));
  BOOST_TEST(!d.next_change(utc(2026, 6, 1, 15)).has_value());
  d.resumed(utc(2026, 6, 1, 15, 10));
  BOOST_TEST((d.due() == utc(2026, 6, 1, 16)));
  BOOST_TEST((d.status(utc(2026, 6, 1, 16)) == st::up));
  BOOST_TEST((d.status(utc(2026, 6, 1, 16) + ns) == st::late));
  // Resumed at a fire time: due at the next one.
  d.paused(utc(2026, 6, 1, 16, 1));
  d.resumed(utc(2026, 6, 1, 17));
  BOOST_TEST((d.due() == utc(2026, 6, 1, 18)));
}

BOOST_AUTO_TEST_CASE(a_schedule_with_no_fire_time_left_is_never_due) {
  // 29 February 2260 is the last one before the end of time_point (2262).
  deadline d{cron("0 0 29 2 *"), 1s, utc(2026, 6, 1)};
  d.called(utc(2260, 3, 1));
  BOOST_TEST((d.due() == never));
  BOOST_TEST((d.status(utc(2262, 1, 1)) == st::up));
  BOOST_TEST(!d.next_change(utc(2262, 1, 1)).has_value());
}

BOOST_AUTO_TEST_CASE(reconfiguring_moves_between_a_period_and_a_cron_schedule) {
  deadline d{1h, 5min, utc(2026, 6, 1)};
  d.called(utc(2026, 6, 1, 10, 20));
  BOOST_TEST((d.due() == utc(2026, 6, 1, 11, 20)));
  d.reconfigure(cron("*/15 * * * *"), 1min, utc(2026, 6, 1, 10, 25));
  BOOST_TEST((d.due() == utc(2026, 6, 1, 10, 30)));
  BOOST_TEST((d.grace() == 1min));
  d.reconfigure(2h, 1min, utc(2026, 6, 1, 10, 26));
  BOOST_TEST(d.schedule() == nullptr);
  BOOST_TEST((d.due() == utc(2026, 6, 1, 12, 20)));
}

// -- daylight-saving changes --------------------------------------------------

BOOST_AUTO_TEST_CASE(
    berlin_spring_forward_makes_a_missing_time_due_after_the_gap) {
  // 29 March 2026: 02:00 CET (01:00 UTC) becomes 03:00 CEST; 02:30 does not
  // exist, so it is due at the first instant after the gap.
  deadline d{cron("TZ=Europe/Berlin 30 2 * * *"), 10min, utc(2026, 3, 1)};
  d.called(utc(2026, 3, 28, 1, 30)); // 02:30 CET
  auto due = utc(2026, 3, 29, 1);    // 03:00 CEST
  BOOST_TEST((d.due() == due));
  BOOST_TEST((d.status(due) == st::up));
  BOOST_TEST((d.status(due + ns) == st::late));
  BOOST_TEST((d.status(due + 10min) == st::late));
  BOOST_TEST((d.status(due + 10min + ns) == st::down));
  BOOST_TEST((d.next_change(due) == due + ns));
  // Called then: due at 02:30 CEST the next day (00:30 UTC).
  d.called(due);
  BOOST_TEST((d.due() == utc(2026, 3, 30, 0, 30)));
}

BOOST_AUTO_TEST_CASE(
    berlin_fall_back_makes_a_repeated_time_due_once_the_first_time) {
  // 25 October 2026: 03:00 CEST (01:00 UTC) becomes 02:00 CET; 02:30
  // happens at 00:30 UTC and again at 01:30 UTC. Due the first time.
  deadline d{cron("TZ=Europe/Berlin 30 2 * * *"), 10min, utc(2026, 10, 1)};
  d.called(utc(2026, 10, 24, 0, 30)); // 02:30 CEST
  auto due = utc(2026, 10, 25, 0, 30);
  BOOST_TEST((d.due() == due));
  BOOST_TEST((d.status(due + 10min) == st::late));
  BOOST_TEST((d.status(due + 10min + ns) == st::down));
  // Called at the first 02:30: the second one is not a due time.
  d.called(due);
  BOOST_TEST((d.due() == utc(2026, 10, 26, 1, 30))); // 02:30 CET
  BOOST_TEST((d.status(utc(2026, 10, 25, 1, 45)) == st::up));
  BOOST_TEST((d.status(utc(2026, 10, 26, 1, 30)) == st::up));
  BOOST_TEST((d.status(utc(2026, 10, 26, 1, 30) + ns) == st::late));
}

BOOST_AUTO_TEST_CASE(
    new_york_spring_forward_makes_a_missing_time_due_after_the_gap) {
  // 8 March 2026: 02:00 EST (07:00 UTC) becomes 03:00 EDT.
  deadline d{cron("TZ=America/New_York 30 2 * * *"), 10min, utc(2026, 3, 1)};
  d.called(utc(2026, 3, 7, 7, 30)); // 02:30 EST
  auto due = utc(2026, 3, 8, 7);    // 03:00 EDT
  BOOST_TEST((d.due() == due));
  BOOST_TEST((d.status(due) == st::up));
  BOOST_TEST((d.status(due + ns) == st::late));
  BOOST_TEST((d.status(due + 10min + ns) == st::down));
  d.called(due + 1min);
  BOOST_TEST((d.due() == utc(2026, 3, 9, 6, 30))); // 02:30 EDT
}

BOOST_AUTO_TEST_CASE(
    new_york_fall_back_makes_a_repeated_time_due_once_the_first_time) {
  // 1 November 2026: 02:00 EDT (06:00 UTC) becomes 01:00 EST; 01:30 happens
  // at 05:30 UTC and at 06:30 UTC.
  deadline d{cron("TZ=America/New_York 30 1 * * *"), 10min, utc(2026, 10, 1)};
  d.called(utc(2026, 10, 31, 5, 30)); // 01:30 EDT
  auto due = utc(2026, 11, 1, 5, 30);
  BOOST_TEST((d.due() == due));
  BOOST_TEST((d.status(due + 10min + ns) == st::down));
  d.called(due + 2min);
  BOOST_TEST((d.due() == utc(2026, 11, 2, 6, 30))); // 01:30 EST
  BOOST_TEST((d.status(utc(2026, 11, 1, 6, 45)) == st::up));
}

BOOST_AUTO_TEST_CASE(a_wildcard_schedule_is_due_in_a_repeated_hour_too) {
  // cron.hpp: an expression whose minute or hour begins with '*' fires on
  // the wall clock both times through a repeated hour.
  deadline d{cron("TZ=Europe/Berlin */30 * * * *"), 1min, utc(2026, 10, 1)};
  d.called(utc(2026, 10, 25, 0, 45));            // 02:45 CEST
  BOOST_TEST((d.due() == utc(2026, 10, 25, 1))); // 02:00 CET
  d.called(utc(2026, 10, 25, 1));
  BOOST_TEST((d.due() == utc(2026, 10, 25, 1, 30))); // 02:30 CET
}

// -- memory and serialization -------------------------------------------------

BOOST_AUTO_TEST_CASE(a_deadline_is_no_bigger_than_before_cron_schedules) {
  // Six times, a vector and five flags: 80 bytes on a 64-bit machine, as
  // before; the schedule shares the period's word.
  if constexpr (sizeof(void*) == 8)
    BOOST_TEST(sizeof(deadline) == 80u);
  deadline a{cron("TZ=Europe/Berlin 0 9 * * 1-5"), 1min, utc(2026, 6, 1)};
  auto b = a; // shares the parsed schedule
  BOOST_TEST(a.schedule() == b.schedule());
  BOOST_TEST((a == b));
  deadline c{cron("TZ=Europe/Berlin 0 9 * * 1-5"), 1min, utc(2026, 6, 1)};
  BOOST_TEST((a == c)); // equal schedules, parsed apart
  deadline other{cron("TZ=Europe/Berlin 0 10 * * 1-5"), 1min, utc(2026, 6, 1)};
  BOOST_TEST(!(a == other));
  deadline period{0s, 1min, utc(2026, 6, 1)};
  BOOST_TEST(!(a == period));
  // Copies outlive the original.
  std::vector<deadline> copies;
  {
    deadline tmp{cron("15 * * * *"), 0s, utc(2026, 6, 1)};
    copies.assign(3, tmp);
    auto moved = std::move(tmp);
    copies.push_back(moved);
  }
  for (auto& x : copies) {
    BOOST_REQUIRE(x.schedule() != nullptr);
    BOOST_TEST(x.schedule()->text() == "15 * * * *");
  }
  copies[0] = copies[1];
  copies[1] = deadline{1s, 0s, utc(2026, 6, 1)};
  BOOST_TEST(copies[0].schedule() == copies[2].schedule());
  BOOST_TEST(copies[1].schedule() == nullptr);
}

BOOST_AUTO_TEST_CASE(a_cron_state_survives_a_round_trip) {
  deadline d{cron("TZ=America/New_York 30 1 * * *"), 10min, utc(2026, 10, 1),
             true};
  d.started(3, utc(2026, 10, 2));
  d.finished(4, utc(2026, 10, 2, 0, 1), false);
  auto back = deadline::deserialize(d.serialize());
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST((*back == d));
  BOOST_REQUIRE(back->schedule() != nullptr);
  BOOST_TEST(back->schedule()->text() == "TZ=America/New_York 30 1 * * *");
  BOOST_TEST((back->due() == d.due()));
  deadline p{10s, 2s, utc(2026, 10, 1)};
  auto again = deadline::deserialize(p.serialize());
  BOOST_REQUIRE(again.has_value());
  BOOST_TEST((*again == p));
  BOOST_TEST(again->schedule() == nullptr);
}

BOOST_AUTO_TEST_CASE(a_cron_state_that_does_not_read_is_rejected) {
  deadline d{cron("0 * * * *"), 1s, utc(2026, 6, 1)};
  auto bytes = d.serialize();
  for (size_t n = 0; n < bytes.size(); ++n)
    BOOST_TEST(!deadline::deserialize(bytes.substr(0, n)).has_value());
  BOOST_TEST(!deadline::deserialize(bytes + "!").has_value());
  // An expression that does not parse (here: a zone that does not exist).
  auto text = std::string{"0 * * * *"};
  auto unknown = std::string{"TZ=Nowhere/Atlantis 0 * * * *"};
  auto bad = bytes.substr(0, bytes.size() - text.size() - 1);
  bad += static_cast<char>(unknown.size());
  bad += unknown;
  BOOST_TEST(!deadline::deserialize(bad).has_value());
  // A cron deadline has period 0.
  auto with_period = bytes;
  with_period[2] = 1;
  BOOST_TEST(!deadline::deserialize(with_period).has_value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(deadline_cron_golden)

BOOST_AUTO_TEST_CASE(the_version_3_bytes_are_pinned) {
  deadline d{duration{10}, duration{5}, from_nanos(1)};
  d.started(9, from_nanos(2));
  BOOST_TEST(test::to_hex(d.serialize()) == "0503"
                                            "0a00000000000000"
                                            "0500000000000000"
                                            "0100000000000000"
                                            "02"
                                            "0200000000000000"
                                            "0000000000000080"
                                            "0000000000000000"
                                            "01"
                                            "09"
                                            "0200000000000000"
                                            "00");
  deadline c{cron("5 * * * *"), duration{5}, from_nanos(1)};
  BOOST_TEST(test::to_hex(c.serialize()) == "0503"
                                            "0000000000000000"
                                            "0500000000000000"
                                            "0100000000000000"
                                            "00"
                                            "0100000000000000"
                                            "0000000000000080"
                                            "0000000000000000"
                                            "00"
                                            "09"
                                            "35202a202a202a202a");
}

BOOST_AUTO_TEST_CASE(the_version_2_bytes_of_earlier_builds_still_read) {
  auto v2 = test::from_hex("0502"
                           "0a00000000000000"
                           "0500000000000000"
                           "0100000000000000"
                           "02"
                           "0200000000000000"
                           "0000000000000080"
                           "0000000000000000"
                           "01"
                           "09"
                           "0200000000000000");
  auto d = deadline::deserialize(v2);
  BOOST_REQUIRE(d.has_value());
  deadline expected{duration{10}, duration{5}, from_nanos(1)};
  expected.started(9, from_nanos(2));
  BOOST_TEST((*d == expected));
  BOOST_TEST(d->schedule() == nullptr);
  // Version 2 has no cron field: one more byte is garbage.
  BOOST_TEST(!deadline::deserialize(v2 + std::string(1, '\0')).has_value());
}

BOOST_AUTO_TEST_SUITE_END()

// -- against a brute-force reference ------------------------------------------

namespace {

// A random 5-field UTC expression and the sets it selects, built apart from
// cron.cpp: lists of values, ranges and steps.
struct random_cron {
  std::string text;
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<32> days;
  std::bitset<13> months;
  std::bitset<7> weekdays;
  bool dom_star = false;
  bool dow_star = false;

  template <size_t N>
  static std::string field(std::mt19937_64& rng, int lo, int hi,
                           std::bitset<N>& out, bool& star) {
    auto pick = [&](int a, int b) {
      return std::uniform_int_distribution<int>{a, b}(rng);
    };
    star = false;
    switch (pick(0, 5)) {
      case 0:
        star = true;
        for (int i = lo; i <= hi; ++i)
          out.set(static_cast<size_t>(i));
        return "*";
      case 1: {
        auto step = pick(2, std::max(2, (hi - lo) / 2));
        for (int i = lo; i <= hi; i += step)
          out.set(static_cast<size_t>(i));
        return "*/" + std::to_string(step);
      }
      case 2: {
        auto a = pick(lo, hi);
        auto b = pick(a, hi);
        auto step = pick(1, 4);
        for (int i = a; i <= b; i += step)
          out.set(static_cast<size_t>(i));
        return std::to_string(a) + "-" + std::to_string(b) + "/" +
               std::to_string(step);
      }
      case 3: {
        auto a = pick(lo, hi);
        auto b = pick(lo, hi);
        out.set(static_cast<size_t>(a));
        out.set(static_cast<size_t>(b));
        return std::to_string(a) + "," + std::to_string(b);
      }
      default: {
        auto a = pick(lo, hi);
        out.set(static_cast<size_t>(a));
        return std::to_string(a);
      }
    }
  }

  explicit random_cron(std::mt19937_64& rng) {
    bool unused = false;
    text = field(rng, 0, 59, minutes, unused);
    text += " " + field(rng, 0, 23, hours, unused);
    text += " " + field(rng, 1, 31, days, dom_star);
    text += " " + field(rng, 1, 12, months, unused);
    text += " " + field(rng, 0, 6, weekdays, dow_star);
  }

  bool day_matches(std::chrono::sys_days day) const {
    std::chrono::year_month_day ymd{day};
    if (!months[static_cast<unsigned>(ymd.month())])
      return false;
    auto dom = days[static_cast<unsigned>(ymd.day())];
    auto dow = weekdays[std::chrono::weekday{day}.c_encoding()];
    if (dom_star && dow_star)
      return true;
    if (dom_star)
      return dow;
    if (dow_star)
      return dom;
    return dom || dow;
  }

  // The first matching minute strictly after `t`, walking day by day and
  // then minute by minute; empty within `years` years.
  std::optional<tc::time_point> next_after(tc::time_point t, int years) const {
    auto n = to_nanos(t);
    auto minute = n / ns_per_minute + (n % ns_per_minute < 0 ? -1 : 0) + 1;
    auto day = minute / 1440;
    auto end = day + 366 * years;
    for (; day < end; ++day) {
      if (!day_matches(std::chrono::sys_days{std::chrono::days{day}}))
        continue;
      for (auto m = std::max(minute, day * 1440); m < (day + 1) * 1440; ++m) {
        auto of_day = m % 1440;
        if (hours[static_cast<size_t>(of_day / 60)] &&
            minutes[static_cast<size_t>(of_day % 60)])
          return from_nanos(m * ns_per_minute);
      }
    }
    return std::nullopt;
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(deadline_cron_reference)

BOOST_AUTO_TEST_CASE(
    status_due_and_next_change_follow_a_minute_by_minute_walk) {
  size_t checked = 0;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    std::mt19937_64 rng{seed};
    for (int k = 0; k < 25; ++k) {
      random_cron x{rng};
      auto parsed = cron_schedule::parse(x.text);
      if (!parsed) // never fires ("0 0 31 2 *"): refused, as it should be
        continue;
      auto grace = tc::duration{
          std::uniform_int_distribution<int64_t>{0, 3 * ns_per_minute}(rng)};
      // Times from 2000 to 2040, on a minute now and then.
      auto last = from_nanos(std::uniform_int_distribution<int64_t>{
          946'684'800'000'000'000, 2'208'988'800'000'000'000}(rng));
      if (rng() % 4 == 0)
        last = from_nanos(to_nanos(last) / ns_per_minute * ns_per_minute);
      deadline d{parsed.value(), grace, last - 1h, true};
      d.called(last);
      auto due = x.next_after(last, 30);
      BOOST_REQUIRE_MESSAGE(due.has_value(), x.text);
      BOOST_TEST_CONTEXT("seed " << seed << ", " << x.text << ", last "
                                 << to_nanos(last)) {
        BOOST_TEST((d.due() == due));
        auto gap = *due - last;
        auto span = std::uniform_int_distribution<int64_t>{
            0, (gap + grace).count() * 2}(rng);
        for (auto now : {last, *due - ns, *due, *due + ns, *due + grace,
                         *due + grace + ns, last + tc::duration{span}}) {
          auto expected = now <= *due           ? st::up
                          : now <= *due + grace ? st::late
                                                : st::down;
          BOOST_TEST((d.status(now) == expected));
          std::optional<tc::time_point> change;
          if (now <= *due)
            change = *due + ns;
          else if (now <= *due + grace)
            change = *due + grace + ns;
          BOOST_TEST((d.next_change(now) == change));
        }
        ++checked;
      }
    }
  }
  BOOST_TEST(checked > 800u);
}

BOOST_AUTO_TEST_SUITE_END()
