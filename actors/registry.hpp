// The commands of a runtime by name, so that the Scheduler and Controllers
// can call a command they only know the name of. Thread-safe.

#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <caf/actor.hpp>

namespace tc {

class command_registry {
public:
  /// Registers `command` under `name`; false if the name is taken by a
  /// command that is still registered.
  bool add(const std::string& name, caf::actor command) {
    std::vector<std::function<void(const std::string&)>> listeners;
    {
      std::lock_guard guard{mutex_};
      if (!commands_.emplace(name, std::move(command)).second)
        return false;
      listeners = listeners_;
    }
    for (auto& f : listeners)
      f(name);
    return true;
  }

  /// Calls `f(name)` after each successful add() from now on (from the
  /// adding thread; `f` must be quick and thread-safe: the Scheduler sends
  /// itself a message).
  void on_add(std::function<void(const std::string&)> f) {
    std::lock_guard guard{mutex_};
    listeners_.push_back(std::move(f));
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

  /// The names of the registered commands, sorted.
  std::vector<std::string> names() const {
    std::lock_guard guard{mutex_};
    std::vector<std::string> result;
    result.reserve(commands_.size());
    for (auto& entry : commands_)
      result.push_back(entry.first);
    return result;
  }

private:
  mutable std::mutex mutex_;
  std::map<std::string, caf::actor> commands_;
  std::vector<std::function<void(const std::string&)>> listeners_;
};

} // namespace tc
