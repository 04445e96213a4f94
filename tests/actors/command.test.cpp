#include "timecontrol/actors/command.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <stdexcept>
#include <thread>

#include <caf/event_based_actor.hpp>

#include "tests/actors/fixture.hpp"
#include "timecontrol/actors/detail/backlog.hpp"
#include "timecontrol/plugins/detail/bytes.hpp"
#include "timecontrol/policies/keyed_limiter.hpp"
#include "timecontrol/policies/under_limiter.hpp"

// Configurations are written with designated initializers that leave the
// other fields at their defaults, on purpose.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

using namespace tc;
using namespace std::chrono_literals;

namespace {

/// The answer to one call, filled in when it arrives.
struct outcome {
  bool answered = false;
  std::string value;
  caf::error error;
  time_point at{};
};

using outcome_ptr = std::shared_ptr<outcome>;

// Actors here are spawned with at least one argument: CAF 0.17 binds a
// reference to a null tuple for a spawn without any (UBSan reports it).

void caller_impl(caf::event_based_actor* self, caf::actor cmd, std::string args,
                 std::shared_ptr<outcome> out,
                 std::shared_ptr<tc::clock> time) {
  self->request(cmd, caf::infinite, call_atom::value, std::move(args))
      .then(
          [=](std::string& x) {
            out->answered = true;
            out->value = std::move(x);
            out->at = time->now();
          },
          [=](caf::error& err) {
            out->answered = true;
            out->error = std::move(err);
            out->at = time->now();
          });
}

/// Sends (call_atom, args) to `cmd` from a fresh actor; the answer lands in
/// the result once the coordinator runs.
outcome_ptr call(test::actor_fixture& f, const caf::actor& cmd,
                 std::string args = "x") {
  auto out = std::make_shared<outcome>();
  f.sys->spawn(caller_impl, cmd, std::move(args), out, f.rt->time_ptr());
  return out;
}

/// Sends a call of `cost` that may wait `max_wait` to `cmd` from a fresh
/// actor: (call_atom, args, cost, max_wait), or for a proxy (`proxy` true)
/// (call_with_atom, cost, max_wait, (call_atom, args)).
void weighted_caller_impl(caf::event_based_actor* self, caf::actor cmd,
                          std::string args, uint64_t cost,
                          caf::timespan max_wait, bool proxy,
                          std::shared_ptr<outcome> out,
                          std::shared_ptr<tc::clock> time) {
  auto on_value = [=](std::string& x) {
    out->answered = true;
    out->value = std::move(x);
    out->at = time->now();
  };
  auto on_error = [=](caf::error& err) {
    out->answered = true;
    out->error = std::move(err);
    out->at = time->now();
  };
  if (proxy)
    self->request(cmd, caf::infinite, call_with_atom::value, cost, max_wait,
                  caf::make_message(call_atom::value, std::move(args)))
        .then(on_value, on_error);
  else
    self->request(cmd, caf::infinite, call_atom::value, std::move(args), cost,
                  max_wait)
        .then(on_value, on_error);
}

outcome_ptr call(test::actor_fixture& f, const caf::actor& cmd,
                 std::string args, uint64_t cost,
                 caf::timespan max_wait = no_max_wait, bool proxy = false) {
  auto out = std::make_shared<outcome>();
  f.sys->spawn(weighted_caller_impl, cmd, std::move(args), cost, max_wait,
               proxy, out, f.rt->time_ptr());
  return out;
}

/// Sends a call of the key `key` to `cmd` from a fresh actor: (call_atom,
/// key_atom, key, args, cost, max_wait), or for a proxy (`proxy` true)
/// (call_with_atom, key_atom, key, cost, max_wait, (call_atom, args)).
void keyed_caller_impl(caf::event_based_actor* self, caf::actor cmd,
                       std::string key, std::string args, uint64_t cost,
                       caf::timespan max_wait, bool proxy,
                       std::shared_ptr<outcome> out,
                       std::shared_ptr<tc::clock> time) {
  auto on_value = [=](std::string& x) {
    out->answered = true;
    out->value = std::move(x);
    out->at = time->now();
  };
  auto on_error = [=](caf::error& err) {
    out->answered = true;
    out->error = std::move(err);
    out->at = time->now();
  };
  if (proxy)
    self->request(cmd, caf::infinite, call_with_atom::value, key_atom::value,
                  std::move(key), cost, max_wait,
                  caf::make_message(call_atom::value, std::move(args)))
        .then(on_value, on_error);
  else
    self->request(cmd, caf::infinite, call_atom::value, key_atom::value,
                  std::move(key), std::move(args), cost, max_wait)
        .then(on_value, on_error);
}

outcome_ptr call_key(test::actor_fixture& f, const caf::actor& cmd,
                     std::string key, std::string args = "x", uint64_t cost = 1,
                     caf::timespan max_wait = no_max_wait, bool proxy = false) {
  auto out = std::make_shared<outcome>();
  f.sys->spawn(keyed_caller_impl, cmd, std::move(key), std::move(args), cost,
               max_wait, proxy, out, f.rt->time_ptr());
  return out;
}

/// True if `x` was answered with an error of `code` whose text holds `text`.
bool failed_with(const outcome_ptr& x, errc code, const std::string& text) {
  if (!x->answered || !x->error || !is(x->error, code))
    return false;
  if (context_of(x->error).find(text) != std::string::npos)
    return true;
  BOOST_TEST_MESSAGE("got " << render(x->error));
  return false;
}

/// A wrapped actor: multiplies ints by `factor`, echoes calls, and answers a
/// string with an error.
caf::behavior target_impl(caf::event_based_actor*, int factor) {
  return {
      [=](int x) { return x * factor; },
      [](call_atom, std::string& x) { return "target:" + x; },
      [](const std::string& x) -> caf::result<std::string> {
        return make_error(errc::not_found, "unknown " + x);
      },
  };
}

/// Sends `x` to `cmd` as a plain message and keeps the int it gets back.
caf::behavior plain_sender_impl(caf::event_based_actor* self, caf::actor cmd,
                                int x, std::shared_ptr<int> got) {
  self->send(cmd, x);
  return {[=](int y) { *got = y; }};
}

[[nodiscard]] caf::expected<std::string> echo(std::string x) {
  return "ok:" + x;
}

template <class Op>
caf::actor make(test::actor_fixture& f, command_config config, Op op) {
  auto cmd = spawn_command(*f.rt, std::move(config), std::move(op));
  if (!cmd)
    BOOST_FAIL(render(cmd.error()));
  f.run();
  return caf::actor_cast<caf::actor>(*cmd);
}

caf::actor make(test::actor_fixture& f, command_config config) {
  return make(f, std::move(config), sync_operation{echo});
}

/// The events of one call of `source`, in order.
std::vector<event> events_of(test::actor_fixture& f, const std::string& source,
                             uint64_t id) {
  std::vector<event> result;
  for (auto& x : f.stored({.source = source}))
    std::visit(
        [&](const auto& body) {
          if constexpr (requires { body.call_id; })
            if (body.call_id == id)
              result.push_back(x.body);
        },
        x.body);
  return result;
}

template <class T>
std::vector<T> all_of(test::actor_fixture& f, const std::string& source) {
  std::vector<T> result;
  for (auto& x : f.stored({.source = source}))
    if (auto* body = std::get_if<T>(&x.body))
      result.push_back(*body);
  return result;
}

/// Stops the runtime, lets `pause` pass, and starts a new one on the same
/// store (the fixture's clock goes on across restarts).
void restart(test::actor_fixture& f, duration pause = 0ns) {
  f.stop();
  f.advance(pause);
  f.start();
}

/// An async operation whose `done` callbacks the test calls itself.
struct parked {
  std::vector<std::string> args;
  std::vector<std::function<void(caf::expected<std::string>)>> done;
};

async_operation park(std::shared_ptr<parked> p) {
  return [p](std::string args,
             std::function<void(caf::expected<std::string>)> done) {
    p->args.push_back(std::move(args));
    p->done.push_back(std::move(done));
  };
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(actors_command, test::actor_fixture)

// -- reject -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(
    a_call_inside_the_minimum_interval_is_rejected_with_the_retry_after) {
  auto cmd = make(*this, {.name = "api", .limiter = "min 200ms"});
  auto first = ask<std::string>(cmd, call_atom::value, std::string{"a"});
  BOOST_REQUIRE(first);
  BOOST_TEST(*first == "ok:a");
  advance(200ms - 1ns);
  auto second = ask<std::string>(cmd, call_atom::value, std::string{"b"});
  BOOST_REQUIRE(!second);
  BOOST_TEST(is(second.error(), errc::throttled));
  BOOST_TEST(context_of(second.error()).find("retry after 1ns") !=
             std::string::npos);
  auto throttled = all_of<call_throttled>(*this, "api");
  BOOST_REQUIRE(throttled.size() == 1u);
  BOOST_TEST(throttled[0].retry_after.count() == 1);
  BOOST_TEST((throttled[0].action == throttle_action::rejected));
  advance(1ns);
  auto third = ask<std::string>(cmd, call_atom::value, std::string{"c"});
  BOOST_REQUIRE(third);
  BOOST_TEST(*third == "ok:c");
}

BOOST_AUTO_TEST_CASE(
    a_token_bucket_admits_its_burst_then_rejects_until_refill) {
  auto cmd = make(*this, {.name = "api", .limiter = "2/s burst 2"});
  BOOST_TEST(ask<std::string>(cmd, call_atom::value, std::string{"1"}));
  BOOST_TEST(ask<std::string>(cmd, call_atom::value, std::string{"2"}));
  auto third = ask<std::string>(cmd, call_atom::value, std::string{"3"});
  BOOST_REQUIRE(!third);
  BOOST_TEST(context_of(third.error()).find("retry after 500ms") !=
             std::string::npos);
  advance(500ms);
  BOOST_TEST(ask<std::string>(cmd, call_atom::value, std::string{"4"}));
}

BOOST_AUTO_TEST_CASE(a_retry_after_that_is_not_round_is_given_exactly_too) {
  auto cmd = make(*this, {.name = "api", .limiter = "3/s burst 1"});
  BOOST_TEST(ask<std::string>(cmd, call_atom::value, std::string{"1"}));
  auto second = ask<std::string>(cmd, call_atom::value, std::string{"2"});
  BOOST_REQUIRE(!second);
  // A third of a second: readable, and exact for a client to wait.
  BOOST_TEST(
      context_of(second.error()).find("retry after 333ms (exactly 33333333") !=
          std::string::npos,
      context_of(second.error()));
}

BOOST_AUTO_TEST_CASE(a_sliding_window_rejects_the_call_over_its_limit) {
  auto cmd = make(*this, {.name = "api", .limiter = "2 per 1s"});
  BOOST_TEST(ask<std::string>(cmd, call_atom::value, std::string{"1"}));
  advance(300ms);
  BOOST_TEST(ask<std::string>(cmd, call_atom::value, std::string{"2"}));
  auto third = ask<std::string>(cmd, call_atom::value, std::string{"3"});
  BOOST_REQUIRE(!third);
  BOOST_TEST(context_of(third.error()).find("retry after 700ms") !=
             std::string::npos);
  advance(700ms);
  BOOST_TEST(ask<std::string>(cmd, call_atom::value, std::string{"4"}));
}

// -- wait ---------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(waiting_calls_run_exactly_when_the_limiter_allows) {
  auto cmd = make(
      *this,
      {.name = "api", .limiter = "min 200ms", .action = on_throttle::wait});
  auto t0 = now();
  auto a = call(*this, cmd, "a");
  auto b = call(*this, cmd, "b");
  auto c = call(*this, cmd, "c");
  run();
  BOOST_TEST(a->answered);
  BOOST_TEST(a->value == "ok:a");
  BOOST_TEST(!b->answered);
  advance(200ms - 1ns);
  BOOST_TEST(!b->answered);
  advance(1ns);
  BOOST_REQUIRE(b->answered);
  BOOST_TEST(b->value == "ok:b");
  BOOST_TEST((b->at == t0 + 200ms));
  BOOST_TEST(!c->answered);
  advance(200ms);
  BOOST_REQUIRE(c->answered);
  BOOST_TEST(c->value == "ok:c");
  BOOST_TEST((c->at == t0 + 400ms));
  auto admitted = all_of<call_admitted>(*this, "api");
  BOOST_REQUIRE(admitted.size() == 3u);
  BOOST_TEST(admitted[0].waited.count() == 0);
  BOOST_TEST((admitted[1].waited == 200ms));
  BOOST_TEST((admitted[2].waited == 400ms));
  auto throttled = all_of<call_throttled>(*this, "api");
  BOOST_REQUIRE(throttled.size() == 2u);
  BOOST_TEST((throttled[0].action == throttle_action::waited));
  BOOST_TEST((throttled[0].retry_after == 200ms));
}

BOOST_AUTO_TEST_CASE(a_full_wait_queue_answers_queue_full) {
  auto cmd = make(*this, {.name = "api",
                          .limiter = "min 1s",
                          .action = on_throttle::wait,
                          .queue_limit = 2});
  std::vector<outcome_ptr> calls;
  for (int i = 0; i < 4; ++i)
    calls.push_back(call(*this, cmd, std::to_string(i)));
  run();
  BOOST_TEST(calls[0]->answered);
  BOOST_TEST(!calls[1]->answered);
  BOOST_TEST(!calls[2]->answered);
  BOOST_REQUIRE(calls[3]->answered);
  BOOST_TEST(is(calls[3]->error, errc::queue_full));
  BOOST_TEST(context_of(calls[3]->error).find("queue_limit 2") !=
             std::string::npos);
  advance(1s);
  BOOST_TEST(calls[1]->value == "ok:1");
  BOOST_TEST(!calls[2]->answered);
  advance(1s);
  BOOST_TEST(calls[2]->value == "ok:2");
}

// -- drop ---------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_dropped_call_gets_no_answer_but_is_recorded) {
  auto cmd = make(
      *this, {.name = "api", .limiter = "min 1s", .action = on_throttle::drop});
  auto a = call(*this, cmd, "a");
  auto b = call(*this, cmd, "b");
  run();
  BOOST_TEST(a->value == "ok:a");
  advance(5s);
  BOOST_TEST(!b->answered);
  auto throttled = all_of<call_throttled>(*this, "api");
  BOOST_REQUIRE(throttled.size() == 1u);
  BOOST_TEST(throttled[0].call_id == 2u);
  BOOST_TEST((throttled[0].action == throttle_action::dropped));
  BOOST_TEST((throttled[0].retry_after == 1s));
  BOOST_TEST(events_of(*this, "api", 2).size() == 1u); // throttled
}

// -- failures -----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_throwing_operation_is_recorded_as_failed_and_answered) {
  auto calls = std::make_shared<int>(0);
  auto cmd =
      make(*this, {.name = "api"},
           sync_operation{[calls](std::string x) -> caf::expected<std::string> {
             if (++*calls == 1)
               throw std::runtime_error("boom");
             return x;
           }});
  auto first = ask<std::string>(cmd, call_atom::value, std::string{"a"});
  BOOST_REQUIRE(!first);
  BOOST_TEST(is(first.error(), errc::operation_failed));
  BOOST_TEST(context_of(first.error()).find("boom") != std::string::npos);
  auto finished = all_of<call_finished>(*this, "api");
  BOOST_REQUIRE(finished.size() == 1u);
  BOOST_TEST(!finished[0].ok);
  BOOST_TEST(finished[0].error == "boom");
  // The command goes on.
  auto second = ask<std::string>(cmd, call_atom::value, std::string{"b"});
  BOOST_REQUIRE(second);
  BOOST_TEST(*second == "b");
}

BOOST_AUTO_TEST_CASE(an_operation_that_returns_an_error_is_recorded_as_failed) {
  auto cmd = make(*this, {.name = "api"},
                  sync_operation{[](std::string) -> caf::expected<std::string> {
                    return make_error(errc::not_found, "no such ticker");
                  }});
  auto answer = ask<std::string>(cmd, call_atom::value, std::string{"a"});
  BOOST_REQUIRE(!answer);
  BOOST_TEST(is(answer.error(), errc::operation_failed));
  BOOST_TEST(context_of(answer.error()).find("no such ticker") !=
             std::string::npos);
  auto finished = all_of<call_finished>(*this, "api");
  BOOST_REQUIRE(finished.size() == 1u);
  BOOST_TEST(!finished[0].ok);
  BOOST_TEST(finished[0].error == "not_found: no such ticker");
}

BOOST_AUTO_TEST_CASE(a_message_a_callable_command_does_not_take_is_an_error) {
  auto cmd = make(*this, {.name = "api"});
  auto answer = ask<std::string>(cmd, 42);
  BOOST_REQUIRE(!answer);
  BOOST_TEST(is(answer.error(), errc::unexpected_message));
  BOOST_TEST(context_of(answer.error()).find("command 'api'") !=
             std::string::npos);
}

// -- proxy --------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(the_proxy_passes_the_wrapped_actors_answer_to_the_caller) {
  auto target = sys->spawn(target_impl, 2);
  auto cmd = make(*this, {.name = "proxy", .limiter = "min 1s"}, target);
  auto doubled = ask<int>(cmd, 21);
  BOOST_REQUIRE(doubled);
  BOOST_TEST(*doubled == 42);
  advance(1s);
  auto text = ask<std::string>(cmd, call_atom::value, std::string{"a"});
  BOOST_REQUIRE(text);
  BOOST_TEST(*text == "target:a");
  // The limiter applies to every message.
  auto fast = ask<int>(cmd, 1);
  BOOST_REQUIRE(!fast);
  BOOST_TEST(is(fast.error(), errc::throttled));
  advance(1s);
  auto failed = ask<std::string>(cmd, std::string{"x"});
  BOOST_REQUIRE(!failed);
  BOOST_TEST(is(failed.error(), errc::operation_failed));
  BOOST_TEST(context_of(failed.error()).find("unknown x") != std::string::npos);
  auto finished = all_of<call_finished>(*this, "proxy");
  BOOST_REQUIRE(finished.size() == 3u);
  BOOST_TEST(finished[0].ok);
  BOOST_TEST(finished[1].ok);
  BOOST_TEST(!finished[2].ok);
  caf::anon_send_exit(target, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_CASE(the_proxy_answers_a_plain_send_with_a_plain_message) {
  auto target = sys->spawn(target_impl, 2);
  auto cmd = make(*this, {.name = "proxy"}, target);
  auto got = std::make_shared<int>(0);
  sys->spawn(plain_sender_impl, cmd, 21, got);
  run();
  BOOST_TEST(*got == 42);
  caf::anon_send_exit(target, caf::exit_reason::user_shutdown);
}

// -- async, max_in_flight, timeout --------------------------------------------

BOOST_AUTO_TEST_CASE(an_async_operation_answers_when_done_is_called) {
  auto p = std::make_shared<parked>();
  auto cmd = make(*this, {.name = "api"}, park(p));
  auto a = call(*this, cmd, "a");
  run();
  BOOST_REQUIRE(p->done.size() == 1u);
  BOOST_TEST(p->args[0] == "a");
  BOOST_TEST(!a->answered);
  advance(30ms);
  // From another thread, as a real operation would.
  std::thread{[&] { p->done[0]("done:a"); }}.join();
  run();
  BOOST_REQUIRE(a->answered);
  BOOST_TEST(a->value == "done:a");
  auto finished = all_of<call_finished>(*this, "api");
  BOOST_REQUIRE(finished.size() == 1u);
  BOOST_TEST((finished[0].took == 30ms));
  // A second call of `done` is ignored.
  p->done[0]("again");
  run();
  BOOST_TEST(all_of<call_finished>(*this, "api").size() == 1u);
}

BOOST_AUTO_TEST_CASE(max_in_flight_holds_admitted_calls_until_a_slot_frees) {
  auto p = std::make_shared<parked>();
  auto cmd = make(*this, {.name = "api", .max_in_flight = 1}, park(p));
  auto a = call(*this, cmd, "a");
  auto b = call(*this, cmd, "b");
  run();
  BOOST_TEST(p->done.size() == 1u);
  // Both admitted, only the first started.
  BOOST_TEST(all_of<call_admitted>(*this, "api").size() == 2u);
  BOOST_TEST(all_of<call_finished>(*this, "api").size() == 0u);
  BOOST_TEST(all_of<call_started>(*this, "api").empty());
  p->done[0]("A");
  run();
  // The held call starts now: recorded, as its start is not its admission.
  auto started = all_of<call_started>(*this, "api");
  BOOST_REQUIRE(started.size() == 1u);
  BOOST_TEST(started[0].call_id == 2u);
  BOOST_TEST(a->value == "A");
  BOOST_REQUIRE(p->done.size() == 2u);
  BOOST_TEST(p->args[1] == "b");
  p->done[1](make_error(errc::closed, "gone"));
  run();
  BOOST_TEST(is(b->error, errc::operation_failed));
}

BOOST_AUTO_TEST_CASE(calls_held_for_a_slot_count_against_the_queue_limit) {
  auto p = std::make_shared<parked>();
  auto cmd = make(*this, {.name = "api", .queue_limit = 1, .max_in_flight = 1},
                  park(p));
  auto a = call(*this, cmd, "a");
  auto b = call(*this, cmd, "b");
  auto c = call(*this, cmd, "c");
  run();
  BOOST_TEST(p->done.size() == 1u);
  BOOST_TEST(!b->answered);
  BOOST_REQUIRE(c->answered);
  BOOST_TEST(is(c->error, errc::queue_full));
  p->done[0]("A");
  run();
  BOOST_REQUIRE(p->done.size() == 2u);
  p->done[1]("B");
  run();
  BOOST_TEST(a->value == "A");
  BOOST_TEST(b->value == "B");
}

BOOST_AUTO_TEST_CASE(a_call_over_its_time_limit_is_answered_timed_out) {
  auto p = std::make_shared<parked>();
  auto cmd = make(*this, {.name = "api", .timeout = 1s}, park(p));
  auto a = call(*this, cmd, "a");
  run();
  advance(1s - 1ns);
  BOOST_TEST(!a->answered);
  advance(1ns);
  BOOST_REQUIRE(a->answered);
  BOOST_TEST(is(a->error, errc::timed_out));
  auto timed_out = all_of<call_timed_out>(*this, "api");
  BOOST_REQUIRE(timed_out.size() == 1u);
  BOOST_TEST((timed_out[0].limit == 1s));
  BOOST_TEST(all_of<call_finished>(*this, "api").empty());
  // The late answer is ignored, but its end is recorded.
  advance(500ms);
  p->done[0]("late");
  run();
  BOOST_TEST(is(a->error, errc::timed_out));
  auto finished = all_of<call_finished>(*this, "api");
  BOOST_REQUIRE(finished.size() == 1u);
  BOOST_TEST((finished[0].took == 1500ms));
  BOOST_TEST(finished[0].ok);
}

// -- policy and check ---------------------------------------------------------

BOOST_AUTO_TEST_CASE(the_policy_changes_at_run_time_and_is_recorded) {
  auto cmd = make(*this, {.name = "api", .limiter = "min 1s"});
  BOOST_TEST(ask<std::string>(cmd, call_atom::value, std::string{"a"}));
  advance(100ms);
  BOOST_TEST(!ask<std::string>(cmd, call_atom::value, std::string{"b"}));
  auto changed = ask<bool>(cmd, policy_atom::value, std::string{"min 100ms"});
  BOOST_REQUIRE(changed);
  BOOST_TEST(*changed);
  BOOST_TEST(ask<std::string>(cmd, call_atom::value, std::string{"c"}));
  // The new limiter counts the calls before the change.
  advance(50ms);
  BOOST_TEST(!ask<std::string>(cmd, call_atom::value, std::string{"d"}));
  auto policies = all_of<policy_changed>(*this, "api");
  BOOST_REQUIRE(policies.size() == 2u);
  BOOST_TEST(policies[0].policy == "min 1s");
  BOOST_TEST(policies[1].policy == "min 100ms");
}

BOOST_AUTO_TEST_CASE(a_bad_spec_is_rejected_naming_the_spec_and_position) {
  auto cmd = make(*this, {.name = "api", .limiter = "min 1s"});
  auto changed = ask<bool>(cmd, policy_atom::value, std::string{"5/fortnight"});
  BOOST_REQUIRE(!changed);
  BOOST_TEST(is(changed.error(), errc::bad_config));
  auto text = context_of(changed.error());
  BOOST_TEST(text.find("\"5/fortnight\"") != std::string::npos);
  BOOST_TEST(text.find("at byte 2") != std::string::npos);
  // The old limiter stays.
  BOOST_TEST(all_of<policy_changed>(*this, "api").size() == 1u);
  auto spawned =
      spawn_command(*rt, {.name = "b", .limiter = "min"}, sync_operation{echo});
  BOOST_REQUIRE(!spawned);
  BOOST_TEST(is(spawned.error(), errc::bad_config));
  BOOST_TEST(context_of(spawned.error()).find("command 'b'") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_changed_wait_policy_releases_waiting_calls_earlier) {
  auto cmd =
      make(*this,
           {.name = "api", .limiter = "min 10s", .action = on_throttle::wait});
  auto a = call(*this, cmd, "a");
  auto b = call(*this, cmd, "b");
  run();
  BOOST_TEST(a->answered);
  BOOST_TEST(!b->answered);
  advance(1s);
  BOOST_TEST(ask<bool>(cmd, policy_atom::value, std::string{"min 1s"}));
  BOOST_TEST(b->answered);
  BOOST_TEST(b->value == "ok:b");
}

BOOST_AUTO_TEST_CASE(check_answers_when_a_call_would_be_admitted) {
  auto cmd = make(*this, {.name = "api", .limiter = "min 200ms"});
  auto t0 = now();
  auto free = ask<caf::timestamp>(cmd, check_atom::value);
  BOOST_REQUIRE(free);
  BOOST_TEST((*free == t0));
  BOOST_TEST(ask<std::string>(cmd, call_atom::value, std::string{"a"}));
  auto next = ask<caf::timestamp>(cmd, check_atom::value);
  BOOST_REQUIRE(next);
  BOOST_TEST((*next == t0 + 200ms));
  // Asking consumes nothing.
  advance(200ms);
  BOOST_TEST((*ask<caf::timestamp>(cmd, check_atom::value) == t0 + 200ms));
  BOOST_TEST(ask<std::string>(cmd, call_atom::value, std::string{"b"}));
  auto unlimited = make(*this, {.name = "free"});
  BOOST_TEST((*ask<caf::timestamp>(unlimited, check_atom::value) == now()));
}

// -- records ------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(every_call_records_its_events_in_order) {
  auto cmd = make(*this, {.name = "api", .limiter = "min 1s"});
  auto t0 = now();
  BOOST_TEST(ask<std::string>(cmd, call_atom::value, std::string{"a"}));
  BOOST_TEST(!ask<std::string>(cmd, call_atom::value, std::string{"b"}));
  using et = event_type;
  auto types = types_of("api");
  // The compact call record: two events for a call run at once, one for a
  // call rejected.
  BOOST_TEST((types == std::vector<et>{et::policy_changed, et::call_admitted,
                                       et::call_finished, et::call_throttled}));
  auto first = events_of(*this, "api", 1);
  BOOST_REQUIRE(first.size() == 2u);
  BOOST_TEST((std::get<call_admitted>(first[0]) == call_admitted{1, 0ns}));
  BOOST_TEST(
      (std::get<call_finished>(first[1]) == call_finished{1, 0ns, true, ""}));
  auto second = events_of(*this, "api", 2);
  BOOST_REQUIRE(second.size() == 1u);
  BOOST_TEST((std::get<call_throttled>(second[0]) ==
              call_throttled{2, 1s, throttle_action::rejected}));
  for (auto& x : stored({.source = "api"}))
    BOOST_TEST((x.time == t0));
}

// -- persist, then act --------------------------------------------------------

/// How many events of `type` the store holds now.
size_t count(test::actor_fixture& f, event_type type) {
  return f.stored({.type = type}).size();
}

BOOST_AUTO_TEST_CASE(an_admitted_call_runs_only_once_its_admission_is_written) {
  auto written_before_run = std::make_shared<std::vector<size_t>>();
  auto cmd = make(*this, {.name = "api"},
                  sync_operation{[this, written_before_run](std::string) {
                    written_before_run->push_back(
                        count(*this, event_type::call_admitted));
                    return caf::expected<std::string>{"ran"};
                  }});
  auto a = call(*this, cmd);
  auto b = call(*this, cmd);
  run();
  BOOST_TEST(a->value == "ran");
  BOOST_TEST(b->value == "ran");
  // Both admissions shared one write, and it came before either run.
  BOOST_TEST((*written_before_run == std::vector<size_t>{2, 2}));
}

BOOST_AUTO_TEST_CASE(
    act_then_record_runs_a_call_before_its_admission_is_written) {
  auto written_before_run = std::make_shared<std::vector<size_t>>();
  auto cmd = make(
      *this, {.name = "api", .admission = admission_mode::act_then_record},
      sync_operation{[this, written_before_run](std::string) {
        written_before_run->push_back(count(*this, event_type::call_admitted));
        return caf::expected<std::string>{"ran"};
      }});
  auto a = call(*this, cmd);
  run();
  BOOST_TEST(a->value == "ran");
  BOOST_TEST((*written_before_run == std::vector<size_t>{0}));
  BOOST_TEST(count(*this, event_type::call_admitted) == 1u);
}

/// Runs every actor but `skip` until only its messages are left.
void run_all_but(test::actor_fixture& f, const caf::actor_addr& skip) {
  auto* skipped = caf::actor_cast<caf::abstract_actor*>(skip);
  for (;;) {
    auto& jobs = f.sched->jobs;
    auto i = std::find_if(jobs.begin(), jobs.end(), [&](caf::resumable* job) {
      return dynamic_cast<caf::abstract_actor*>(job) != skipped;
    });
    if (i == jobs.end())
      return;
    std::rotate(jobs.begin(), i, i + 1);
    f.sched->run_once();
  }
}

BOOST_AUTO_TEST_CASE(
    a_command_spawned_again_at_once_sees_the_admissions_its_namesake_ran) {
  command_config config{.name = "api",
                        .limiter = "min 1s",
                        .admission = admission_mode::act_then_record};
  auto cmd = make(*this, config);
  // The call runs and is answered; its call_admitted is still on its way
  // to the Log when the command stops.
  auto a = call(*this, cmd);
  run_all_but(*this, rt->log().address());
  BOOST_TEST(a->value == "ok:x");
  BOOST_TEST(count(*this, event_type::call_admitted) == 0u);
  caf::anon_send_exit(cmd, caf::exit_reason::user_shutdown);
  run_all_but(*this, rt->log().address());
  // The same name again, at once: it must count that admission.
  auto again = make(*this, config);
  auto b = call(*this, again);
  run();
  BOOST_TEST(is(b->error, errc::throttled), render(b->error));
  auto ids = all_of<call_admitted>(*this, "api");
  BOOST_TEST_REQUIRE(ids.size() == 1u);
  auto refused = all_of<call_throttled>(*this, "api");
  BOOST_TEST_REQUIRE(refused.size() == 1u);
  BOOST_TEST(refused[0].call_id > ids[0].call_id,
             "call id " << refused[0].call_id << " handed out again");
}

/// Calls `cmd`, and on its answer asks the Log for a flush; `out` gets the
/// answer, and `finished` how many call_finished the store held when the
/// flush answered.
void call_then_flush(caf::event_based_actor* self, caf::actor cmd,
                     log_actor log, test::actor_fixture* f,
                     std::shared_ptr<outcome> out,
                     std::shared_ptr<size_t> finished) {
  self->request(cmd, caf::infinite, call_atom::value, std::string{"x"})
      .then(
          [=](std::string& x) {
            out->answered = true;
            out->value = std::move(x);
            self->request(log, caf::infinite, flush_atom::value)
                .then([=](seq_t) {
                  *finished = count(*f, event_type::call_finished);
                });
          },
          [=](caf::error& err) {
            out->answered = true;
            out->error = std::move(err);
          });
}

BOOST_AUTO_TEST_CASE(a_flush_sent_after_an_answer_covers_the_whole_call) {
  for (auto mode :
       {admission_mode::persist_then_act, admission_mode::act_then_record}) {
    auto name = std::string{"api"} + std::to_string(static_cast<int>(mode));
    auto cmd = make(*this, {.name = name, .admission = mode});
    auto out = std::make_shared<outcome>();
    auto finished = std::make_shared<size_t>(0);
    auto before = count(*this, event_type::call_finished);
    sys->spawn(call_then_flush, cmd, rt->log(), this, out, finished);
    run();
    BOOST_TEST(out->value == "ok:x");
    BOOST_TEST(*finished == before + 1);
  }
}

/// Sends `xs` to `cmd` from a fresh actor; the outcome, and how many
/// call_throttled the store held when an error answer came.
template <class... Ts>
std::pair<outcome_ptr, std::shared_ptr<size_t>>
call_counting_throttles(test::actor_fixture& f, caf::actor cmd, Ts... xs) {
  auto out = std::make_shared<outcome>();
  auto throttled = std::make_shared<size_t>(0);
  f.sys->spawn(
      [=, &f](caf::event_based_actor* self, caf::actor cmd) {
        self->request(cmd, caf::infinite, xs...)
            .then([=](std::string&) { out->answered = true; },
                  [=, &f](caf::error& err) {
                    out->answered = true;
                    out->error = err;
                    *throttled = count(f, event_type::call_throttled);
                  });
      },
      cmd);
  return {out, throttled};
}

BOOST_AUTO_TEST_CASE(a_rejected_call_is_answered_once_its_record_is_written) {
  auto cmd = make(*this, {.name = "api", .limiter = "min 1s"});
  BOOST_TEST(ask<std::string>(cmd, call_atom::value, std::string{"a"}));
  auto [out, throttled] =
      call_counting_throttles(*this, cmd, call_atom::value, std::string{"b"});
  run();
  BOOST_TEST(is(out->error, errc::throttled));
  BOOST_TEST(*throttled == 1u);
}

BOOST_AUTO_TEST_CASE(
    when_the_log_cannot_write_no_call_runs_and_callers_get_its_error) {
  auto runs = std::make_shared<int>(0);
  auto cmd = make(*this, {.name = "api"}, sync_operation{[runs](std::string) {
    ++*runs;
    return caf::expected<std::string>{"ran"};
  }});
  store->fail_appends = true;
  auto a = call(*this, cmd);
  auto b = call(*this, cmd);
  run();
  BOOST_TEST(*runs == 0);
  BOOST_REQUIRE(a->answered);
  BOOST_REQUIRE(b->answered);
  BOOST_TEST(is(a->error, errc::storage_failure), render(a->error));
  BOOST_TEST(is(b->error, errc::storage_failure), render(b->error));
  store->fail_appends = false;
  // A caller that comes later learns the same reason, and nothing runs.
  auto later = call(*this, cmd);
  run();
  BOOST_REQUIRE(later->answered);
  BOOST_TEST(is(later->error, errc::storage_failure), render(later->error));
  BOOST_TEST(*runs == 0);
}

BOOST_AUTO_TEST_CASE(while_the_logs_backlog_is_full_calls_wait_in_the_mailbox) {
  stop();
  start({.log = {.max_backlog = 1000}});
  auto cmd = make(*this, {.name = "api"});
  // As if other recorders had handed the Log more than it takes.
  rt->backlog_ptr()->add(5000);
  auto refused = rt->record("x", call_requested{1});
  BOOST_TEST(is(refused, errc::queue_full), render(refused));
  auto a = call(*this, cmd);
  advance(10ms);
  BOOST_TEST(!a->answered);
  BOOST_TEST(count(*this, event_type::call_requested) == 0u);
  // The Log caught up: the call goes on.
  rt->backlog_ptr()->release(5000);
  advance(1ms);
  BOOST_TEST(a->value == "ok:x");
  BOOST_TEST(rt->backlog() == 0u);
  BOOST_TEST(!rt->record("x", call_requested{2}));
}

BOOST_AUTO_TEST_CASE(admitted_calls_wait_to_run_while_the_backlog_is_full) {
  // Each run records a call_finished with a 1 KiB error text: runs held
  // back keep the backlog near its limit however many calls were admitted.
  stop();
  start({.log = {.max_backlog = 4096}});
  auto peak = std::make_shared<uint64_t>(0);
  auto* runtime = rt.get();
  auto cmd =
      make(*this, {.name = "api"},
           sync_operation{[peak,
                           runtime](std::string) -> caf::expected<std::string> {
             *peak = std::max(*peak, runtime->backlog());
             return make_error(errc::operation_failed, std::string(1024, 'e'));
           }});
  std::vector<outcome_ptr> outs;
  for (int i = 0; i < 200; ++i)
    outs.push_back(call(*this, cmd));
  for (int i = 0; i < 1000 && !std::all_of(outs.begin(), outs.end(),
                                           [](auto& x) { return x->answered; });
       ++i)
    advance(1ms);
  for (auto& x : outs)
    BOOST_TEST(is(x->error, errc::operation_failed),
               x->answered << " " << render(x->error));
  BOOST_TEST(count(*this, event_type::call_finished) == 200u);
  BOOST_TEST(*peak <= 4096u + 2048u, "peak backlog " << *peak);
}

BOOST_AUTO_TEST_CASE(
    a_policy_change_counts_admissions_past_the_1024_in_memory) {
  command_config config{.name = "api", .limiter = "1100 per 1h"};
  auto cmd = make(*this, config);
  std::vector<outcome_ptr> outs;
  for (int i = 0; i < 1100; ++i)
    outs.push_back(call(*this, cmd));
  run();
  BOOST_TEST(count(*this, event_type::call_admitted) == 1100u);
  // The same limit again: all 1100 admissions count, not the last 1024.
  auto changed = ask<bool>(cmd, policy_atom::value, std::string{"1100 per 1h"});
  BOOST_REQUIRE(changed);
  BOOST_TEST(*changed);
  auto late = call(*this, cmd);
  run();
  BOOST_TEST(is(late->error, errc::throttled), render(late->error));
  BOOST_TEST(count(*this, event_type::call_admitted) == 1100u);
}

// -- restart ------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_restart_neither_escapes_the_limit_nor_reuses_call_ids) {
  command_config config{.name = "api", .limiter = "2 per 10s"};
  auto cmd = make(*this, config);
  BOOST_TEST(ask<std::string>(cmd, call_atom::value, std::string{"a"}));
  advance(1s);
  BOOST_TEST(ask<std::string>(cmd, call_atom::value, std::string{"b"}));
  restart(*this, 2s); // now t0 + 3s
  cmd = make(*this, config);
  auto third = ask<std::string>(cmd, call_atom::value, std::string{"c"});
  BOOST_REQUIRE(!third);
  BOOST_TEST(context_of(third.error()).find("retry after 7s") !=
             std::string::npos);
  BOOST_TEST(all_of<call_throttled>(*this, "api").back().call_id == 3u);
  // Same limiter as logged: no new policy_changed.
  BOOST_TEST(all_of<policy_changed>(*this, "api").size() == 1u);
  advance(7s);
  BOOST_TEST(ask<std::string>(cmd, call_atom::value, std::string{"d"}));
  BOOST_TEST(all_of<call_admitted>(*this, "api").back().call_id == 4u);
  // A different configured limiter is recorded as a change.
  restart(*this);
  cmd = make(*this, {.name = "api", .limiter = "min 1s"});
  auto policies = all_of<policy_changed>(*this, "api");
  BOOST_REQUIRE(policies.size() == 2u);
  BOOST_TEST(policies[1].policy == "min 1s");
  BOOST_TEST(!ask<std::string>(cmd, call_atom::value, std::string{"e"}));
}

BOOST_AUTO_TEST_CASE(a_restart_with_calls_waiting_keeps_the_limit) {
  command_config config{
      .name = "api", .limiter = "min 1s", .action = on_throttle::wait};
  auto cmd = make(*this, config);
  auto a = call(*this, cmd, "a");
  auto b = call(*this, cmd, "b");
  run();
  BOOST_TEST(a->answered);
  BOOST_TEST(!b->answered);
  restart(*this, 500ms);
  cmd = make(*this, config);
  auto c = call(*this, cmd, "c");
  run();
  BOOST_TEST(!c->answered);
  advance(500ms - 1ns);
  BOOST_TEST(!c->answered);
  advance(1ns);
  BOOST_TEST(c->value == "ok:c");
}

BOOST_AUTO_TEST_CASE(a_restart_from_a_snapshot_keeps_the_limit_and_the_ids) {
  command_config config{
      .name = "api", .limiter = "4 per 1h", .snapshot_every = 2};
  auto cmd = make(*this, config);
  for (auto x : {"a", "b", "c"})
    BOOST_TEST(ask<std::string>(cmd, call_atom::value, std::string{x}));
  // Saved after the second admission, once it was written.
  auto saved = store->load_snapshot("command:api");
  BOOST_REQUIRE(saved);
  BOOST_REQUIRE(*saved);
  BOOST_TEST((*saved)->seq >= 3u);
  BOOST_TEST((*saved)->seq < rt->store().last_seq());
  restart(*this, 1s);
  cmd = make(*this, config);
  BOOST_TEST(ask<std::string>(cmd, call_atom::value, std::string{"d"}));
  BOOST_TEST(!ask<std::string>(cmd, call_atom::value, std::string{"e"}));
  BOOST_TEST(all_of<call_admitted>(*this, "api").back().call_id == 4u);
  BOOST_TEST(all_of<call_throttled>(*this, "api").back().call_id == 5u);
}

BOOST_AUTO_TEST_CASE(a_restart_starts_from_the_snapshot_not_the_whole_log) {
  // A snapshot of api whose limiter has seen four admissions, which api's
  // events do not show: the restarted command believes the snapshot.
  auto snapshot = [&](const std::string& command,
                      std::string_view tag = "tc.command/4") {
    auto lim = make_under_limiter(parse_limiter_spec("4 per 1h").value(),
                                  time_point{});
    for (int i = 0; i < 4; ++i)
      admit(lim, now());
    detail::snapshot_writer w{tag};
    w.str(command);
    w.str("4 per 1h");
    w.str(serialize_under_limiter(lim));
    w.u64(0); // no admission times
    w.u64(0); // not complete: more than the history holds
    w.u64(0);
    w.u64(0);
    keyed_limiter keys{parse_limiter_spec("4 per 1h").value()};
    (void)keys.admit("alice", now(), 4);
    if (tag == "tc.command/4")
      w.str(keys.serialize());
    return std::move(w).take();
  };
  BOOST_REQUIRE(
      !store->save_snapshot("command:api", store->last_seq(), snapshot("api")));
  auto api = make(*this, {.name = "api", .limiter = "4 per 1h"});
  BOOST_TEST(!ask<std::string>(api, call_atom::value, std::string{"y"}));
  // Another command's snapshot, copied in, is passed over.
  restart(*this);
  BOOST_REQUIRE(!store->save_snapshot("command:api", store->last_seq(),
                                      snapshot("other")));
  api = make(*this, {.name = "api", .limiter = "4 per 1h"});
  BOOST_TEST(ask<std::string>(api, call_atom::value, std::string{"z"}));
  // Alice's key at its limit, in the snapshot only: believed too.
  restart(*this);
  BOOST_REQUIRE(
      !store->save_snapshot("command:api", store->last_seq(), snapshot("api")));
  api = make(*this, {.name = "api", .limiter = "4 per 1h"});
  auto alice = call_key(*this, api, "alice");
  auto bob = call_key(*this, api, "bob");
  run();
  BOOST_TEST(failed_with(alice, errc::throttled, "of key 'alice'"));
  BOOST_TEST(bob->value == "ok:x");
  // A snapshot of an earlier build (tc.command/3, without keys) is passed
  // over: the log is read whole (one admission of api's own limiter).
  restart(*this);
  BOOST_REQUIRE(!store->save_snapshot("command:api", store->last_seq(),
                                      snapshot("api", "tc.command/3")));
  api = make(*this, {.name = "api", .limiter = "4 per 1h"});
  BOOST_TEST(ask<std::string>(api, call_atom::value, std::string{"w"}));
}

BOOST_AUTO_TEST_CASE(two_policy_changes_in_a_row_let_no_call_through) {
  // Past 1024 admissions a change rebuilds the limiter from the log; a
  // second change while the first waits kept calls waiting only until the
  // first was applied, and they were admitted under the old limiter.
  command_config config{.name = "api", .limiter = "1000000/s burst 1000000"};
  auto cmd = make(*this, config);
  std::vector<outcome_ptr> outs;
  for (int i = 0; i < 1100; ++i)
    outs.push_back(call(*this, cmd));
  run();
  caf::anon_send(cmd, policy_atom::value,
                 std::string{"1000000/s burst 1000000"});
  // The command takes the first change and hands its record to the Log;
  // the second change and a call come before the Log's answer.
  sched->run_once();
  caf::anon_send(cmd, policy_atom::value, std::string{"1 per 1h"});
  auto late = call(*this, cmd);
  run();
  BOOST_TEST(is(late->error, errc::throttled), render(late->error));
  BOOST_TEST(count(*this, event_type::call_admitted) == 1100u);
}

BOOST_AUTO_TEST_CASE(a_snapshot_of_another_spec_or_damaged_is_passed_over) {
  command_config config{
      .name = "api", .limiter = "2 per 1h", .snapshot_every = 1};
  auto cmd = make(*this, config);
  BOOST_TEST(ask<std::string>(cmd, call_atom::value, std::string{"a"}));
  BOOST_TEST(ask<std::string>(cmd, call_atom::value, std::string{"b"}));
  // Another spec: the whole log counts for it (3 per 1h: one call left).
  restart(*this);
  cmd = make(*this, {.name = "api", .limiter = "3 per 1h"});
  BOOST_TEST(ask<std::string>(cmd, call_atom::value, std::string{"c"}));
  BOOST_TEST(!ask<std::string>(cmd, call_atom::value, std::string{"d"}));
  // A snapshot that does not read: the same.
  restart(*this);
  BOOST_REQUIRE(!store->save_snapshot("command:api", store->last_seq(),
                                      "tc.command/1 garbage"));
  cmd = make(*this, {.name = "api", .limiter = "3 per 1h"});
  BOOST_TEST(!ask<std::string>(cmd, call_atom::value, std::string{"e"}));
  BOOST_TEST(all_of<call_admitted>(*this, "api").size() == 3u);
}

// -- spawning -----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_store_that_cannot_be_read_fails_the_spawn) {
  store->fail_reads = true;
  auto cmd = spawn_command(*rt, {.name = "api"}, sync_operation{echo});
  store->fail_reads = false;
  BOOST_REQUIRE(!cmd);
  BOOST_TEST(is(cmd.error(), errc::storage_failure));
}

// -- max wait (issue 12, item 7) ----------------------------------------------

BOOST_AUTO_TEST_CASE(
    five_callers_who_wait_at_most_300ms_on_a_1_per_second_command_run_it_once) {
  // The reproduction: 1/s burst 1, action wait, five callers each
  // giving up after 300 ms. Before, four gave up and the operation still ran
  // five times.
  int runs = 0;
  auto cmd = make(
      *this,
      {.name = "api", .limiter = "1/s burst 1", .action = on_throttle::wait},
      sync_operation{[&runs](std::string x) -> caf::expected<std::string> {
        ++runs;
        return "ok:" + x;
      }});
  auto t0 = now();
  std::vector<outcome_ptr> calls;
  for (auto x : {"a", "b", "c", "d", "e"})
    calls.push_back(call(*this, cmd, x, 1, 300ms));
  run();
  BOOST_TEST(runs == 1);
  BOOST_TEST(calls[0]->value == "ok:a");
  // As x/time/rate's Wait: the limiter's earliest admission (1 s, 2 s, ...)
  // is past the 300 ms each allows, so each is answered at once.
  for (size_t i = 1; i < calls.size(); ++i) {
    BOOST_TEST(failed_with(calls[i], errc::expired,
                           "command 'api': call " + std::to_string(i + 1) +
                               " waited 0ns"));
    BOOST_TEST(context_of(calls[i]->error).find("max_wait 300ms") !=
               std::string::npos);
    BOOST_TEST((calls[i]->at == t0));
  }
  // The expired calls took no token: at t0 + 1 s the bucket has one, and
  // a call that may not wait gets it.
  advance(1s);
  auto f = call(*this, cmd, "f", 1, 0ns);
  run();
  BOOST_TEST(f->value == "ok:f");
  advance(5s);
  BOOST_TEST(runs == 2);
  auto throttled = all_of<call_throttled>(*this, "api");
  BOOST_REQUIRE(throttled.size() == 4u);
  for (auto& x : throttled)
    BOOST_TEST((x.action == throttle_action::expired));
  BOOST_TEST((throttled[0].retry_after == 1s));
  BOOST_TEST((throttled[1].retry_after == 1s)); // ahead of it: nobody
  auto admitted = all_of<call_admitted>(*this, "api");
  BOOST_REQUIRE(admitted.size() == 2u);
  BOOST_TEST(admitted[0].call_id == 1u);
  BOOST_TEST(admitted[1].call_id == 6u);
  BOOST_TEST(all_of<call_finished>(*this, "api").size() == 2u);
}

BOOST_AUTO_TEST_CASE(
    a_waiting_call_whose_max_wait_passes_is_answered_expired_and_not_run) {
  int runs = 0;
  auto cmd =
      make(*this,
           {.name = "api", .limiter = "min 100ms", .action = on_throttle::wait},
           sync_operation{[&runs](std::string x) -> caf::expected<std::string> {
             ++runs;
             return "ok:" + x;
           }});
  auto t0 = now();
  auto a = call(*this, cmd, "a");
  auto b = call(*this, cmd, "b", 1, 300ms); // would run at 100 ms
  auto c = call(*this, cmd, "c");           // no bound, behind b
  run();
  BOOST_TEST(a->value == "ok:a");
  BOOST_TEST(!b->answered);
  // A slower limiter: b's turn now comes at 1 s, after its max wait.
  BOOST_TEST(ask<bool>(cmd, policy_atom::value, std::string{"min 1s"}));
  advance(300ms - 1ns);
  BOOST_TEST(!b->answered);
  advance(1ns);
  BOOST_TEST(failed_with(b, errc::expired,
                         "command 'api': call 2 waited 300ms; its max_wait "
                         "300ms has passed; not run"));
  BOOST_TEST((b->at == t0 + 300ms));
  BOOST_TEST(!c->answered);
  // b took nothing: c runs at a's time + 1 s, not later.
  advance(700ms - 1ns);
  BOOST_TEST(!c->answered);
  advance(1ns);
  BOOST_TEST(c->value == "ok:c");
  BOOST_TEST(runs == 2);
  auto b_events = events_of(*this, "api", 2);
  BOOST_REQUIRE(b_events.size() == 2u);
  auto* waited = std::get_if<call_throttled>(&b_events[0]);
  auto* expired = std::get_if<call_throttled>(&b_events[1]);
  BOOST_REQUIRE(waited);
  BOOST_REQUIRE(expired);
  BOOST_TEST((waited->action == throttle_action::waited));
  BOOST_TEST((expired->action == throttle_action::expired));
  BOOST_TEST((expired->retry_after == 300ms));
  auto admitted = all_of<call_admitted>(*this, "api");
  BOOST_REQUIRE(admitted.size() == 2u);
  BOOST_TEST(admitted[1].call_id == 3u);
  // A restart rebuilds the limiter from the admissions only: c's at 1 s.
  restart(*this, 500ms);
  cmd = make(*this, {.name = "api", .limiter = "min 1s"});
  auto d = ask<std::string>(cmd, call_atom::value, std::string{"d"});
  BOOST_REQUIRE(!d);
  BOOST_TEST(context_of(d.error()).find("retry after 500ms") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(
    an_expired_head_of_the_queue_lets_the_next_waiting_call_in_at_once) {
  // 10/s burst 10: b (cost 10) waits for a full bucket, c (cost 2) behind it.
  auto cmd = make(
      *this,
      {.name = "api", .limiter = "10/s burst 10", .action = on_throttle::wait});
  auto t0 = now();
  auto a = call(*this, cmd, "a", 10);
  auto b = call(*this, cmd, "b", 10, 1s);
  auto c = call(*this, cmd, "c", 2);
  run();
  BOOST_TEST(a->value == "ok:a");
  // A slower refill: b's ten tokens now come at 2 s, past its max wait.
  BOOST_TEST(ask<bool>(cmd, policy_atom::value, std::string{"5/s burst 10"}));
  advance(400ms - 1ns);
  BOOST_TEST(!c->answered); // c waits behind b (FIFO), although 2 are there
  advance(600ms + 1ns);
  BOOST_TEST(failed_with(b, errc::expired, "call 2 waited 1s"));
  // b expired at 1 s: c is considered at once and finds its 2 tokens (5
  // by then).
  BOOST_TEST(c->value == "ok:c");
  BOOST_TEST((c->at == t0 + 1s));
  auto admitted = all_of<call_admitted>(*this, "api");
  BOOST_REQUIRE(admitted.size() == 2u);
  BOOST_TEST(admitted[1].cost == 2u);
  BOOST_TEST((admitted[1].waited == 1s));
}

BOOST_AUTO_TEST_CASE(
    a_call_behind_the_queue_expires_at_once_when_the_calls_ahead_use_its_wait) {
  auto cmd = make(
      *this,
      {.name = "api", .limiter = "10/s burst 10", .action = on_throttle::wait});
  auto a = call(*this, cmd, "a", 10);
  auto b = call(*this, cmd, "b", 10); // runs at 1 s
  // Alone it would need 100 ms; behind b, 1.1 s.
  auto c = call(*this, cmd, "c", 1, 1s);
  // Behind b, exactly its max wait: it waits, and runs at its deadline.
  auto d = call(*this, cmd, "d", 1, 1100ms);
  run();
  BOOST_TEST(a->value == "ok:a");
  BOOST_TEST(failed_with(c, errc::expired,
                         "call 3 waited 0ns; the limiter admits it after "
                         "1100ms, past its max_wait 1s; not run"));
  BOOST_TEST(!d->answered);
  advance(1s);
  BOOST_TEST(b->value == "ok:b");
  BOOST_TEST(!d->answered);
  advance(100ms);
  BOOST_TEST(d->value == "ok:d"); // c took nothing: d goes at 1.1 s
  BOOST_TEST(all_of<call_admitted>(*this, "api").size() == 3u);
}

BOOST_AUTO_TEST_CASE(a_max_wait_already_past_is_answered_expired_at_once) {
  auto cmd = make(
      *this,
      {.name = "api", .limiter = "2/s burst 2", .action = on_throttle::reject});
  // Even a call the limiter would admit now: the caller has given up.
  auto a = call(*this, cmd, "a", 1, -1ms);
  // max_wait 0: now or never.
  auto b = call(*this, cmd, "b", 2, 0ns);
  run();
  BOOST_TEST(failed_with(a, errc::expired,
                         "call 1 waited 0ns; its max_wait -1ms had passed "
                         "when it came; not run"));
  BOOST_TEST(b->value == "ok:b"); // a took nothing: two tokens were there
  auto throttled = all_of<call_throttled>(*this, "api");
  BOOST_REQUIRE(throttled.size() == 1u);
  BOOST_TEST((throttled[0].action == throttle_action::expired));
  BOOST_TEST(throttled[0].retry_after.count() == 0);
}

BOOST_AUTO_TEST_CASE(an_expired_answer_waits_for_its_record_to_be_written) {
  auto cmd = make(
      *this, {.name = "api", .limiter = "min 1s", .action = on_throttle::wait});
  BOOST_TEST(ask<std::string>(cmd, call_atom::value, std::string{"a"}));
  auto [out, throttled] =
      call_counting_throttles(*this, cmd, call_atom::value, std::string{"b"},
                              uint64_t{1}, caf::timespan{10ms});
  run();
  BOOST_TEST(is(out->error, errc::expired));
  BOOST_TEST(*throttled == 1u);
}

BOOST_AUTO_TEST_CASE(an_expired_call_frees_its_place_in_the_wait_queue) {
  auto cmd = make(*this, {.name = "api",
                          .limiter = "min 1s",
                          .action = on_throttle::wait,
                          .queue_limit = 1});
  auto t0 = now();
  auto a = call(*this, cmd, "a");
  auto b = call(*this, cmd, "b", 1, 2s); // its turn at 1 s, then at 10 s
  run();
  BOOST_TEST(a->value == "ok:a");
  BOOST_TEST(ask<bool>(cmd, policy_atom::value, std::string{"min 10s"}));
  auto full = call(*this, cmd, "full");
  run();
  BOOST_TEST(failed_with(full, errc::queue_full, "queue_limit 1"));
  advance(2s);
  BOOST_TEST(failed_with(b, errc::expired, "call 2 waited 2s"));
  auto c = call(*this, cmd, "c");
  run();
  BOOST_TEST(!c->answered); // queued in b's place, not refused
  advance(8s);
  BOOST_TEST(c->value == "ok:c");
  BOOST_TEST((c->at == t0 + 10s));
}

BOOST_AUTO_TEST_CASE(the_proxy_takes_a_cost_and_a_max_wait) {
  auto target = sys->spawn(target_impl, 2);
  auto cmd = make(*this,
                  {.name = "proxy",
                   .limiter = "10/s burst 10",
                   .action = on_throttle::wait},
                  target);
  auto a = call(*this, cmd, "a", 6, no_max_wait, true);
  auto b = call(*this, cmd, "b", 6, 500ms, true); // needs 200 ms
  auto c = call(*this, cmd, "c", 6, 500ms, true); // needs 800 ms
  auto d = call(*this, cmd, "d", 11, no_max_wait, true);
  run();
  BOOST_TEST(a->value == "target:a");
  BOOST_TEST(failed_with(c, errc::expired, "command 'proxy': call 3"));
  BOOST_TEST(failed_with(d, errc::bad_request,
                         "cost 11 exceeds the limiter's capacity 10"));
  BOOST_TEST(!b->answered);
  advance(200ms);
  BOOST_TEST(b->value == "target:b");
  auto admitted = all_of<call_admitted>(*this, "proxy");
  BOOST_REQUIRE(admitted.size() == 2u);
  BOOST_TEST(admitted[0].cost == 6u);
  BOOST_TEST(admitted[1].cost == 6u);
  caf::anon_send_exit(target, caf::exit_reason::user_shutdown);
}

// -- weighted calls (issue 12, item 8) ----------------------------------------

BOOST_AUTO_TEST_CASE(
    weighted_calls_take_tokens_as_x_time_rate_wait_n_and_survive_a_restart) {
  // x/time/rate: NewLimiter(10, 10); WaitN(5) twice at t returns at once,
  // a third WaitN(5) at t waits 0.5 s.
  for (uint64_t every : {0u, 1u}) {
    BOOST_TEST_CONTEXT("snapshot_every " << every) {
      auto name = "api" + std::to_string(every);
      command_config config{.name = name,
                            .limiter = "10/s burst 10",
                            .action = on_throttle::wait,
                            .snapshot_every = every};
      auto cmd = make(*this, config);
      auto t0 = now();
      auto a = call(*this, cmd, "a", 5);
      auto b = call(*this, cmd, "b", 5);
      auto c = call(*this, cmd, "c", 5);
      run();
      BOOST_TEST(a->value == "ok:a");
      BOOST_TEST(b->value == "ok:b");
      BOOST_TEST(!c->answered);
      advance(500ms - 1ns);
      BOOST_TEST(!c->answered);
      advance(1ns);
      BOOST_TEST(c->value == "ok:c");
      BOOST_TEST((c->at == t0 + 500ms));
      auto admitted = all_of<call_admitted>(*this, name);
      BOOST_REQUIRE(admitted.size() == 3u);
      for (auto& x : admitted)
        BOOST_TEST(x.cost == 5u);
      BOOST_TEST((admitted[2].waited == 500ms));
      // The bucket is empty at 0.5 s; a restart must see the same.
      restart(*this, 100ms);
      config.action = on_throttle::reject;
      cmd = make(*this, config);
      auto d = ask<std::string>(cmd, call_atom::value, std::string{"d"},
                                uint64_t{5}, no_max_wait);
      BOOST_REQUIRE(!d);
      BOOST_TEST(context_of(d.error()).find("retry after 400ms") !=
                 std::string::npos);
      advance(400ms);
      BOOST_TEST(ask<std::string>(cmd, call_atom::value, std::string{"e"},
                                  uint64_t{5}, no_max_wait));
      // A policy change rebuilds with the costs too: under 10/s burst 20
      // the same admissions (5, 5 at 0 s, 5 at 0.5 s, 5 at 1 s) leave 10
      // tokens at 1 s; so does a restart.
      BOOST_TEST(
          ask<bool>(cmd, policy_atom::value, std::string{"10/s burst 20"}));
      restart(*this);
      config.limiter = "10/s burst 20";
      cmd = make(*this, config);
      BOOST_TEST(ask<std::string>(cmd, call_atom::value, std::string{"f"},
                                  uint64_t{5}, no_max_wait));
      BOOST_TEST(!ask<std::string>(cmd, call_atom::value, std::string{"g"},
                                   uint64_t{10}, no_max_wait));
      restart(*this);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_weighted_call_counts_as_that_many_calls_in_a_window) {
  auto cmd = make(*this, {.name = "api", .limiter = "5 per 1s"});
  BOOST_TEST(ask<std::string>(cmd, call_atom::value, std::string{"a"},
                              uint64_t{3}, no_max_wait));
  advance(100ms);
  BOOST_TEST(ask<std::string>(cmd, call_atom::value, std::string{"b"},
                              uint64_t{2}, no_max_wait));
  auto c = ask<std::string>(cmd, call_atom::value, std::string{"c"});
  BOOST_REQUIRE(!c);
  BOOST_TEST(context_of(c.error()).find("retry after 900ms") !=
             std::string::npos);
  advance(900ms);
  // a's three slots are free, b's two are not.
  BOOST_TEST(!ask<std::string>(cmd, call_atom::value, std::string{"d"},
                               uint64_t{4}, no_max_wait));
  BOOST_TEST(ask<std::string>(cmd, call_atom::value, std::string{"e"},
                              uint64_t{3}, no_max_wait));
}

BOOST_AUTO_TEST_CASE(a_cost_of_0_or_above_the_capacity_is_refused_at_once) {
  auto cmd = make(*this, {.name = "api", .limiter = "10/s burst 10"});
  auto zero = ask<std::string>(cmd, call_atom::value, std::string{"a"},
                               uint64_t{0}, no_max_wait);
  BOOST_REQUIRE(!zero);
  BOOST_TEST(is(zero.error(), errc::bad_request));
  BOOST_TEST(context_of(zero.error()) ==
             "command 'api': cost 0; a call costs at least 1");
  auto big = ask<std::string>(cmd, call_atom::value, std::string{"b"},
                              uint64_t{11}, no_max_wait);
  BOOST_REQUIRE(!big);
  BOOST_TEST(is(big.error(), errc::bad_request));
  BOOST_TEST(context_of(big.error()) ==
             "command 'api': cost 11 exceeds the limiter's capacity 10 "
             "(10/1s burst 10)");
  // Nothing recorded, no call id used; the whole burst is one call.
  BOOST_TEST(stored({.source = "api"}).size() == 1u); // policy_changed
  BOOST_TEST(ask<std::string>(cmd, call_atom::value, std::string{"c"},
                              uint64_t{10}, no_max_wait));
  BOOST_TEST(all_of<call_admitted>(*this, "api").front().call_id == 1u);
  // "min" admits cost 1 only; an unlimited command any cost.
  auto min = make(*this, {.name = "min", .limiter = "min 1s"});
  auto two = ask<std::string>(min, call_atom::value, std::string{"d"},
                              uint64_t{2}, no_max_wait);
  BOOST_REQUIRE(!two);
  BOOST_TEST(is(two.error(), errc::bad_request));
  auto free = make(*this, {.name = "free"});
  BOOST_TEST(ask<std::string>(free, call_atom::value, std::string{"e"},
                              uint64_t{1000000}, no_max_wait));
}

BOOST_AUTO_TEST_CASE(
    a_waiting_call_above_a_new_limiters_capacity_is_refused_and_recorded) {
  auto cmd = make(
      *this,
      {.name = "api", .limiter = "10/s burst 10", .action = on_throttle::wait});
  auto a = call(*this, cmd, "a", 10);
  auto b = call(*this, cmd, "b", 8);
  auto c = call(*this, cmd, "c", 1);
  run();
  BOOST_TEST(a->value == "ok:a");
  BOOST_TEST(!c->answered);
  // The new bucket holds 5 at most (a's 10, which it would not have
  // admitted, is not counted): b can never run, c runs at once.
  BOOST_TEST(ask<bool>(cmd, policy_atom::value, std::string{"10/s burst 5"}));
  BOOST_TEST(failed_with(b, errc::bad_request,
                         "call 2: cost 8 exceeds the limiter's capacity 5"));
  BOOST_TEST(c->value == "ok:c");
  auto throttled = events_of(*this, "api", 2);
  BOOST_REQUIRE(throttled.size() == 2u);
  BOOST_TEST((std::get<call_throttled>(throttled[1]).action ==
              throttle_action::rejected));
}

BOOST_AUTO_TEST_CASE(a_command_is_registered_by_name_until_it_exits) {
  BOOST_TEST(!spawn_command(*rt, {}, sync_operation{echo}));
  auto cmd = make(*this, {.name = "api"});
  BOOST_TEST((rt->commands().find("api") == cmd));
  auto twin = spawn_command(*rt, {.name = "api"}, sync_operation{echo});
  BOOST_REQUIRE(!twin);
  BOOST_TEST(is(twin.error(), errc::bad_config));
  run();
  BOOST_TEST((rt->commands().find("api") == cmd));
  caf::anon_send_exit(cmd, caf::exit_reason::user_shutdown);
  run();
  BOOST_TEST(!rt->commands().find("api"));
}

// -- a limit per key (issue 12, item 9) ---------------------------------------

BOOST_AUTO_TEST_CASE(each_key_is_limited_separately_and_recorded_with_its_key) {
  auto cmd = make(*this, {.name = "api", .limiter = "1/s burst 1"});
  auto a1 = call_key(*this, cmd, "alice", "a1");
  run();
  auto a2 = call_key(*this, cmd, "alice", "a2");
  auto b1 = call_key(*this, cmd, "bob", "b1");
  auto plain = call(*this, cmd, "p");
  run();
  BOOST_TEST(a1->value == "ok:a1");
  BOOST_TEST(failed_with(a2, errc::throttled,
                         "command 'api': call 2 of key 'alice' came too fast; "
                         "retry after 1s"));
  BOOST_TEST(b1->value == "ok:b1");
  // The key "" is the command's own limiter, which no keyed call touched.
  BOOST_TEST(plain->value == "ok:p");
  auto admitted = all_of<call_admitted>(*this, "api");
  BOOST_REQUIRE(admitted.size() == 3u);
  BOOST_TEST(admitted[0].key == "alice");
  BOOST_TEST(admitted[1].key == "bob");
  BOOST_TEST(admitted[2].key == "");
  auto throttled = all_of<call_throttled>(*this, "api");
  BOOST_REQUIRE(throttled.size() == 1u);
  BOOST_TEST(throttled[0].key == "alice");
  BOOST_TEST(throttled[0].call_id == 2u);
  // A keyed call with the key "" is an unkeyed call.
  auto again = call_key(*this, cmd, "", "q");
  run();
  BOOST_TEST(failed_with(again, errc::throttled, "call 5 came too fast"));
  BOOST_TEST(all_of<call_throttled>(*this, "api").back().key == "");
}

BOOST_AUTO_TEST_CASE(per_key_limits_across_a_restart) {
  // Without a snapshot (the log read whole), then from a snapshot.
  for (uint64_t every : {0u, 1u}) {
    BOOST_TEST_CONTEXT("snapshot_every " << every) {
      auto name = "api" + std::to_string(every);
      command_config config{
          .name = name, .limiter = "2 per 10s", .snapshot_every = every};
      auto cmd = make(*this, config);
      auto a = call_key(*this, cmd, "alice");
      auto b = call_key(*this, cmd, "alice");
      auto c = call_key(*this, cmd, "carol");
      run();
      BOOST_TEST(a->value == "ok:x");
      BOOST_TEST(b->value == "ok:x");
      BOOST_TEST(c->value == "ok:x");
      // A fresh runtime on the same log, 1 s later.
      restart(*this, 1s);
      if (every == 1) {
        auto saved = store->load_snapshot("command:" + name);
        BOOST_REQUIRE(saved);
        BOOST_REQUIRE(*saved);
        BOOST_TEST((*saved)->state.find("tc.command/4") != std::string::npos);
      }
      cmd = make(*this, config);
      auto alice = call_key(*this, cmd, "alice");
      auto carol = call_key(*this, cmd, "carol");
      auto bob = call_key(*this, cmd, "bob");
      run();
      // Alice was at her limit: still is, until her first call leaves the
      // window; carol had one call left, bob is new.
      BOOST_TEST(failed_with(alice, errc::throttled, "retry after 9s"));
      BOOST_TEST(carol->value == "ok:x");
      BOOST_TEST(bob->value == "ok:x");
      advance(9s);
      alice = call_key(*this, cmd, "alice");
      run();
      BOOST_TEST(alice->value == "ok:x");
      // Ids go on.
      BOOST_TEST(all_of<call_admitted>(*this, name).back().call_id == 7u);
      restart(*this, 20s);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_waiting_key_holds_up_no_other_key) {
  auto cmd = make(
      *this,
      {.name = "api", .limiter = "1/s burst 1", .action = on_throttle::wait});
  auto a1 = call_key(*this, cmd, "alice", "a1");
  run();
  auto a2 = call_key(*this, cmd, "alice", "a2");
  run();
  auto b1 = call_key(*this, cmd, "bob", "b1");
  auto a3 = call_key(*this, cmd, "alice", "a3");
  auto b2 = call_key(*this, cmd, "bob", "b2");
  auto p1 = call(*this, cmd, "p1");
  run();
  BOOST_TEST(a1->value == "ok:a1");
  // Bob and the unkeyed call pass alice's queue.
  BOOST_TEST(b1->value == "ok:b1");
  BOOST_TEST(p1->value == "ok:p1");
  BOOST_TEST(!a2->answered);
  BOOST_TEST(!a3->answered);
  BOOST_TEST(!b2->answered);
  step(1s);
  BOOST_TEST(a2->value == "ok:a2");
  BOOST_TEST((a2->at == b2->at));
  BOOST_TEST(b2->value == "ok:b2");
  BOOST_TEST(!a3->answered); // behind a2, its own key's
  step(1s);
  BOOST_TEST(a3->value == "ok:a3");
  auto admitted = all_of<call_admitted>(*this, "api");
  BOOST_REQUIRE(admitted.size() == 6u);
  BOOST_TEST(admitted[3].key == "alice");
  BOOST_TEST((admitted[3].waited == 1s));
  BOOST_TEST((admitted[5].waited == 2s));
}

BOOST_AUTO_TEST_CASE(the_queue_limit_counts_the_waiting_calls_of_every_key) {
  auto cmd = make(*this, {.name = "api",
                          .limiter = "1/s burst 1",
                          .action = on_throttle::wait,
                          .queue_limit = 2});
  for (auto key : {"alice", "bob", "carol"})
    (void)call_key(*this, cmd, key);
  run();
  auto a = call_key(*this, cmd, "alice");
  auto b = call_key(*this, cmd, "bob");
  auto c = call_key(*this, cmd, "carol");
  run();
  BOOST_TEST(!a->answered);
  BOOST_TEST(!b->answered);
  BOOST_TEST(failed_with(c, errc::queue_full,
                         "call 6 of key 'carol': 2 calls are queued "
                         "(queue_limit 2)"));
  BOOST_TEST(all_of<call_throttled>(*this, "api").back().key == "carol");
  step(1s);
  BOOST_TEST(a->value == "ok:x");
  BOOST_TEST(b->value == "ok:x");
}

BOOST_AUTO_TEST_CASE(a_keyed_call_bounds_its_wait_behind_its_own_key_only) {
  auto cmd = make(
      *this,
      {.name = "api", .limiter = "1/s burst 1", .action = on_throttle::wait});
  auto a1 = call_key(*this, cmd, "alice");
  run();
  auto a2 = call_key(*this, cmd, "alice", "a2", 1, 1s);     // waits 1 s
  auto a3 = call_key(*this, cmd, "alice", "a3", 1, 1500ms); // needs 2 s
  auto b1 = call_key(*this, cmd, "bob", "b1", 1, 0ns);      // now
  run();
  BOOST_TEST(failed_with(a3, errc::expired, "call 3 of key 'alice' waited"));
  BOOST_TEST(b1->value == "ok:b1");
  step(1s);
  BOOST_TEST(a2->value == "ok:a2");
  auto throttled = all_of<call_throttled>(*this, "api");
  BOOST_REQUIRE(throttled.size() == 2u);
  BOOST_TEST((throttled[1].action == throttle_action::expired));
  BOOST_TEST(throttled[1].key == "alice");
}

BOOST_AUTO_TEST_CASE(an_idle_key_is_evicted_and_its_next_call_is_admitted) {
  // Seen in the snapshot the command saves after each admission, which
  // holds the keys it keeps.
  command_config config{
      .name = "api", .limiter = "1/s burst 2", .snapshot_every = 1};
  auto cmd = make(*this, config);
  auto keys = [&] {
    auto saved = store->load_snapshot("command:api");
    BOOST_REQUIRE(saved);
    BOOST_REQUIRE(*saved);
    detail::snapshot_reader r{(*saved)->state, "tc.command/4"};
    (void)r.str(); // command
    (void)r.str(); // policy
    (void)r.str(); // unkeyed limiter
    for (auto n = r.count(); n > 0; --n) {
      (void)r.time();
      (void)r.u64();
    }
    (void)r.u64();
    (void)r.u64();
    (void)r.u64();
    auto bytes = r.str();
    BOOST_REQUIRE(!r.finish());
    auto lim = keyed_limiter::deserialize(
        parse_limiter_spec("1/s burst 2").value(), bytes);
    BOOST_REQUIRE(lim.has_value());
    return *lim;
  };
  auto a = call_key(*this, cmd, "alice", "a", 2);
  run();
  BOOST_TEST(a->value == "ok:a");
  BOOST_TEST(keys().holds("alice"));
  // 2 s - 1 ns later alice's bucket is not full yet: kept.
  advance(2s - 1ns);
  auto b = call_key(*this, cmd, "bob");
  run();
  BOOST_TEST(keys().holds("alice"));
  BOOST_TEST(keys().holds("bob"));
  // At 2 s it is as good as new: forgotten, and her next call takes a
  // fresh bucket (a cost of 2 at once).
  advance(1ns);
  auto c = call_key(*this, cmd, "carol");
  run();
  BOOST_TEST(!keys().holds("alice"));
  BOOST_TEST(keys().size() == 2u);
  auto a2 = call_key(*this, cmd, "alice", "a2", 2);
  run();
  BOOST_TEST(a2->value == "ok:a2");
  auto a3 = call_key(*this, cmd, "alice", "a3");
  run();
  BOOST_TEST(failed_with(a3, errc::throttled, "retry after 1s"));
}

BOOST_AUTO_TEST_CASE(a_policy_change_applies_to_every_key_with_its_history) {
  auto cmd = make(*this, {.name = "api", .limiter = "3 per 1h"});
  for (auto key : {"alice", "alice", "bob"})
    (void)call_key(*this, cmd, key);
  run();
  BOOST_TEST(all_of<call_admitted>(*this, "api").size() == 3u);
  auto changed = ask<bool>(cmd, policy_atom::value, std::string{"2 per 1h"});
  BOOST_REQUIRE(changed);
  auto alice = call_key(*this, cmd, "alice");
  auto bob = call_key(*this, cmd, "bob");
  run();
  BOOST_TEST(failed_with(alice, errc::throttled, "call 4 of key 'alice'"));
  BOOST_TEST(bob->value == "ok:x");
}

BOOST_AUTO_TEST_CASE(a_bad_keyed_call_is_refused_at_once_and_records_nothing) {
  auto target = sys->spawn(target_impl, 2);
  auto cmd = make(*this, {.name = "api", .limiter = "10/s burst 10"});
  auto proxy =
      make(*this, {.name = "proxy", .limiter = "10/s burst 10"}, target);
  auto before = count(*this, event_type::call_admitted) +
                count(*this, event_type::call_throttled);
  auto long_key = call_key(*this, cmd, std::string(1025, 'k'));
  auto zero = call_key(*this, cmd, "alice", "x", 0);
  auto big = call_key(*this, cmd, "alice", "x", 11);
  auto proxy_long =
      call_key(*this, proxy, std::string(2000, 'k'), "x", 1, no_max_wait, true);
  auto ok = call_key(*this, cmd, std::string(1024, 'k'));
  auto proxied = call_key(*this, proxy, "alice", "y", 1, no_max_wait, true);
  run();
  BOOST_TEST(failed_with(long_key, errc::bad_request,
                         "command 'api': a key of 1025 bytes; a key has at "
                         "most 1024"));
  BOOST_TEST(failed_with(zero, errc::bad_request, "cost 0"));
  BOOST_TEST(failed_with(big, errc::bad_request,
                         "cost 11 exceeds the limiter's capacity 10"));
  BOOST_TEST(failed_with(proxy_long, errc::bad_request,
                         "command 'proxy': a key of 2000 bytes"));
  BOOST_TEST(ok->value == "ok:x");
  BOOST_TEST(proxied->value == "target:y");
  BOOST_TEST(count(*this, event_type::call_admitted) +
                 count(*this, event_type::call_throttled) ==
             before + 2);
  BOOST_TEST(all_of<call_admitted>(*this, "proxy").back().key == "alice");
  caf::anon_send_exit(target, caf::exit_reason::user_shutdown);
}

// A call that waited is admitted after calls with higher ids (of other
// keys, or keyed ones after an unkeyed one): a restart, by full replay or
// from a snapshot, still counts its admission.
BOOST_AUTO_TEST_CASE(a_restart_counts_a_keyed_call_admitted_after_waiting) {
  for (uint64_t every : {0u, 2u}) {
    BOOST_TEST_CONTEXT("snapshot_every " << every) {
      command_config config{.name = "q" + std::to_string(every),
                            .limiter = "1/s burst 1",
                            .action = on_throttle::wait,
                            .snapshot_every = every};
      auto cmd = make(*this, config);
      auto a1 = call_key(*this, cmd, "alice"); // id 1, admitted at t0
      run();
      auto a2 = call_key(*this, cmd, "alice"); // id 2, waits until t0 + 1s
      run();
      auto b1 = call_key(*this, cmd, "bob"); // id 3, admitted at t0
      run();
      step(1s);
      BOOST_TEST(a1->value == "ok:x");
      BOOST_TEST(a2->value == "ok:x");
      BOOST_TEST(b1->value == "ok:x");
      restart(*this); // at t0 + 1s: alice's bucket is empty
      cmd = make(*this, config);
      auto a3 = call_key(*this, cmd, "alice", "x", 1, 0ns);
      run();
      BOOST_TEST(failed_with(a3, errc::expired, "admits it after 1s"));
      restart(*this, 1h);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_restart_counts_a_plain_call_admitted_after_waiting) {
  command_config config{
      .name = "u", .limiter = "1/s burst 1", .action = on_throttle::wait};
  auto cmd = make(*this, config);
  auto p1 = call(*this, cmd, "p1"); // id 1, admitted at t0
  run();
  auto p2 = call(*this, cmd, "p2"); // id 2, waits until t0 + 1s
  run();
  auto b1 = call_key(*this, cmd, "bob"); // id 3, admitted at t0
  run();
  step(1s);
  BOOST_TEST(p1->value == "ok:p1");
  BOOST_TEST(p2->value == "ok:p2");
  BOOST_TEST(b1->value == "ok:x");
  restart(*this);
  cmd = make(*this, config);
  auto p3 = call(*this, cmd, "p3", 1, 0ns);
  run();
  BOOST_TEST(failed_with(p3, errc::expired, "admits it after 1s"));
}

BOOST_AUTO_TEST_CASE(
    keys_that_differ_after_a_nul_byte_stay_apart_across_restarts) {
  for (uint64_t every : {0u, 1u}) {
    BOOST_TEST_CONTEXT("snapshot_every " << every) {
      command_config config{.name = "nul" + std::to_string(every),
                            .limiter = "1 per 1h",
                            .snapshot_every = every};
      auto cmd = make(*this, config);
      std::string a{"a"}, anul{"a\0b", 3}, anul2{"a\0c", 3}, nul{"\0", 1};
      for (auto& k : {a, anul, anul2, nul}) {
        auto r = call_key(*this, cmd, k);
        run();
        BOOST_TEST(r->value == "ok:x", "key of size " << k.size());
      }
      restart(*this, 1s);
      cmd = make(*this, config);
      for (auto& k : {a, anul, anul2, nul}) {
        auto r = call_key(*this, cmd, k);
        run();
        BOOST_TEST(failed_with(r, errc::throttled, "came too fast"),
                   "key of size " << k.size());
      }
      auto fresh = call_key(*this, cmd, std::string{"b\0", 2});
      run();
      BOOST_TEST(fresh->value == "ok:x");
      restart(*this, 2h);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_key_s_window_edge_is_exact_across_a_restart) {
  for (uint64_t every : {0u, 1u}) {
    BOOST_TEST_CONTEXT("snapshot_every " << every) {
      command_config config{.name = "win" + std::to_string(every),
                            .limiter = "2 per 10s",
                            .snapshot_every = every};
      auto cmd = make(*this, config);
      (void)call_key(*this, cmd, "alice");
      run();
      advance(5s);
      (void)call_key(*this, cmd, "alice");
      run();
      restart(*this, 5s - 1ns); // t0 + 10s - 1ns
      cmd = make(*this, config);
      auto early = call_key(*this, cmd, "alice");
      run();
      BOOST_TEST(failed_with(early, errc::throttled, "retry after 1ns"));
      advance(1ns);
      auto on_time = call_key(*this, cmd, "alice");
      auto next = call_key(*this, cmd, "alice");
      run();
      BOOST_TEST(on_time->value == "ok:x");
      BOOST_TEST(failed_with(next, errc::throttled, "retry after 5s"));
      restart(*this, 1h);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

// -- call_blocking (a real actor system: it blocks its thread) ----------------

BOOST_AUTO_TEST_CASE(call_blocking_answers_non_actor_code) {
  caf::actor_system_config cfg;
  register_types(cfg);
  cfg.set("logger.file-verbosity", caf::atom("quiet"));
  caf::actor_system sys{cfg};
  auto store = event_store::open("blocking", {.mode = durability::memory});
  BOOST_REQUIRE(store);
  auto rt =
      runtime::start(sys, std::shared_ptr<event_store>{std::move(*store)}, {});
  BOOST_REQUIRE(rt);
  auto cmd = spawn_command(**rt, {.name = "api", .limiter = "min 1h"},
                           sync_operation{echo});
  BOOST_REQUIRE(cmd);
  auto first = call_blocking(sys, *cmd, "a");
  BOOST_REQUIRE(first);
  BOOST_TEST(*first == "ok:a");
  auto second = call_blocking(sys, *cmd, "b");
  BOOST_REQUIRE(!second);
  BOOST_TEST(is(second.error(), errc::throttled));
  // With a cost and a max wait.
  auto wait = spawn_command(
      **rt,
      {.name = "wait", .limiter = "10/s burst 10", .action = on_throttle::wait},
      sync_operation{echo});
  BOOST_REQUIRE(wait);
  auto all = call_blocking(sys, *wait, "c", 10, 0ns);
  BOOST_REQUIRE(all);
  BOOST_TEST(*all == "ok:c");
  auto more = call_blocking(sys, *wait, "d", 10, 0ns); // needs 1 s
  BOOST_REQUIRE(!more);
  BOOST_TEST(is(more.error(), errc::expired));
  auto bad = call_blocking(sys, *wait, "e", 11);
  BOOST_REQUIRE(!bad);
  BOOST_TEST(is(bad.error(), errc::bad_request));
  // Of a key: each key has its own 10 units.
  auto alice =
      call_blocking(sys, *wait, key_atom::value, "alice", "f", 10, 0ns);
  BOOST_REQUIRE(alice);
  BOOST_TEST(*alice == "ok:f");
  auto alice2 =
      call_blocking(sys, *wait, key_atom::value, "alice", "g", 1, 0ns);
  BOOST_REQUIRE(!alice2);
  BOOST_TEST(is(alice2.error(), errc::expired));
  BOOST_TEST(!(*rt)->shutdown());
}
