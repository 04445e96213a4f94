// crash_node: a timecontrol process for the kill -9 tests (durability.test).
// It runs the real actors on a RocksDB log with the wall clock, and its
// operations write down every run in a file of their own, so that a test can
// compare what ran with what the log says.
//
//   crash_node command PATH RUNS LIMIT MODE
//     Spawns command "api" (limiter LIMIT, action wait, admission MODE:
//     "persist" or "act") around an operation that appends the time it runs
//     (ns) as a line to RUNS and prints "ran", then calls it in a loop,
//     printing "ok" after each answer.
//   crash_node scheduler PATH RUNS
//     Schedules, unless the log has it already, an intent "every 200ms" for
//     command "tick" whose arguments are drawn anew for each firing (so each
//     due time has its own), starts the command after the Scheduler, and
//     runs until killed. The operation appends its arguments to RUNS. Prints
//     "ready" once the intent is scheduled.
//   crash_node flood PATH CALLS MODE
//     Two actors keep 256 calls each in flight to a command (admission MODE:
//     "persist" or "act") whose limit is never hit, until CALLS calls are
//     answered; then prints "calls N",
//     "peak_rss_kb N" (the process's peak resident memory) and
//     "peak_backlog N" (the most bytes seen waiting for the Log), and shuts
//     down.
//
// Exits 1 with a message on any error.

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>

#include <atomic>
#include <cstdio>
#include <fcntl.h>
#include <future>
#include <string>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>

#include "timecontrol/actors/command.hpp"
#include "timecontrol/actors/runtime.hpp"
#include "timecontrol/events/register.hpp"

using namespace tc;

namespace {

int fail(const std::string& what) {
  std::fprintf(stderr, "crash_node: %s\n", what.c_str());
  return 1;
}

void say(const std::string& line) {
  auto text = line + "\n";
  if (::write(STDOUT_FILENO, text.data(), text.size()) < 0)
    std::_Exit(1);
}

// An operation that appends a line to `path` each time it runs: the time
// (and then says "ran" on stdout), or its arguments.
sync_operation appender(const std::string& path, bool with_time) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0)
    std::_Exit(fail("cannot open " + path));
  return [fd, with_time](std::string args) -> caf::expected<std::string> {
    auto line = with_time ? std::to_string(to_nanos(
                                time_point{std::chrono::system_clock::now()}))
                          : args;
    line += "\n";
    if (::write(fd, line.data(), line.size()) < 0)
      return make_error(errc::operation_failed, "cannot write the runs file");
    if (with_time)
      say("ran");
    return std::string{"ran"};
  };
}

int run_command(runtime& rt, const std::string& runs, const std::string& limit,
                const std::string& mode) {
  auto api = spawn_command(
      rt,
      {.name = "api",
       .limiter = limit,
       .action = on_throttle::wait,
       .admission = mode == "act" ? admission_mode::act_then_record
                                  : admission_mode::persist_then_act},
      appender(runs, true));
  if (!api)
    return fail(render(api.error()));
  for (;;) {
    auto answer = call_blocking(rt.system(), *api, "x");
    if (!answer)
      return fail(render(answer.error()));
    say("ok");
  }
}

int run_scheduler(runtime& rt, const std::string& runs) {
  bool scheduled = false;
  auto err = rt.store().replay(
      {.type = event_type::intent_scheduled}, [&](const envelope& x) {
        scheduled = scheduled || x.source == default_scheduler_name;
        return true;
      });
  if (err)
    return fail(render(err));
  if (!scheduled) {
    caf::scoped_actor self{rt.system()};
    caf::error failed;
    self->request(rt.scheduler(), caf::infinite, schedule_atom::value,
                  intent{"tick", "every 200ms", "coalesce", 0, "", 7})
        .receive([](uint64_t) {}, [&](caf::error& e) { failed = e; });
    if (failed)
      return fail(render(failed));
  }
  // After the Scheduler: its first fires may find no command yet.
  auto tick = spawn_command(rt, {.name = "tick"}, appender(runs, false));
  if (!tick)
    return fail(render(tick.error()));
  say("ready");
  for (;;)
    ::pause();
}

struct flooder_state {
  uint64_t left = 0;
  std::shared_ptr<std::promise<void>> done;
};

// Keeps 256 calls in flight to `target` until `n` are answered.
caf::behavior flooder(caf::stateful_actor<flooder_state>* self,
                      command_actor target, uint64_t n,
                      std::shared_ptr<std::promise<void>> done) {
  self->state.left = n;
  self->state.done = std::move(done);
  for (int i = 0; i < 256; ++i)
    self->send(target, call_atom::value, std::string(32, 'x'));
  auto next = [self, target] {
    if (--self->state.left == 0) {
      self->state.done->set_value();
      self->quit();
    } else if (self->state.left >= 256) {
      self->send(target, call_atom::value, std::string(32, 'x'));
    }
  };
  return {[next](std::string&) { next(); }, [next](caf::error&) { next(); }};
}

int run_flood(runtime& rt, uint64_t calls, const std::string& mode) {
  auto api = spawn_command(
      rt,
      {.name = "api",
       .limiter = "1000000/s burst 1000000",
       .admission = mode == "act" ? admission_mode::act_then_record
                                  : admission_mode::persist_then_act},
      sync_operation{
          [](std::string x) -> caf::expected<std::string> { return x; }});
  if (!api)
    return fail(render(api.error()));
  std::atomic<bool> running{true};
  std::atomic<uint64_t> peak_backlog{0};
  std::thread watch{[&] {
    while (running) {
      auto b = rt.backlog();
      if (b > peak_backlog)
        peak_backlog = b;
      std::this_thread::sleep_for(std::chrono::milliseconds{1});
    }
  }};
  std::vector<std::future<void>> finished;
  for (int i = 0; i < 2; ++i) {
    auto done = std::make_shared<std::promise<void>>();
    finished.push_back(done->get_future());
    rt.system().spawn(flooder, *api, calls / 2, done);
  }
  for (auto& f : finished)
    f.wait();
  running = false;
  watch.join();
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  say("calls " + std::to_string(calls / 2 * 2));
  say("peak_rss_kb " + std::to_string(usage.ru_maxrss));
  say("peak_backlog " + std::to_string(peak_backlog.load()));
  if (auto err = rt.shutdown())
    return fail(render(err));
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  std::string what = argc > 1 ? argv[1] : "";
  if (!((what == "command" && argc == 6) ||
        (what == "scheduler" && argc == 4) || (what == "flood" && argc == 5)))
    return fail("usage: crash_node command PATH RUNS LIMIT persist|act | "
                "crash_node scheduler PATH RUNS | crash_node flood PATH CALLS "
                "persist|act");
  caf::actor_system_config cfg;
  register_types(cfg);
  caf::actor_system sys{cfg};
  auto rt = runtime::start(
      sys, {.path = argv[2], .store = {.mode = durability::buffered}});
  if (!rt)
    return fail(render(rt.error()));
  if (what == "command")
    return run_command(**rt, argv[3], argv[4], argv[5]);
  if (what == "flood")
    return run_flood(**rt, std::stoull(argv[3]), argv[4]);
  return run_scheduler(**rt, argv[3]);
}
