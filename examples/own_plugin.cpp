// own_plugin: a plugin of your own -- state folded only from events, saved
// and loaded as a snapshot, rebuilt by replay and run live on the Bus.
//
// `busiest` counts the events of each source and knows the busiest one.
// The program records some calls, rebuilds the plugin from the log, saves
// its snapshot, runs it live (from that snapshot) while more calls come,
// and reads the live state from its actor.
//
//   own_plugin [LOG-FOLDER]      (default: a fresh temporary folder)

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include <cstdio>
#include <filesystem>
#include <map>

#include "timecontrol/actors/command.hpp"
#include "timecontrol/actors/plugin.hpp"
#include "timecontrol/actors/runtime.hpp"
#include "timecontrol/events/register.hpp"
#include "timecontrol/plugins/plugin.hpp"

namespace {

class busiest final : public tc::plugin {
public:
  // The name its snapshot is saved under.
  std::string name() const override { return "example.busiest"; }

  // Its state as bytes: a tag with a format version, then "source count"
  // lines. A real plugin may use any encoding; it must refuse what it did
  // not write.
  std::string save() const override {
    std::string out = "busiest/1\n";
    for (auto& [source, n] : counts_)
      out += source + ' ' + std::to_string(n) + '\n';
    return out;
  }

  [[nodiscard]] caf::error load(std::string_view bytes) override {
    constexpr std::string_view tag = "busiest/1\n";
    if (!bytes.starts_with(tag))
      return tc::make_error(tc::errc::corrupt_record,
                            "busiest: not a snapshot of this plugin");
    std::map<std::string, uint64_t> counts;
    bytes.remove_prefix(tag.size());
    while (!bytes.empty()) {
      auto end = bytes.find('\n');
      auto space = bytes.rfind(' ', end);
      if (end == std::string_view::npos || space == std::string_view::npos)
        return tc::make_error(tc::errc::corrupt_record,
                              "busiest: a truncated line");
      counts[std::string{bytes.substr(0, space)}] =
          std::stoull(std::string{bytes.substr(space + 1, end - space - 1)});
      bytes.remove_prefix(end + 1);
    }
    counts_ = std::move(counts);
    return caf::none;
  }

  std::pair<std::string, uint64_t> top() const {
    std::pair<std::string, uint64_t> best;
    for (auto& [source, n] : counts_)
      if (n > best.second)
        best = {source, n};
    return best;
  }

protected:
  // Folds one event in; no clock, no I/O: replaying gives the same state.
  void apply(const tc::envelope& x) override { ++counts_[x.source]; }

private:
  std::map<std::string, uint64_t> counts_;
};

int fail(const char* what, const caf::error& err) {
  std::fprintf(stderr, "own_plugin: %s: %s\n", what, tc::render(err).c_str());
  return 1;
}

} // namespace

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  auto folder = argc > 1 ? fs::path{argv[1]}
                         : fs::temp_directory_path() / "timecontrol-own-plugin";
  if (argc <= 1)
    fs::remove_all(folder);
  caf::actor_system_config cfg;
  tc::register_types(cfg);
  caf::actor_system sys{cfg};
  auto rt = tc::runtime::start(sys, {.path = folder.string()});
  if (!rt)
    return fail("cannot start", rt.error());
  auto echo = tc::sync_operation{
      [](std::string x) -> caf::expected<std::string> { return x; }};
  auto api = tc::spawn_command(**rt, {.name = "api"}, echo);
  auto db = tc::spawn_command(**rt, {.name = "db"}, echo);
  if (!api || !db)
    return fail("spawn", api ? db.error() : api.error());
  for (int i = 0; i < 5; ++i)
    if (!tc::call_blocking(sys, *api, "x"))
      return 1;
  if (auto last = (*rt)->flush(); !last)
    return fail("flush", last.error());

  // Rebuilt by replay, and saved.
  busiest offline;
  if (auto err = tc::rebuild((*rt)->store(), offline))
    return fail("rebuild", err);
  std::printf("rebuilt from the log up to seq %llu: busiest is %s (%llu "
              "events)\n",
              static_cast<unsigned long long>(offline.covered()),
              offline.top().first.c_str(),
              static_cast<unsigned long long>(offline.top().second));

  // Live: starts from the snapshot it saves now and then, follows the Bus.
  auto live = tc::spawn_plugin(**rt, std::make_shared<busiest>(),
                               {.snapshot_every = 10});
  if (!live)
    return fail("spawn_plugin", live.error());
  for (int i = 0; i < 8; ++i)
    if (!tc::call_blocking(sys, *db, "y"))
      return 1;
  auto last = (*rt)->flush();
  if (!last)
    return fail("flush", last.error());
  // Ask the live plugin until it has seen everything written so far.
  caf::scoped_actor self{sys};
  busiest seen;
  while (seen.covered() < *last) {
    caf::error err;
    self->request(*live, caf::infinite, tc::status_atom::value)
        .receive(
            [&](tc::seq_t covered, std::string& bytes) {
              err = seen.load(bytes);
              seen.covered(covered);
            },
            [&](caf::error& x) { err = x; });
    if (err)
      return fail("read", err);
  }
  std::printf("live, up to seq %llu: busiest is %s (%llu events)\n",
              static_cast<unsigned long long>(seen.covered()),
              seen.top().first.c_str(),
              static_cast<unsigned long long>(seen.top().second));
  if (auto err = (*rt)->shutdown())
    return fail("shutdown", err);
  return 0;
}
