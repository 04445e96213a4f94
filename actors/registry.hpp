// The commands of a runtime by name, so that the Scheduler and Controllers
// can call a command they only know the name of. Thread-safe.

#pragma once

#include <map>
#include <mutex>
#include <string>

#include <caf/actor.hpp>

namespace tc {

class command_registry {
public:
  /// Registers `command` under `name`; false if the name is taken by a
  /// command that is still registered.
  bool add(const std::string& name, caf::actor command) {
    std::lock_guard guard{mutex_};
    return commands_.emplace(name, std::move(command)).second;
  }

  /// Removes `name` if it still names `command`.
  void remove(const std::string& name, const caf::actor& command) {
    std::lock_guard guard{mutex_};
    if (auto i = commands_.find(name);
        i != commands_.end() && i->second == command)
      commands_.erase(i);
  }

  /// The command named `name`, or an invalid handle.
  caf::actor find(const std::string& name) const {
    std::lock_guard guard{mutex_};
    auto i = commands_.find(name);
    return i != commands_.end() ? i->second : caf::actor{};
  }

private:
  mutable std::mutex mutex_;
  std::map<std::string, caf::actor> commands_;
};

} // namespace tc
