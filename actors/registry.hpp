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
  /// A registered command and its kind.
  struct entry {
    caf::actor command;
    /// In front of an actor (it takes (call_with_atom, ...) and forwards
    /// any other message), rather than around a callable (it takes
    /// (call_atom, args) shapes): actors/command.hpp.
    bool proxy = false;
  };

  /// Registers `command` under `name`; false if the name is taken by a
  /// command that is still registered.
  bool add(const std::string& name, caf::actor command, bool proxy = false) {
    std::vector<std::function<void(const std::string&)>> listeners;
    {
      std::lock_guard guard{mutex_};
      if (!commands_.emplace(name, entry{std::move(command), proxy}).second)
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
        i != commands_.end() && i->second.command == command)
      commands_.erase(i);
  }

  /// The command named `name`, or an invalid handle.
  caf::actor find(const std::string& name) const {
    std::lock_guard guard{mutex_};
    auto i = commands_.find(name);
    return i != commands_.end() ? i->second.command : caf::actor{};
  }

  /// The command named `name` with its kind (an invalid handle if none).
  entry lookup(const std::string& name) const {
    std::lock_guard guard{mutex_};
    auto i = commands_.find(name);
    return i != commands_.end() ? i->second : entry{};
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
  std::map<std::string, entry> commands_;
  std::vector<std::function<void(const std::string&)>> listeners_;
};

} // namespace tc
