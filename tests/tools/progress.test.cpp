// The progress line's text, and that it stays silent where it must.

#include "timecontrol/tools/progress.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <unistd.h>

using namespace std::chrono_literals;
using tc::tool::progress;
using tc::tool::progress_text;

BOOST_AUTO_TEST_SUITE(tools_progress)

BOOST_AUTO_TEST_CASE(the_line_says_done_total_percent_rate_and_eta) {
  BOOST_TEST(progress_text("replay", "events", 500'000, 2'000'000, 1s) ==
             "replay: 500000/2000000 events (25%), 500.0k events/s, ETA 3s");
  BOOST_TEST(progress_text("export", "events", 2'500'000, 10'000'000, 2s) ==
             "export: 2500000/10000000 events (25%), 1.25M events/s, "
             "ETA 6s");
  BOOST_TEST(progress_text("verify", "checks", 100, 1'000'000, 1s) ==
             "verify: 100/1000000 checks (0%), 100 checks/s, ETA 2.78h");
  BOOST_TEST(progress_text("replay", "events", 1'000, 91'000, 1s) ==
             "replay: 1000/91000 events (1%), 1000 events/s, ETA 1.5min");
}

BOOST_AUTO_TEST_CASE(the_line_survives_odd_numbers) {
  // Nothing done yet: no rate, no ETA.
  BOOST_TEST(progress_text("replay", "events", 0, 10, 1s) ==
             "replay: 0/10 events (0%)");
  // An empty range has no percentage; more done than the total is capped.
  BOOST_TEST(progress_text("replay", "events", 0, 0, 1s) ==
             "replay: 0/0 events");
  BOOST_TEST(progress_text("replay", "events", 12, 10, 1s) ==
             "replay: 10/10 events (100%), 10 events/s, ETA 0s");
}

BOOST_AUTO_TEST_CASE(a_line_is_active_only_when_enabled_on_a_terminal) {
  // A terminal of our own (a pseudo-terminal), and a pipe.
  int master = ::posix_openpt(O_RDWR | O_NOCTTY);
  BOOST_REQUIRE(master >= 0);
  BOOST_REQUIRE(::grantpt(master) == 0 && ::unlockpt(master) == 0);
  auto* terminal = std::fopen(::ptsname(master), "w");
  BOOST_REQUIRE(terminal != nullptr);
  int fds[2];
  BOOST_REQUIRE(::pipe(fds) == 0);
  auto* pipe = ::fdopen(fds[1], "w");
  BOOST_REQUIRE(pipe != nullptr);
  {
    progress on{"replay", "events", 10, true, terminal};
    BOOST_TEST(on.active());
    on.finish();
    BOOST_TEST(!on.active());
    progress off{"replay", "events", 10, false, terminal};
    BOOST_TEST(!off.active());
    progress piped{"replay", "events", 10, true, pipe};
    BOOST_TEST(!piped.active());
  }
  std::fclose(pipe);
  ::close(fds[0]);
  std::fclose(terminal);
  ::close(master);
}

BOOST_AUTO_TEST_SUITE_END()
