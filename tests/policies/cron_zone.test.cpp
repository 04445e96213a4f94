// Cron in IANA time zones (issue 12, item 13), against glibc: the reference
// reads the same zone files through localtime_r (its own TZif and POSIX TZ
// reader, not date/tz) and applies the daylight-saving rules cron.hpp states
// by brute force, minute by minute.

#include <boost/test/unit_test.hpp>

#include "timecontrol/policies/cron.hpp"
#include "timecontrol/policies/detail/zone.hpp"

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace tc;
using namespace std::chrono;

namespace {

tc::time_point at_s(int64_t s) {
  return from_nanos(s * 1'000'000'000);
}

int64_t seconds_of(tc::time_point t) {
  return to_nanos(t) / 1'000'000'000;
}

int64_t utc_s(int y, unsigned mo, unsigned d, int h = 0, int mi = 0) {
  return sys_seconds{sys_days{year{y} / month{mo} / day{d}} + hours{h} +
                     minutes{mi}}
      .time_since_epoch()
      .count();
}

cron_schedule cron(std::string_view text) {
  auto r = cron_schedule::parse(text);
  BOOST_REQUIRE_MESSAGE(r.ok(),
                        "parse failed: " << text << ": "
                                         << (r.ok() ? "" : r.error().message));
  return r.value();
}

// glibc's view of one zone, through TZ (restored afterwards).
class glibc_zone {
public:
  explicit glibc_zone(const std::string& name) {
    if (auto old = std::getenv("TZ"))
      old_ = old;
    setenv("TZ", (":" + name).c_str(), 1);
    tzset();
  }

  ~glibc_zone() {
    if (old_)
      setenv("TZ", old_->c_str(), 1);
    else
      unsetenv("TZ");
    tzset();
  }

  int32_t offset(int64_t s) const {
    time_t t = static_cast<time_t>(s);
    struct tm tm;
    localtime_r(&t, &tm);
    return static_cast<int32_t>(tm.tm_gmtoff);
  }

private:
  std::optional<std::string> old_;
};

struct fields {
  int minute, hour, dom, month, dow, dim;
};

// The calendar fields of a wall-clock time given as seconds, by gmtime_r.
fields fields_of_local(int64_t local) {
  time_t t = static_cast<time_t>(local);
  struct tm tm;
  gmtime_r(&t, &tm);
  int y = tm.tm_year + 1900;
  int m = tm.tm_mon + 1;
  static const int dims[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  int dim = m == 2 && leap ? 29 : dims[m - 1];
  return {tm.tm_min, tm.tm_hour, tm.tm_mday, m, tm.tm_wday, dim};
}

struct entry {
  const char* text;
  bool wildcard; // minute or hour begins with '*'
  std::function<bool(const fields&)> pred;
};

const std::vector<entry>& entries() {
  static const std::vector<entry> table = {
      {"30 2 * * *", false,
       [](const fields& f) { return f.minute == 30 && f.hour == 2; }},
      {"0 2 * * *", false,
       [](const fields& f) { return f.minute == 0 && f.hour == 2; }},
      {"0,30 1-3 * * *", false,
       [](const fields& f) {
         return (f.minute == 0 || f.minute == 30) && f.hour >= 1 && f.hour <= 3;
       }},
      {"45 1 * * *", false,
       [](const fields& f) { return f.minute == 45 && f.hour == 1; }},
      {"0 9 * * 1-5", false,
       [](const fields& f) {
         return f.minute == 0 && f.hour == 9 && f.dow >= 1 && f.dow <= 5;
       }},
      {"15 2 * * 0", false,
       [](const fields& f) {
         return f.minute == 15 && f.hour == 2 && f.dow == 0;
       }},
      {"0 9 30 12 *", false,
       [](const fields& f) {
         return f.minute == 0 && f.hour == 9 && f.dom == 30 && f.month == 12;
       }},
      {"59 23 L * *", false,
       [](const fields& f) {
         return f.minute == 59 && f.hour == 23 && f.dom == f.dim;
       }},
      {"*/15 * * * *", true,
       [](const fields& f) { return f.minute % 15 == 0; }},
      {"30 * * * *", true, [](const fields& f) { return f.minute == 30; }},
      {"0 */2 * * *", true,
       [](const fields& f) { return f.minute == 0 && f.hour % 2 == 0; }},
      {"* 2 * * *", true, [](const fields& f) { return f.hour == 2; }},
  };
  return table;
}

// The fires in [from, to) (seconds, whole minutes) by the rules of cron.hpp,
// minute by minute on glibc's clock.
std::vector<int64_t> reference_fires(const glibc_zone& z, const entry& e,
                                     int64_t from, int64_t to) {
  std::set<int64_t> fires;
  for (int64_t u = from; u < to; u += 60) {
    auto off = z.offset(u);
    auto local = u + off;
    if (e.pred(fields_of_local(local))) {
      bool earlier = false;
      if (!e.wildcard) {
        // Did the clock show this time before u? Try every offset the zone
        // had in the 27 hours before.
        std::set<int32_t> offsets;
        for (int64_t s = u - 27 * 3600; s <= u; s += 900)
          offsets.insert(z.offset(s));
        for (auto o : offsets) {
          auto u2 = local - o;
          if (u2 < u && z.offset(u2) == o)
            earlier = true;
        }
      }
      if (!earlier)
        fires.insert(u);
    }
    auto prev = z.offset(u - 60);
    if (!e.wildcard && off > prev) {
      // The clock jumped at u over [u + prev, u + off).
      for (int64_t l = u + prev; l < u + off; l += 60)
        if (e.pred(fields_of_local(l)))
          fires.insert(u);
    }
  }
  return {fires.begin(), fires.end()};
}

std::vector<int64_t> cron_fires(const cron_schedule& c, int64_t from,
                                int64_t to) {
  std::vector<int64_t> result;
  for (auto n = c.next_after(at_s(from) - nanoseconds{1});
       n && seconds_of(*n) < to; n = c.next_after(*n))
    result.push_back(seconds_of(*n));
  return result;
}

// The instants at which the zone's offset changes in [from, to), by glibc.
std::vector<int64_t> transitions(const glibc_zone& z, int64_t from,
                                 int64_t to) {
  std::vector<int64_t> result;
  for (int64_t s = from; s < to; s += 900)
    if (z.offset(s) != z.offset(s + 900)) {
      auto lo = s;
      auto hi = s + 900; // offset(lo) != offset(hi)
      while (hi - lo > 1) {
        auto mid = lo + (hi - lo) / 2;
        (z.offset(mid) == z.offset(lo) ? lo : hi) = mid;
      }
      result.push_back(hi);
    }
  return result;
}

} // namespace

BOOST_AUTO_TEST_SUITE(cron_time_zones)

BOOST_AUTO_TEST_CASE(weekdays_at_nine_in_berlin) {
  auto c = cron("TZ=Europe/Berlin 0 9 * * 1-5");
  BOOST_TEST(c.zone_name() == "Europe/Berlin");
  // Winter: 08:00 UTC; summer: 07:00 UTC. 2024-01-06 is a Saturday.
  BOOST_TEST(seconds_of(*c.next_after(at_s(utc_s(2024, 1, 6)))) ==
             utc_s(2024, 1, 8, 8));
  BOOST_TEST(seconds_of(*c.next_after(at_s(utc_s(2024, 7, 1)))) ==
             utc_s(2024, 7, 1, 7));
  BOOST_TEST((c == cron("CRON_TZ=Europe/Berlin 0 9 * * MON-FRI")));
  BOOST_TEST(!(c == cron("0 9 * * 1-5")));
  BOOST_TEST(!(c == cron("TZ=Europe/Paris 0 9 * * 1-5")));
  BOOST_TEST(c.matches(at_s(utc_s(2024, 7, 1, 7))));
  BOOST_TEST(!c.matches(at_s(utc_s(2024, 7, 1, 8))));
}

BOOST_AUTO_TEST_CASE(a_time_in_the_spring_gap_fires_once_after_it) {
  // Berlin, 2024-03-31: 02:00 CET is 03:00 CEST (01:00 UTC).
  auto c = cron("TZ=Europe/Berlin 30 2 * * *");
  BOOST_TEST(seconds_of(*c.next_after(at_s(utc_s(2024, 3, 30, 12)))) ==
             utc_s(2024, 3, 31, 1));
  auto two = cron("TZ=Europe/Berlin 0,15,30,45 2 * * *");
  auto fires = cron_fires(two, utc_s(2024, 3, 31), utc_s(2024, 3, 31, 3));
  BOOST_TEST(fires == std::vector<int64_t>{utc_s(2024, 3, 31, 1)});
  // A wildcard expression goes on at the next existing time.
  auto w = cron("TZ=Europe/Berlin */15 * * * *");
  BOOST_TEST(seconds_of(*w.next_after(at_s(utc_s(2024, 3, 31, 0, 45)))) ==
             utc_s(2024, 3, 31, 1));
}

BOOST_AUTO_TEST_CASE(a_time_that_happens_twice_fires_once_the_first_time) {
  // Berlin, 2024-10-27: 03:00 CEST is 02:00 CET (01:00 UTC); 02:30 happens
  // at 00:30 and at 01:30 UTC.
  auto c = cron("TZ=Europe/Berlin 30 2 * * *");
  auto fires = cron_fires(c, utc_s(2024, 10, 26, 12), utc_s(2024, 10, 28));
  BOOST_TEST(fires == std::vector<int64_t>{utc_s(2024, 10, 27, 0, 30)});
  // Wildcards follow the wall clock through the repeated hour.
  auto w = cron("TZ=Europe/Berlin 30 * * * *");
  auto wf = cron_fires(w, utc_s(2024, 10, 26, 23), utc_s(2024, 10, 27, 3));
  BOOST_TEST((wf == std::vector<int64_t>{utc_s(2024, 10, 26, 23, 30),
                                         utc_s(2024, 10, 27, 0, 30),
                                         utc_s(2024, 10, 27, 1, 30),
                                         utc_s(2024, 10, 27, 2, 30)}));
}

BOOST_AUTO_TEST_CASE(lord_howe_shifts_by_half_an_hour) {
  // 2024-10-06 02:00 +1030 becomes 02:30 +11 (2024-10-05 15:30 UTC); on
  // 2024-04-07 02:00 +11 becomes 01:30 +1030 (2024-04-06 15:00 UTC).
  auto c = cron("TZ=Australia/Lord_Howe 15 2 * * *");
  BOOST_TEST(seconds_of(*c.next_after(at_s(utc_s(2024, 10, 5)))) ==
             utc_s(2024, 10, 5, 15, 30));
  auto d = cron("TZ=Australia/Lord_Howe 45 1 * * *");
  auto fires = cron_fires(d, utc_s(2024, 4, 6), utc_s(2024, 4, 7));
  BOOST_TEST(fires == std::vector<int64_t>{utc_s(2024, 4, 6, 14, 45)});
}

BOOST_AUTO_TEST_CASE(zones_keep_their_rules_after_2037) {
  // date/tz alone would leave Berlin on CET from 2038.
  auto c = cron("TZ=Europe/Berlin 0 12 1 7 *");
  BOOST_TEST(seconds_of(*c.next_after(at_s(utc_s(2100, 1, 1)))) ==
             utc_s(2100, 7, 1, 10));
  auto ny = cron("TZ=America/New_York 0 12 1 7 *");
  BOOST_TEST(seconds_of(*ny.next_after(at_s(utc_s(2200, 1, 1)))) ==
             utc_s(2200, 7, 1, 16));
}

// Around every offset change of these zones in these years, the fires of
// each expression in the table are those the brute force finds.
BOOST_AUTO_TEST_CASE(fires_around_real_transitions_match_the_brute_force) {
  struct span {
    const char* zone;
    int year;
  };
  const span spans[] = {
      {"Europe/Berlin", 2024},       {"Europe/Berlin", 2099},
      {"America/New_York", 2024},    {"America/New_York", 2061},
      {"Australia/Lord_Howe", 2024}, {"Australia/Lord_Howe", 2077},
      {"Europe/Dublin", 2025},       {"America/St_Johns", 2024},
      {"Pacific/Apia", 2011},
  };
  int checked = 0;
  for (auto& sp : spans) {
    glibc_zone z{sp.zone};
    auto ts = transitions(z, utc_s(sp.year, 1, 1), utc_s(sp.year + 1, 1, 1));
    BOOST_TEST_CONTEXT(sp.zone << " " << sp.year) {
      BOOST_TEST(!ts.empty());
      for (auto g : ts) {
        auto from = g / 60 * 60 - 30 * 3600;
        auto to = from + 60 * 3600;
        for (auto& e : entries()) {
          BOOST_TEST_CONTEXT("at " << g << ": " << e.text) {
            auto c = cron(std::string{"CRON_TZ="} + sp.zone + " " + e.text);
            auto want = reference_fires(z, e, from, to);
            auto got = cron_fires(c, from, to);
            BOOST_TEST(got == want, boost::test_tools::per_element());
            ++checked;
          }
        }
      }
    }
  }
  BOOST_TEST_MESSAGE(checked << " windows around transitions");
}

BOOST_AUTO_TEST_CASE(bad_zone_names_are_parse_errors_naming_them) {
  auto r = cron_schedule::parse("TZ=Europe/Berlni 0 9 * * *");
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().message.find("unknown time zone 'Europe/Berlni'") == 0u);
  BOOST_TEST(r.error().position == 3u);
  auto empty = cron_schedule::parse("  CRON_TZ= 0 9 * * *");
  BOOST_REQUIRE(!empty.ok());
  BOOST_TEST(empty.error().message ==
             "a time zone name is missing after 'CRON_TZ='");
  BOOST_TEST(empty.error().position == 10u);
  auto path = cron_schedule::parse("TZ=../etc/passwd 0 9 * * *");
  BOOST_REQUIRE(!path.ok());
  BOOST_TEST(path.error().message.find("is not a time zone name") !=
             std::string::npos);
  auto local = cron_schedule::parse("TZ=localtime 0 9 * * *");
  BOOST_REQUIRE(!local.ok());
  BOOST_TEST(local.error().message.find("this machine's own zone") !=
             std::string::npos);
  auto tab = cron_schedule::parse("TZ=zone1970.tab 0 9 * * *");
  BOOST_TEST(!tab.ok());
  // The zone comes first; the fields are still checked.
  auto bad = cron_schedule::parse("TZ=UTC 0 24 * * *");
  BOOST_REQUIRE(!bad.ok());
  BOOST_TEST(bad.error().message == "hour: 24 is out of range 0-23");
  BOOST_TEST(bad.error().position == 9u);
}

BOOST_AUTO_TEST_CASE(the_text_keeps_the_zone_and_macros_take_one) {
  auto c = cron("CRON_TZ=America/New_York @daily");
  BOOST_TEST(c.text() == "CRON_TZ=America/New_York @daily");
  BOOST_TEST((c == cron("TZ=America/New_York 0 0 * * *")));
  BOOST_TEST(seconds_of(*c.next_after(at_s(utc_s(2024, 1, 1)))) ==
             utc_s(2024, 1, 1, 5));
  BOOST_TEST((cron("TZ=UTC 0 9 * * *") == cron("TZ=UTC 0 9 * * *")));
}

BOOST_AUTO_TEST_SUITE_END()

// The zone layer against glibc for every zone of zone1970.tab, 1900-2262.
BOOST_AUTO_TEST_SUITE(zone_offsets)

BOOST_AUTO_TEST_CASE(every_zone_has_glibcs_offsets_from_1900_to_2262) {
  std::ifstream tab{"/usr/share/zoneinfo/zone1970.tab"};
  BOOST_REQUIRE(tab.good());
  std::string line;
  std::mt19937_64 rng{13};
  int zones = 0;
  while (std::getline(tab, line)) {
    if (line.empty() || line[0] == '#')
      continue;
    std::istringstream cols{line};
    std::string codes;
    std::string coords;
    std::string name;
    cols >> codes >> coords >> name;
    auto loaded = detail::zone::load(name);
    BOOST_REQUIRE_MESSAGE(loaded.index() == 0, name);
    auto& z = *std::get<0>(loaded);
    glibc_zone g{name};
    ++zones;
    bool ok = true;
    int64_t where = 0;
    for (int64_t s = utc_s(1900, 1, 1); s < utc_s(2262, 1, 1) && ok;
         s += 20 * 86400 + static_cast<int64_t>(rng() % 86400)) {
      auto seg = z.segment_at(s);
      ok = seg.offset == g.offset(s) && seg.begin <= s && s < seg.end;
      where = s;
    }
    BOOST_TEST(ok, name << " differs at " << where);
  }
  BOOST_TEST(zones > 300);
}

BOOST_AUTO_TEST_CASE(posix_tz_strings_parse_as_rfc_8536_says) {
  auto berlin = detail::posix_tz::parse("CET-1CEST,M3.5.0,M10.5.0/3");
  BOOST_REQUIRE(berlin.has_value());
  BOOST_TEST(berlin->std_offset == 3600);
  BOOST_TEST(berlin->dst_offset == 7200);
  BOOST_TEST(berlin->change(2024, true) == utc_s(2024, 3, 31, 1));
  BOOST_TEST(berlin->change(2024, false) == utc_s(2024, 10, 27, 1));
  auto lh = detail::posix_tz::parse("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0");
  BOOST_REQUIRE(lh.has_value());
  BOOST_TEST(lh->std_offset == 37800);
  BOOST_TEST(lh->dst_offset == 39600);
  auto fixed = detail::posix_tz::parse("<-03>3");
  BOOST_REQUIRE(fixed.has_value());
  BOOST_TEST(!fixed->has_dst);
  BOOST_TEST(fixed->std_offset == -10800);
  // Julian days, negative and over-24 hour times (RFC 8536 3.3.1).
  auto j = detail::posix_tz::parse("XXX3YYY,J60/-1,300/26:30");
  BOOST_REQUIRE(j.has_value());
  BOOST_TEST(j->start.kind == 'J');
  BOOST_TEST(j->start.time == -3600);
  BOOST_TEST(j->end.kind == 'D');
  BOOST_TEST(j->end.time == 26 * 3600 + 1800);
  // J60 is March 1 even in leap years.
  BOOST_TEST(j->change(2024, true) == utc_s(2024, 3, 1) - 3600 + 3 * 3600);
  for (auto bad : {"", "AB1", "CET", "CET-1CEST", "CET-1CEST,M13.1.0,M1.1.0",
                   "CET-1CEST,M3.6.0,M10.5.0", "<AB>1", "CET-25"})
    BOOST_TEST(!detail::posix_tz::parse(bad).has_value(), bad);
}

BOOST_AUTO_TEST_SUITE_END()
