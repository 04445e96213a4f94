// observer: an actor of your own on the event Bus, from a sequence number.
//
// The program records a few calls, then attaches an observer actor that
// starts at the third event of the log: it gets the events already in the
// log from there ("catch-up"), then the new ones as they are written, each
// exactly once and in order, and acknowledges what it has handled so that
// the Bus keeps sending. It prints each event and stops after the last one
// the program records.
//
//   observer [LOG-FOLDER]        (default: a fresh temporary folder)

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include <cstdio>
#include <filesystem>

#include "timecontrol/actors/command.hpp"
#include "timecontrol/actors/runtime.hpp"
#include "timecontrol/events/register.hpp"

namespace {

// Prints every event from `from` on; quits after the end of call `last`.
caf::behavior printer(caf::event_based_actor* self, tc::bus_actor bus,
                      tc::seq_t from, uint64_t last) {
  self->request(bus, caf::infinite, tc::attach_atom::value,
                caf::actor_cast<caf::actor>(self),
                tc::replay_query{.from = from})
      .then([](uint64_t) {}, [self](caf::error& err) { self->quit(err); });
  return {
      [=](tc::deliver_atom, uint64_t subscription, tc::envelope& x) {
        std::printf("  seq %-3llu %-10s %s\n",
                    static_cast<unsigned long long>(x.seq), x.source.c_str(),
                    std::string{tc::name_of(x.type())}.c_str());
        // Acknowledge (here: every event) so that the Bus keeps sending.
        self->send(bus, tc::ack_atom::value, subscription, x.seq);
        if (auto* end = std::get_if<tc::call_finished>(&x.body);
            end && end->call_id == last)
          self->quit();
      },
  };
}

int fail(const char* what, const caf::error& err) {
  std::fprintf(stderr, "observer: %s: %s\n", what, tc::render(err).c_str());
  return 1;
}

} // namespace

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  auto folder = argc > 1 ? fs::path{argv[1]}
                         : fs::temp_directory_path() / "timecontrol-observer";
  if (argc <= 1)
    fs::remove_all(folder);
  caf::actor_system_config cfg;
  tc::register_types(cfg);
  caf::actor_system sys{cfg};
  auto rt = tc::runtime::start(sys, {.path = folder.string()});
  if (!rt)
    return fail("cannot start", rt.error());
  auto api = tc::spawn_command(
      **rt,
      {.name = "api", .limiter = "min 1ms", .action = tc::on_throttle::wait},
      tc::sync_operation{
          [](std::string x) -> caf::expected<std::string> { return x; }});
  if (!api)
    return fail("api", api.error());
  // Some history before the observer comes.
  for (auto args : {"a", "b"})
    if (auto answer = tc::call_blocking(sys, *api, args); !answer)
      return fail("call", answer.error());
  // Everything so far is written (the answers mean the admissions are;
  // flush() covers the rest).
  auto flushed = (*rt)->flush();
  if (!flushed)
    return fail("flush", flushed.error());
  tc::seq_t from = 3;
  // It stops after call 3, made while it watches.
  caf::scoped_actor self{sys};
  auto watcher = sys.spawn(printer, (*rt)->bus(), from, uint64_t{3});
  self->monitor(watcher);
  std::printf("the observer starts at seq %llu of %llu:\n",
              static_cast<unsigned long long>(from),
              static_cast<unsigned long long>(*flushed));
  if (auto answer = tc::call_blocking(sys, *api, "c"); !answer)
    return fail("call", answer.error());
  self->receive([](caf::down_msg&) {});
  if (auto err = (*rt)->shutdown())
    return fail("shutdown", err);
  return 0;
}
