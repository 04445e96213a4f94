// `timecontrol watch pause PATH --controller NAME --command CMD` and
// `timecontrol watch resume ...`: pauses (or resumes) a Controller's watch of
// a command in a log no process holds, by appending the record the
// Controller itself writes for (pause_atom, CMD): policy_changed
// "pause CMD" (or "resume CMD") from source NAME, stamped with the system
// clock. The Controller reads it when it starts (actors/controller.hpp).
//
// It rebuilds the watch as the Controller would (its watch, unwatch, pause
// and resume records, and the command's calls: a call at or after a pause
// resumes it) to tell whether there is something to do. Exit codes: 0
// recorded, or nothing to do (paused already, or not paused: nothing is
// recorded, and it says so); 2 the controller does not watch that command
// in this log (or bad flags); 3 the log cannot be opened (missing, locked by
// a running process, not a log, permissions, newer format); 4 the log is
// damaged or the append failed.

#include <CLI/CLI.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "timecontrol/events/event.hpp"
#include "timecontrol/policies/deadline.hpp"
#include "timecontrol/policies/watch_spec.hpp"
#include "timecontrol/tools/commands.hpp"
#include "timecontrol/tools/reading.hpp"

namespace tc::tool {

namespace {

struct watch_options {
  std::string path;
  std::string controller;
  std::string command;
};

// The watch of one command, rebuilt from the log.
struct rebuilt {
  std::optional<watch> config;
  std::optional<deadline> policy;

  void apply_own(const envelope& x, const std::string& command) {
    auto* changed = std::get_if<policy_changed>(&x.body);
    if (changed == nullptr)
      return;
    watch w;
    if (parse_watch_spec(changed->policy, w)) {
      if (w.command != command)
        return;
      // Only whether it is paused counts here, and that does not depend on
      // the period: a cron watch (period 0) is rebuilt as a period one.
      if (policy)
        policy->reconfigure(w.period, w.grace, x.time);
      else
        policy.emplace(w.period, w.grace, x.time, true);
      config = w;
    } else if (parse_unwatch_spec(changed->policy) == command) {
      config.reset();
      policy.reset();
    } else if (policy && parse_pause_spec(changed->policy) == command) {
      policy->paused(x.time);
    } else if (policy && parse_resume_spec(changed->policy) == command) {
      policy->resumed(x.time);
    }
  }

  void apply_call(const envelope& x) {
    if (!policy)
      return;
    if (auto* admitted = std::get_if<call_admitted>(&x.body))
      policy->started(admitted->call_id, x.time);
    else if (auto* started = std::get_if<call_started>(&x.body))
      policy->started(started->call_id, x.time);
    else if (auto* finished = std::get_if<call_finished>(&x.body))
      policy->finished(finished->call_id, x.time,
                       finished->ok || config->count_failures);
  }
};

int run_watch(const watch_options& opt, bool pause) {
  std::string name = pause ? "watch pause" : "watch resume";
  auto store = open_for_writing(name, opt.path);
  if (!store)
    return open_failure_exit_code();
  // The controller's records are few: read them first, then merge them by
  // seq into the command's calls.
  std::vector<envelope> own;
  auto keep = [&](const envelope& x) {
    own.push_back(x);
    return true;
  };
  if (auto err = store->replay({.source = opt.controller}, keep)) {
    complain(name, render(err));
    return exit_data_error;
  }
  rebuilt state;
  size_t next_own = 0;
  auto apply = [&](const envelope& x) {
    while (next_own < own.size() && own[next_own].seq < x.seq)
      state.apply_own(own[next_own++], opt.command);
    state.apply_call(x);
    return true;
  };
  if (opt.command != opt.controller) {
    if (auto err = store->replay({.source = opt.command}, apply)) {
      complain(name, render(err));
      return exit_data_error;
    }
  }
  while (next_own < own.size())
    state.apply_own(own[next_own++], opt.command);
  if (!state.policy) {
    complain(name, "controller '" + opt.controller + "' does not watch '" +
                       opt.command + "' in " + opt.path);
    return exit_usage;
  }
  line_writer out{stdout};
  if (state.policy->is_paused() == pause) {
    out.line("'" + opt.command + "' is " +
             (pause ? "paused already" : "not paused") + " (controller '" +
             opt.controller + "'); nothing recorded");
    return out.flush() ? exit_ok : exit_data_error;
  }
  auto now =
      std::chrono::time_point_cast<duration>(std::chrono::system_clock::now());
  envelope x{0, now, opt.controller,
             policy_changed{(pause ? "pause " : "resume ") + opt.command}};
  auto seq = store->append(x);
  if (!seq) {
    complain(name, render(seq.error()));
    return exit_data_error;
  }
  out.line("recorded at seq " + std::to_string(*seq) + ": " + opt.controller +
           " policy_changed policy=\"" +
           std::get<policy_changed>(x.body).policy +
           "\"; the controller reads it when it starts");
  return out.flush() ? exit_ok : exit_data_error;
}

} // namespace

void add_watch(CLI::App& app, int& result) {
  auto* watch_cmd = app.add_subcommand(
      "watch", "Change a Controller's watch in a log no process holds");
  watch_cmd->require_subcommand(1);
  for (bool pause : {true, false}) {
    auto opt = std::make_shared<watch_options>();
    auto* cmd = watch_cmd->add_subcommand(
        pause ? "pause" : "resume",
        pause ? "Pause the watch of a command: records policy_changed "
                "\"pause CMD\" from the controller; exit code 0 recorded or "
                "nothing to do, 2 not watched, 3 cannot open (locked), 4 "
                "failed"
              : "Resume a paused watch: records policy_changed \"resume "
                "CMD\"; it is measured from now; exit codes as pause");
    cmd->add_option("PATH", opt->path, "Folder of the log")->required();
    cmd->add_option("--controller", opt->controller,
                    "The controller's name (the source of its events)")
        ->required();
    cmd->add_option("--command", opt->command, "The watched command")
        ->required();
    cmd->callback([opt, pause, &result] { result = run_watch(*opt, pause); });
  }
}

} // namespace tc::tool
