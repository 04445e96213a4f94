// adaptive_rate on real actors and simulated time: a command in front of a
// remote API whose limit it is not told learns that limit.

#include "timecontrol/actors/learning.hpp"

#include <boost/test/unit_test.hpp>

#include <cmath>

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include "tests/actors/fixture.hpp"
#include "timecontrol/actors/command.hpp"
#include "timecontrol/policies/spec.hpp"
#include "timecontrol/policies/token_bucket.hpp"

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

using namespace tc;
using namespace std::chrono_literals;

namespace {

/// Keeps `depth` calls outstanding at `cmd`: each answer, good or bad, sends
/// the next, until `stop` is set. Demand always exceeds what the command
/// admits, as for a client with a backlog.
void load_impl(caf::event_based_actor* self, command_actor cmd, int depth,
               std::shared_ptr<bool> stop) {
  auto next = [=] {
    if (!*stop)
      self->send(self, call_atom::value);
  };
  self->set_default_handler(caf::drop);
  self->become([=](call_atom) {
    self->request(cmd, caf::infinite, call_atom::value, std::string{"quote"})
        .then([=](std::string&) { next(); }, [=](caf::error&) { next(); });
  });
  for (int i = 0; i < depth; ++i)
    self->send(self, call_atom::value);
}

struct outcome {
  /// Rates applied to the command (from its policy_changed), with times.
  std::vector<std::pair<time_point, double>> applied;
  uint64_t ok = 0;
  uint64_t refused = 0;
};

/// Calls/s of a token bucket spec as the command records it.
double rate_of(const std::string& spec) {
  auto parsed = parse_limiter_spec(spec);
  BOOST_REQUIRE_MESSAGE(parsed, spec);
  return std::get<token_bucket_config>(parsed.value()).rate.per_second_value();
}

struct convergence : test::actor_fixture {
  /// Runs a command limited to "1/s" in front of an API that allows
  /// `limit` calls/s (one at a time), with the learner attached, for
  /// `length` of simulated time, `callers` calls outstanding and at most
  /// `queue` of them waiting in the command. Counts what happened after
  /// `settle`.
  outcome run_against(double limit, duration length, duration settle,
                      int callers = 8, size_t queue = 64) {
    auto remote = std::make_shared<token_bucket>(
        token_rate{static_cast<int64_t>(limit * 1000), 1000s}, 1, now());
    auto clk = rt->time_ptr();
    sync_operation api = [remote,
                          clk](std::string) -> caf::expected<std::string> {
      if (remote->allow(clk->now()))
        return std::string{"42"};
      return make_error(errc::throttled, "remote: 429 too many requests");
    };
    auto cmd = spawn_command(*rt,
                             {.name = "remote",
                              .limiter = "1/s",
                              .action = on_throttle::wait,
                              .queue_limit = queue},
                             api);
    BOOST_REQUIRE(cmd);
    auto learner = spawn_adaptive_rate(*rt, {.command = "remote"});
    BOOST_REQUIRE(learner);
    auto stop = std::make_shared<bool>(false);
    auto load = sys->spawn(load_impl, *cmd, callers, stop);
    auto start = now();
    step(length);
    *stop = true;
    caf::anon_send_exit(load, caf::exit_reason::user_shutdown);
    run();
    outcome out;
    for (auto& x : stored({.source = "remote"})) {
      if (auto* p = std::get_if<policy_changed>(&x.body))
        out.applied.emplace_back(x.time, rate_of(p->policy));
      if (x.time < start + settle)
        continue;
      if (auto* f = std::get_if<call_finished>(&x.body))
        ++(f->ok ? out.ok : out.refused);
    }
    return out;
  }
};

void check_converges(double limit, int callers = 8, size_t queue = 64) {
  convergence f;
  auto settle = 120s;
  auto measured = 180s;
  auto out = f.run_against(limit, settle + measured, settle, callers, queue);
  auto start = test::sample_time();
  // Every rate applied once settled, and the last before that, is within
  // 10 % of the hidden limit.
  double lowest = 1e9;
  double highest = 0;
  for (size_t i = 0; i < out.applied.size(); ++i) {
    auto [t, r] = out.applied[i];
    bool in_force =
        t >= start + settle || (i + 1 < out.applied.size() &&
                                out.applied[i + 1].first >= start + settle);
    if (in_force) {
      lowest = std::min(lowest, r);
      highest = std::max(highest, r);
    }
  }
  auto seconds = std::chrono::duration<double>(measured).count();
  auto throughput = static_cast<double>(out.ok) / seconds;
  BOOST_TEST_MESSAGE("hidden limit " << limit << "/s: applied rates " << lowest
                                     << ".." << highest << "/s, throughput "
                                     << throughput << "/s, " << out.refused
                                     << " calls refused by the remote in "
                                     << seconds << " s, " << out.applied.size()
                                     << " limiter changes in all");
  BOOST_TEST(lowest >= 0.9 * limit);
  BOOST_TEST(highest <= 1.1 * limit);
  BOOST_TEST(throughput >= 0.9 * limit);
  BOOST_TEST(throughput <= limit);
  // Bounded rejections: after a cut the rate climbs back by 1.5 % of the
  // limit per second, so the remote refuses about one call per 5 s,
  // whatever the limit -- at most one per 4 s is required.
  BOOST_TEST(out.refused <= static_cast<uint64_t>(seconds / 4));
}

} // namespace

BOOST_AUTO_TEST_SUITE(adaptive_rate_actor)

BOOST_AUTO_TEST_CASE(it_converges_to_a_hidden_limit_of_8_per_second) {
  check_converges(8);
}

BOOST_AUTO_TEST_CASE(it_converges_to_a_hidden_limit_of_45_per_second) {
  check_converges(45);
}

BOOST_AUTO_TEST_CASE(it_converges_to_a_hidden_limit_of_400_per_second) {
  check_converges(400);
}

// Hundreds of calls waiting in the command's queue: those that wait through
// a cut run at the new rate, and their refusals count.
BOOST_AUTO_TEST_CASE(it_converges_behind_a_queue_of_hundreds) {
  check_converges(10, 600, 1000);
}

BOOST_AUTO_TEST_CASE(a_learner_restarted_from_its_snapshot_goes_on_from_there) {
  test::actor_fixture f;
  auto learner = spawn_adaptive_rate(*f.rt, {.command = "remote"});
  BOOST_REQUIRE(learner);
  BOOST_REQUIRE(!f.rt->record("remote", policy_changed{"20/s burst 1"}));
  BOOST_REQUIRE(!f.rt->record("remote", call_requested{1}));
  BOOST_REQUIRE(
      !f.rt->record("remote", call_finished{1, 1ms, false, "throttled"}));
  f.run();
  auto saved = f.ask<seq_t>(*learner, snapshot_atom::value);
  BOOST_REQUIRE(saved);
  BOOST_TEST(*saved == f.store->last_seq());
  f.stop();
  f.start();
  auto again = spawn_adaptive_rate(*f.rt, {.command = "remote"});
  BOOST_REQUIRE(again);
  caf::scoped_actor self{*f.sys};
  auto pending = self->request(*again, caf::infinite, status_atom::value);
  f.run();
  pending.receive(
      [&](seq_t covered, std::string& bytes) {
        adaptive_rate a{{.command = "remote"}};
        BOOST_REQUIRE(!a.load(bytes));
        BOOST_TEST(covered >= *saved);
        BOOST_TEST(a.ceiling() == 20.0);
        BOOST_TEST(a.cuts() == 1u);
      },
      [&](caf::error& err) { BOOST_FAIL(render(err)); });
}

BOOST_AUTO_TEST_CASE(a_learner_needs_a_command_and_sane_factors) {
  test::actor_fixture f;
  BOOST_TEST(!spawn_adaptive_rate(*f.rt, {}));
  auto bad = spawn_adaptive_rate(*f.rt, {.command = "x", .decrease = 1.5});
  BOOST_REQUIRE(!bad);
  BOOST_TEST(render(bad.error()).find("0 < decrease < 1") != std::string::npos);
  // A negative hysteresis would propose a change at every event, forever.
  BOOST_TEST(!spawn_adaptive_rate(*f.rt, {.command = "x", .hysteresis = -1}));
  BOOST_TEST(!spawn_adaptive_rate(*f.rt, {.command = "x", .initial = NAN}));
  BOOST_TEST(
      !spawn_adaptive_rate(*f.rt, {.command = "x", .max_rate = INFINITY}));
}

BOOST_AUTO_TEST_SUITE_END()
