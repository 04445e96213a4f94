#include "timecontrol/actors/bus.hpp"

#include <boost/test/unit_test.hpp>

#include <caf/event_based_actor.hpp>

#include "tests/actors/fixture.hpp"

using namespace tc;

namespace {

struct seen_events {
  std::vector<seq_t> seqs;
  void operator()(const envelope& x) { seqs.push_back(x.seq); }
};

std::vector<seq_t> range(seq_t first, seq_t last) {
  std::vector<seq_t> result;
  for (auto i = first; i <= last; ++i)
    result.push_back(i);
  return result;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(actors_bus, test::actor_fixture)

BOOST_AUTO_TEST_CASE(an_observer_from_seq_n_gets_the_past_then_the_live) {
  for (uint64_t i = 0; i < 9; ++i)
    BOOST_REQUIRE(!rt->record("a", call_requested{i}));
  run(); // seq 1 is node_started, 2..10 the calls
  auto seen = std::make_shared<seen_events>();
  rt->observe({.from = 4}, [=](const envelope& x) { (*seen)(x); });
  run();
  BOOST_TEST(seen->seqs == range(4, 10));
  for (uint64_t i = 0; i < 5; ++i)
    BOOST_REQUIRE(!rt->record("a", call_requested{i}));
  run();
  BOOST_TEST(seen->seqs == range(4, 15));
}

BOOST_AUTO_TEST_CASE(events_written_while_catching_up_come_once_in_order) {
  for (uint64_t i = 0; i < 50; ++i)
    BOOST_REQUIRE(!rt->record("a", call_requested{i}));
  auto seen = std::make_shared<seen_events>();
  // Attach before the Log has written anything of the 50.
  rt->observe({}, [=](const envelope& x) { (*seen)(x); });
  for (uint64_t i = 0; i < 50; ++i)
    BOOST_REQUIRE(!rt->record("a", call_requested{i}));
  run();
  BOOST_TEST(seen->seqs == range(1, 101));
}

BOOST_AUTO_TEST_CASE(filters_select_source_and_type) {
  auto by_b = std::make_shared<seen_events>();
  auto finished = std::make_shared<seen_events>();
  rt->observe({.source = "b"}, [=](const envelope& x) { (*by_b)(x); });
  rt->observe({.type = event_type::call_finished},
              [=](const envelope& x) { (*finished)(x); });
  run();
  BOOST_REQUIRE(!rt->record("a", call_requested{1}));
  BOOST_REQUIRE(!rt->record("b", call_requested{2}));
  BOOST_REQUIRE(!rt->record("b", call_finished{2, duration{1}, true, ""}));
  BOOST_REQUIRE(!rt->record("a", call_finished{1, duration{1}, true, ""}));
  run();
  BOOST_TEST(by_b->seqs == (std::vector<seq_t>{3, 4}));
  BOOST_TEST(finished->seqs == (std::vector<seq_t>{4, 5}));
}

// An observer that never acknowledges: it gets one window of events, then
// nothing until it acknowledges, and then the rest without a gap.
struct silent_state {
  std::vector<seq_t> seqs;
  uint64_t subscription = 0;
};

BOOST_AUTO_TEST_CASE(
    a_stuck_observer_costs_the_others_nothing_and_loses_nothing) {
  stop();
  start({.bus = {.window = 64}});
  auto silent_seqs = std::make_shared<std::vector<seq_t>>();
  // (Spawned with an argument: CAF 0.17 trips UBSan on a spawn without.)
  auto silent = sys->spawn(
      [](caf::event_based_actor*,
         std::shared_ptr<std::vector<seq_t>> seqs) -> caf::behavior {
        return {[=](deliver_atom, uint64_t, const envelope& x) {
          seqs->push_back(x.seq);
        }};
      },
      silent_seqs);
  auto id =
      ask<uint64_t>(rt->bus(), attach_atom::value, silent, replay_query{});
  BOOST_REQUIRE(id);
  auto healthy = std::make_shared<seen_events>();
  rt->observe({}, [=](const envelope& x) { (*healthy)(x); });
  run();
  for (uint64_t i = 0; i < 200; ++i)
    BOOST_REQUIRE(!rt->record("a", call_requested{i}));
  run();
  auto last = store->last_seq();
  BOOST_TEST(healthy->seqs == range(1, last));
  BOOST_TEST(silent_seqs->size() == 64u);
  // It acknowledges everything it got: the next window comes from the store.
  caf::anon_send(rt->bus(), ack_atom::value, *id, silent_seqs->back());
  run();
  BOOST_TEST(silent_seqs->size() == 128u);
  while (silent_seqs->size() < last) {
    caf::anon_send(rt->bus(), ack_atom::value, *id, silent_seqs->back());
    run();
  }
  BOOST_TEST(*silent_seqs == range(1, last));
  // Caught up, it receives live events again.
  caf::anon_send(rt->bus(), ack_atom::value, *id, silent_seqs->back());
  run();
  BOOST_REQUIRE(!rt->record("a", call_requested{999}));
  run();
  BOOST_TEST(silent_seqs->back() == last + 1);
}

BOOST_AUTO_TEST_CASE(an_observer_that_throws_ends_and_the_others_go_on) {
  auto healthy = std::make_shared<seen_events>();
  auto thrower = rt->observe({}, [](const envelope& x) {
    if (x.seq == 2)
      throw std::runtime_error("observer bug");
  });
  rt->observe({}, [=](const envelope& x) { (*healthy)(x); });
  run();
  BOOST_REQUIRE(!rt->record("a", call_requested{1}));
  BOOST_REQUIRE(!rt->record("a", call_requested{2}));
  run();
  BOOST_TEST(healthy->seqs == range(1, 3));
  // The thrower is gone (and detached from the Bus).
  caf::scoped_actor self{*sys};
  self->monitor(thrower);
  run();
  bool down = false;
  self->receive([&](caf::down_msg&) { down = true; });
  BOOST_TEST(down);
}

BOOST_AUTO_TEST_CASE(an_observer_that_exits_is_detached) {
  auto seen = std::make_shared<seen_events>();
  auto observer = rt->observe({}, [=](const envelope& x) { (*seen)(x); });
  run();
  caf::anon_send_exit(observer, caf::exit_reason::user_shutdown);
  run();
  BOOST_REQUIRE(!rt->record("a", call_requested{1}));
  run();
  BOOST_TEST(seen->seqs == range(1, 1));
}

BOOST_AUTO_TEST_SUITE_END()
