// ticker_client: a complete timecontrol program.
//
// An exchange API that allows 5 calls per second with bursts of 10 is
// wrapped in a Command that makes callers wait instead of breaking the
// limit. A ticker poller (itself a Command, in front of a small actor that
// asks the API) is called every second by the Scheduler; a Controller
// watches that the poller really runs every second (grace 500 ms) and
// raises an alarm when it is down. A report job runs every 5 s. An observer
// prints the watch's status changes as they happen. At the end the program
// prints what the log recorded.
//
// A watch whose period equals the schedule's has no slack: a poll the
// Scheduler starts a few hundred microseconds after its fire time is really
// that late, so the watch may show "late" now and then for the start
// latency, and the grace absorbs it. Only "down" (no successful poll within
// period and grace) is a real problem. The watch therefore takes no call
// action: the Scheduler calls the poller anyway, and an extra call would
// queue behind the rate-limited API.
//
//   ticker_client [LOG-FOLDER] [SECONDS]     (defaults: a temporary folder, 8)

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include <cstdio>
#include <filesystem>
#include <map>
#include <thread>

#include "timecontrol/actors/command.hpp"
#include "timecontrol/actors/controller.hpp"
#include "timecontrol/actors/runtime.hpp"
#include "timecontrol/actors/scheduler.hpp"
#include "timecontrol/events/register.hpp"

using namespace std::chrono_literals;

namespace {

// Asks the API command for a price and answers it.
caf::behavior poller(caf::event_based_actor* self, tc::command_actor api) {
  return {
      [=](tc::call_atom, std::string& symbol) -> caf::result<std::string> {
        auto promise = self->make_response_promise<std::string>();
        self->request(api, caf::infinite, tc::call_atom::value, symbol)
            .then([=](std::string& price) mutable { promise.deliver(price); },
                  [=](caf::error& err) mutable { promise.deliver(err); });
        return promise;
      },
  };
}

int fail(const char* what, const caf::error& err) {
  std::fprintf(stderr, "ticker_client: %s: %s\n", what,
               tc::render(err).c_str());
  return 1;
}

} // namespace

int main(int argc, char** argv) {
  auto folder = argc > 1 ? std::string{argv[1]}
                         : (std::filesystem::temp_directory_path() /
                            "timecontrol-ticker-client")
                               .string();
  auto seconds = argc > 2 ? std::stoi(argv[2]) : 8;
  caf::actor_system_config cfg;
  tc::register_types(cfg);
  caf::actor_system sys{cfg};

  auto rt = tc::runtime::start(
      sys, {.path = folder, .store = {.mode = tc::durability::buffered}});
  if (!rt)
    return fail("cannot start", rt.error());

  // The exchange API: a plain function behind a limiter.
  uint64_t price = 100'000;
  auto api = tc::spawn_command(
      **rt,
      {.name = "exchange-api",
       .limiter = "5/s burst 10",
       .action = tc::on_throttle::wait},
      tc::sync_operation{[&](std::string symbol) -> caf::expected<std::string> {
        price += 7;
        return symbol + " " + std::to_string(price);
      }});
  if (!api)
    return fail("exchange-api", api.error());

  // The poller: a command in front of an actor.
  auto ticker_actor = sys.spawn(poller, *api);
  auto poll = tc::spawn_command(**rt, {.name = "poll-ticker"}, ticker_actor);
  if (!poll)
    return fail("poll-ticker", poll.error());
  auto report = tc::spawn_command(
      **rt, {.name = "report", .limiter = "min 1s"},
      tc::sync_operation{[](std::string) -> caf::expected<std::string> {
        return std::string{"report written"};
      }});
  if (!report)
    return fail("report", report.error());

  // Often enough: the poller must run every second.
  auto watchdog =
      tc::spawn_controller(**rt, {.name = "watchdog",
                                  .watches = {{"poll-ticker", 1s, 500ms}},
                                  .actions = tc::action_alarm});
  if (!watchdog)
    return fail("watchdog", watchdog.error());

  // The plan.
  caf::scoped_actor self{sys};
  for (auto x : {tc::intent{"poll-ticker", "every 1s", "skip", 1, "BTC-EUR"},
                 tc::intent{"report", "every 5s", "coalesce", 0, ""}})
    self->request((*rt)->scheduler(), caf::infinite, tc::schedule_atom::value,
                  x)
        .receive([](uint64_t) {},
                 [&](caf::error& err) { fail("schedule", err); });

  (*rt)->observe({.type = tc::event_type::deadline_status_changed},
                 [](const tc::envelope& x) {
                   auto& c = std::get<tc::deadline_status_changed>(x.body);
                   std::printf("  watchdog: %s %s -> %s%s\n", c.command.c_str(),
                               std::string{tc::to_string(c.from)}.c_str(),
                               std::string{tc::to_string(c.to)}.c_str(),
                               c.to == tc::deadline_status::late
                                   ? " (within the grace)"
                                   : "");
                 });

  // Meanwhile, the rest of the program hammers the API from here.
  std::printf("running for %d s, log in %s\n", seconds, folder.c_str());
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds{seconds};
  int answered = 0;
  while (std::chrono::steady_clock::now() < until) {
    auto answer = tc::call_blocking(sys, *api, "ETH-EUR");
    if (answer)
      ++answered;
    else
      std::printf("  api: %s\n", tc::render(answer.error()).c_str());
  }
  std::printf("the main loop got %d answers (limit: 5/s after a burst of 10)\n",
              answered);

  auto first = (*rt)->store().last_seq();
  if (auto err = (*rt)->shutdown("example finished"))
    return fail("shutdown", err);
  // Commands, controllers and observers end with the runtime; actors the
  // program spawned itself are its own to stop.
  self->send_exit(ticker_actor, caf::exit_reason::user_shutdown);
  std::map<std::pair<std::string, std::string_view>, int> counts;
  auto err = (*rt)->store().replay({}, [&](const tc::envelope& x) {
    ++counts[{x.source, tc::name_of(x.type())}];
    return true;
  });
  if (err)
    return fail("replay", err);
  std::printf("\nthe log now holds %llu events (%llu before shutdown):\n",
              static_cast<unsigned long long>((*rt)->store().last_seq()),
              static_cast<unsigned long long>(first));
  for (auto& [key, n] : counts)
    std::printf("  %-14s %-24.*s %6d\n", key.first.c_str(),
                static_cast<int>(key.second.size()), key.second.data(), n);
  return 0;
}
