#include "timecontrol/actors/log.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>

#include "tests/actors/fixture.hpp"

using namespace tc;

namespace {

envelope make(std::string source, uint64_t id) {
  return envelope{0, test::sample_time(), std::move(source),
                  call_requested{id}};
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(actors_log, test::actor_fixture)

BOOST_AUTO_TEST_CASE(the_runtime_records_that_the_node_started) {
  auto all = stored();
  BOOST_REQUIRE(all.size() == 1u);
  BOOST_TEST((all[0].type() == event_type::node_started));
  BOOST_TEST(all[0].source == "node");
  BOOST_TEST((all[0].time == test::sample_time()));
}

BOOST_AUTO_TEST_CASE(recorded_events_are_numbered_in_arrival_order) {
  for (uint64_t i = 1; i <= 3; ++i)
    caf::anon_send(rt->log(), record_atom::value, make("a", i));
  run();
  auto events = stored({.source = "a"});
  BOOST_REQUIRE(events.size() == 3u);
  for (uint64_t i = 0; i < 3; ++i) {
    BOOST_TEST(events[i].seq == i + 2);
    BOOST_TEST(std::get<call_requested>(events[i].body).call_id == i + 1);
  }
}

BOOST_AUTO_TEST_CASE(events_that_arrive_together_share_one_write) {
  auto writes_before = store->stats().writes;
  for (uint64_t i = 1; i <= 100; ++i)
    caf::anon_send(rt->log(), record_atom::value, make("a", i));
  run();
  BOOST_TEST(store->stats().writes == writes_before + 1);
  BOOST_TEST(stored({.source = "a"}).size() == 100u);
}

BOOST_AUTO_TEST_CASE(a_full_batch_is_written_without_waiting) {
  stop();
  start({.log = {.max_batch = 10}});
  auto writes_before = store->stats().writes;
  for (uint64_t i = 1; i <= 25; ++i)
    caf::anon_send(rt->log(), record_atom::value, make("a", i));
  run();
  // 10 + 10 at the batch limit, then the remaining 5 on the commit message.
  BOOST_TEST(store->stats().writes == writes_before + 3);
  BOOST_TEST(stored({.source = "a"}).size() == 25u);
}

BOOST_AUTO_TEST_CASE(append_answers_the_last_seq_once_written) {
  auto seq = ask<seq_t>(rt->log(), append_atom::value,
                        std::vector<envelope>{make("a", 1), make("a", 2)});
  BOOST_REQUIRE(seq);
  BOOST_TEST(*seq == 3u);
  BOOST_TEST(store->last_seq() == 3u);
}

BOOST_AUTO_TEST_CASE(flush_answers_after_everything_sent_before) {
  caf::anon_send(rt->log(), record_atom::value, make("a", 1));
  auto seq = ask<seq_t>(rt->log(), flush_atom::value);
  BOOST_REQUIRE(seq);
  BOOST_TEST(*seq == 2u);
  // Nothing pending: answered at once.
  seq = ask<seq_t>(rt->log(), flush_atom::value);
  BOOST_REQUIRE(seq);
  BOOST_TEST(*seq == 2u);
}

BOOST_AUTO_TEST_CASE(a_failed_write_fails_the_waiting_requests_and_the_log) {
  store->fail_appends = true;
  auto seq = ask<seq_t>(rt->log(), append_atom::value,
                        std::vector<envelope>{make("a", 1)});
  BOOST_REQUIRE(!seq);
  BOOST_TEST(is(seq.error(), errc::storage_failure));
  // The Log stopped: later requests fail instead of being lost silently.
  store->fail_appends = false;
  auto after = ask<seq_t>(rt->log(), flush_atom::value);
  BOOST_TEST(!after);
  BOOST_TEST(store->last_seq() == 1u);
}

BOOST_AUTO_TEST_CASE(a_message_of_the_wrong_type_is_answered_with_an_error) {
  auto untyped = caf::actor_cast<caf::actor>(rt->log());
  auto answer = ask<seq_t>(untyped, std::string{"not an event"});
  BOOST_REQUIRE(!answer);
  BOOST_TEST((answer.error() == caf::sec::unexpected_message));
  // The Log goes on.
  BOOST_REQUIRE(!rt->record("a", call_requested{1}));
  auto seq = ask<seq_t>(rt->log(), flush_atom::value);
  BOOST_REQUIRE(seq);
  BOOST_TEST(*seq == 2u);
}

BOOST_AUTO_TEST_CASE(shutdown_records_that_the_node_stopped) {
  caf::anon_send(rt->log(), record_atom::value, make("a", 1));
  BOOST_TEST(!rt->shutdown("test over"));
  auto all = stored();
  BOOST_REQUIRE(all.size() == 3u);
  BOOST_TEST((all.back().body == event{node_stopped{"test over"}}));
}

BOOST_AUTO_TEST_CASE(observers_get_the_last_events_before_shutdown) {
  auto seen = std::make_shared<std::vector<seq_t>>();
  rt->observe({}, [seen](const envelope& x) { seen->push_back(x.seq); });
  run();
  BOOST_REQUIRE(!rt->record("a", call_requested{1}));
  BOOST_TEST(!rt->shutdown("test over"));
  run();
  // node_started, the call and node_stopped: none lost to the Bus's exit.
  BOOST_TEST(*seen == (std::vector<seq_t>{1, 2, 3}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_failed_write_stops_the_log_and_the_runtime_says_why) {
  BOOST_TEST(!rt->failure());
  store->fail_appends = true;
  BOOST_TEST(!rt->record("a", call_requested{1}));
  run();
  auto why = rt->failure();
  BOOST_TEST(is(why, errc::storage_failure), render(why));
  BOOST_TEST(render(why).find("injected failure") != std::string::npos);
  // Nothing more is taken; shutdown reports the same reason.
  BOOST_TEST(is(rt->record("a", call_requested{2}), errc::storage_failure));
  BOOST_TEST(is(rt->flush().error(), errc::storage_failure));
  auto err = rt->shutdown();
  BOOST_TEST(is(err, errc::storage_failure), render(err));
  store->fail_appends = false;
}

BOOST_AUTO_TEST_CASE(the_backlog_counts_what_was_handed_over_until_written) {
  BOOST_TEST(rt->backlog() == 0u);
  BOOST_TEST(!rt->record("a", call_requested{1}));
  BOOST_TEST(rt->backlog() > 0u);
  run();
  BOOST_TEST(rt->backlog() == 0u);
  auto last = rt->flush();
  BOOST_REQUIRE(last);
  BOOST_TEST(*last == 2u);
}

BOOST_AUTO_TEST_SUITE_END()

// The same on CAF's real, threaded scheduler, where the Log, the Bus and the
// observer run at once: the observer gets node_stopped before the Bus exits,
// every time.
BOOST_AUTO_TEST_CASE(threaded_observers_get_node_stopped_before_the_bus_exits) {
  caf::actor_system_config cfg;
  register_types(cfg);
  cfg.set("logger.file-verbosity", caf::atom("quiet"));
  caf::actor_system sys{cfg};
  for (int round = 0; round < 30; ++round) {
    auto rt = runtime::start(
        sys, {.path = "threaded", .store = {.mode = durability::memory}});
    BOOST_REQUIRE(rt);
    auto got_stop = std::make_shared<std::atomic<bool>>(false);
    auto observer = (*rt)->observe({}, [got_stop](const envelope& x) {
      if (x.type() == event_type::node_stopped)
        *got_stop = true;
    });
    BOOST_REQUIRE(!(*rt)->record("a", call_requested{1}));
    BOOST_REQUIRE(!(*rt)->shutdown("round over"));
    // The observer ends when the Bus does, after what it was sent.
    caf::scoped_actor self{sys};
    self->monitor(observer);
    self->receive([](caf::down_msg&) {});
    BOOST_TEST_CONTEXT("round " << round) {
      BOOST_TEST(got_stop->load());
    }
  }
}
