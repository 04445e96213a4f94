// simulated_test: how you test your own code that uses timecontrol, on
// simulated time (tc::simulation), with Boost.Test.
//
// The code under test: a price service that fetches from an exchange at
// most twice a second (callers wait their turn) and is polled every second
// by the Scheduler. The tests check, to the nanosecond and without
// sleeping, that a burst of callers is spread out, that the poll runs on
// time, and that a restart does not let the limit be escaped.

#define BOOST_TEST_MODULE simulated_test
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <vector>

#include "timecontrol/actors/command.hpp"
#include "timecontrol/actors/scheduler.hpp"
#include "timecontrol/actors/simulation.hpp"

using namespace std::chrono_literals;

namespace {

// -- the code under test ------------------------------------------------------

struct exchange {
  std::vector<tc::time_point> fetches;
};

/// Spawns the price service into `rt`; `ex` records when it fetched.
[[nodiscard]] caf::expected<tc::command_actor> start_prices(tc::runtime& rt,
                                                            exchange& ex) {
  return tc::spawn_command(
      rt,
      {.name = "prices",
       .limiter = "min 500ms",
       .action = tc::on_throttle::wait},
      tc::sync_operation{
          [&ex, &rt](std::string symbol) -> caf::expected<std::string> {
            ex.fetches.push_back(rt.time().now());
            return symbol + " 42";
          }});
}

} // namespace

// -- its tests ----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_burst_of_callers_is_spread_to_two_fetches_a_second) {
  tc::simulation sim;
  exchange ex;
  auto prices = start_prices(sim.rt(), ex);
  BOOST_REQUIRE(prices);
  auto t0 = sim.now();
  int answered = 0;
  for (int i = 0; i < 4; ++i)
    sim.call_later(*prices, "BTC", [&](caf::expected<std::string> x) {
      BOOST_TEST(x.value() == "BTC 42");
      ++answered;
    });
  BOOST_TEST(answered == 1);
  sim.advance(1500ms);
  BOOST_TEST(answered == 4);
  BOOST_TEST((ex.fetches == std::vector<tc::time_point>{
                                t0, t0 + 500ms, t0 + 1000ms, t0 + 1500ms}));
}

BOOST_AUTO_TEST_CASE(the_scheduler_polls_every_second) {
  tc::simulation sim;
  exchange ex;
  auto prices = start_prices(sim.rt(), ex);
  BOOST_REQUIRE(prices);
  auto id = sim.ask<uint64_t>(sim.rt().scheduler(), tc::schedule_atom::value,
                              tc::intent{"prices", "every 1s", "", 0, "ETH"});
  BOOST_REQUIRE(id);
  auto t0 = sim.now();
  sim.advance(3s);
  BOOST_TEST((ex.fetches ==
              std::vector<tc::time_point>{t0, t0 + 1s, t0 + 2s, t0 + 3s}));
}

BOOST_AUTO_TEST_CASE(a_restart_does_not_let_the_limit_be_escaped) {
  tc::simulation sim;
  exchange ex;
  auto prices = start_prices(sim.rt(), ex);
  BOOST_REQUIRE(prices);
  BOOST_TEST(sim.call(*prices, "BTC").value() == "BTC 42");
  sim.restart(100ms); // the process stops and starts again 100 ms later
  prices = start_prices(sim.rt(), ex);
  BOOST_REQUIRE(prices);
  int answered = 0;
  sim.call_later(*prices, "BTC",
                 [&](caf::expected<std::string>) { ++answered; });
  sim.advance(399ms);
  BOOST_TEST(answered == 0); // 500 ms after the first fetch, not before
  sim.advance(1ms);
  BOOST_TEST(answered == 1);
  BOOST_TEST((ex.fetches.back() - ex.fetches.front() == 500ms));
}
