#include "timecontrol/actors/simulation.hpp"

#include <boost/test/unit_test.hpp>

#include "tests/support/print.hpp"
#include "timecontrol/actors/command.hpp"

using namespace tc;
using namespace std::chrono_literals;

namespace {

sync_operation echo() {
  return [](std::string x) -> caf::expected<std::string> { return "ok:" + x; };
}

} // namespace

BOOST_AUTO_TEST_SUITE(actors_simulation)

BOOST_AUTO_TEST_CASE(a_call_that_must_wait_is_answered_when_time_has_passed) {
  simulation sim;
  auto api = spawn_command(
      sim.rt(),
      {.name = "api", .limiter = "min 500ms", .action = on_throttle::wait},
      echo());
  BOOST_REQUIRE(api);
  auto t0 = sim.now();
  auto first = sim.call(*api, "a");
  BOOST_REQUIRE(first);
  BOOST_TEST(*first == "ok:a");
  std::optional<caf::expected<std::string>> second;
  std::optional<time_point> answered;
  sim.call_later(*api, "b", [&](caf::expected<std::string> x) {
    second = std::move(x);
    answered = sim.now();
  });
  BOOST_TEST(!second);
  sim.advance(499ms);
  BOOST_TEST(!second);
  sim.advance(1ms);
  BOOST_REQUIRE((second && *second));
  BOOST_TEST(**second == "ok:b");
  BOOST_TEST(*answered == t0 + 500ms);
}

BOOST_AUTO_TEST_CASE(ask_gives_timed_out_when_the_answer_needs_time) {
  simulation sim;
  auto api = spawn_command(
      sim.rt(), {.name = "api", .limiter = "1/s", .action = on_throttle::wait},
      echo());
  BOOST_REQUIRE(api);
  BOOST_TEST(sim.call(*api, "a"));
  auto waiting = sim.call(*api, "b");
  BOOST_TEST(is(waiting.error(), errc::timed_out));
  // A request answered with an error gives that error.
  auto bad = sim.ask<std::string>(caf::actor_cast<caf::actor>(*api), 42);
  BOOST_TEST(is(bad.error(), errc::unexpected_message), render(bad.error()));
}

BOOST_AUTO_TEST_CASE(a_restart_keeps_the_log_and_the_clock) {
  simulation sim;
  command_config config{.name = "api", .limiter = "1/s"};
  auto api = spawn_command(sim.rt(), config, echo());
  BOOST_REQUIRE(api);
  BOOST_TEST(sim.call(*api, "a"));
  auto before = sim.now();
  sim.restart(300ms);
  BOOST_TEST(sim.now() == before + 300ms);
  api = spawn_command(sim.rt(), config, echo());
  BOOST_REQUIRE(api);
  // The rebuilt limiter remembers the call 300 ms ago.
  BOOST_TEST(is(sim.call(*api, "b").error(), errc::throttled));
  BOOST_TEST(sim.events({.type = event_type::call_admitted}).size() == 1u);
  BOOST_TEST(sim.events({.type = event_type::node_started}).size() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
