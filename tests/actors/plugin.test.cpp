#include "timecontrol/actors/plugin.hpp"

#include <boost/test/unit_test.hpp>

#include <caf/scoped_actor.hpp>

#include "tests/actors/fixture.hpp"
#include "tests/plugins/checks.hpp"
#include "timecontrol/plugins/stats.hpp"

using namespace tc;
using namespace std::chrono_literals;

namespace {

struct plugin_fixture : test::actor_fixture {
  /// The plugin's state as its actor answers it.
  std::pair<seq_t, std::string> state_of(const plugin_actor& p) {
    caf::scoped_actor self{*sys};
    auto pending = self->request(p, caf::infinite, status_atom::value);
    run();
    std::pair<seq_t, std::string> result;
    pending.receive(
        [&](seq_t covered, std::string& bytes) {
          result = {covered, std::move(bytes)};
        },
        [&](caf::error& err) { BOOST_FAIL(render(err)); });
    return result;
  }

  /// Records `events` through the Log and lets everything run.
  void record_all(const std::vector<envelope>& events) {
    for (auto& x : events)
      BOOST_REQUIRE(!rt->record(x.source, x.body));
    run();
  }

  /// stats rebuilt from the whole store, as bytes.
  std::string replayed_stats() {
    stats s{10s};
    return test::replayed(*store, s);
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(plugin_actor_tests, plugin_fixture)

BOOST_AUTO_TEST_CASE(a_live_plugin_ends_in_the_state_a_replay_gives) {
  auto events = test::random_log(400);
  record_all({events.begin(), events.begin() + 200});
  auto p = spawn_plugin(*rt, std::make_shared<stats>(10s));
  BOOST_REQUIRE(p);
  record_all({events.begin() + 200, events.end()});
  auto [covered, bytes] = state_of(*p);
  BOOST_TEST(covered == store->last_seq());
  BOOST_TEST(bytes == replayed_stats());
}

BOOST_AUTO_TEST_CASE(a_restarted_plugin_starts_from_its_snapshot) {
  auto events = test::random_log(300);
  auto p =
      spawn_plugin(*rt, std::make_shared<stats>(10s), {.snapshot_every = 100});
  BOOST_REQUIRE(p);
  record_all({events.begin(), events.begin() + 150});
  auto saved = store->load_snapshot(stats{10s}.name());
  BOOST_REQUIRE(saved);
  BOOST_REQUIRE(saved->has_value());
  BOOST_TEST((*saved)->seq > 0u);
  stop();
  start();
  record_all({events.begin() + 150, events.end()});
  auto again = spawn_plugin(*rt, std::make_shared<stats>(10s));
  BOOST_REQUIRE(again);
  run();
  BOOST_TEST(state_of(*again).second == replayed_stats());
}

BOOST_AUTO_TEST_CASE(a_snapshot_that_does_not_load_is_rebuilt_from_the_log) {
  record_all(test::random_log(50));
  BOOST_REQUIRE(!store->save_snapshot(stats{10s}.name(), 3, "garbage"));
  auto p = spawn_plugin(*rt, std::make_shared<stats>(10s));
  BOOST_REQUIRE(p);
  BOOST_TEST(state_of(*p).second == replayed_stats());
  // The next save replaces it.
  auto covered = ask<seq_t>(*p, snapshot_atom::value);
  BOOST_REQUIRE(covered);
  auto saved = store->load_snapshot(stats{10s}.name());
  BOOST_REQUIRE(saved);
  BOOST_TEST((*saved)->seq == *covered);
  stats s{10s};
  BOOST_TEST(!s.load((*saved)->state));
}

BOOST_AUTO_TEST_CASE(a_plugin_acts_only_on_events_after_its_start) {
  record_all(test::random_log(30));
  auto history = store->last_seq();
  auto seen = std::make_shared<std::vector<seq_t>>();
  auto p = spawn_plugin(
      *rt, std::make_shared<stats>(),
      {.act = [seen](plugin&, const envelope& x) { seen->push_back(x.seq); }});
  BOOST_REQUIRE(p);
  run();
  BOOST_TEST(seen->empty());
  BOOST_REQUIRE(!rt->record("api", call_requested{99}));
  run();
  BOOST_REQUIRE(seen->size() == 1u);
  BOOST_TEST(seen->front() == history + 1);
}

BOOST_AUTO_TEST_CASE(a_plugin_that_throws_ends_its_actor_with_the_error) {
  // Throws at the first event after `from`.
  struct exploding : plugin {
    seq_t from = 0;
    std::string name() const override { return "exploding"; }
    std::string save() const override { return {}; }
    caf::error load(std::string_view) override { return caf::none; }
    void apply(const envelope& x) override {
      if (x.seq > from)
        throw std::runtime_error("boom");
    }
  };
  // In the history: spawning fails and names the plugin and the event.
  auto in_history = spawn_plugin(*rt, std::make_shared<exploding>());
  BOOST_REQUIRE(!in_history);
  BOOST_TEST(render(in_history.error()) ==
             "operation_failed: plugin 'exploding': seq 1: boom");
  // Live: the actor ends, the others go on.
  auto live = std::make_shared<exploding>();
  live->from = store->last_seq();
  auto p = spawn_plugin(*rt, live);
  BOOST_REQUIRE(p);
  auto healthy = spawn_plugin(*rt, std::make_shared<stats>(10s));
  BOOST_REQUIRE(healthy);
  BOOST_REQUIRE(!rt->record("api", call_requested{1}));
  run();
  auto answer = ask<seq_t>(*p, snapshot_atom::value);
  BOOST_TEST(!answer);
  BOOST_TEST(state_of(*healthy).first == store->last_seq());
}

BOOST_AUTO_TEST_CASE(spawning_without_a_plugin_is_a_configuration_error) {
  auto p = spawn_plugin(*rt, nullptr);
  BOOST_REQUIRE(!p);
  BOOST_TEST(render(p.error()).find("bad_config") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
