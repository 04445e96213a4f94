// The subcommands of the `timecontrol` program. Each adds itself to the
// command line parser and returns the program's exit code when run.

#pragma once

#include <string>

#include <caf/fwd.hpp>

namespace CLI {
class App;
} // namespace CLI

namespace tc::tool {

/// Exit codes that mean something to scripts.
enum exit_code : int {
  exit_ok = 0,
  /// `repair`: the log was sound; nothing was changed.
  exit_nothing_to_repair = 1,
  /// Bad flags or arguments.
  exit_usage = 2,
  /// The log could not be opened (missing, locked, not a log, permissions,
  /// newer format), or the --http address of demo and serve could not be
  /// listened on.
  exit_open_failed = 3,
  /// The log is damaged, or a write failed.
  exit_data_error = 4,
  /// `audit`: an admission broke the contract.
  exit_contract_broken = 5,
};

void add_demo(CLI::App& app, int& result);
void add_replay(CLI::App& app, int& result);
void add_verify(CLI::App& app, int& result);
void add_export(CLI::App& app, int& result);
void add_whatif(CLI::App& app, int& result);
void add_stats(CLI::App& app, int& result);
void add_plot(CLI::App& app, int& result);
void add_schedule(CLI::App& app, int& result);
void add_repair(CLI::App& app, int& result);
void add_watch(CLI::App& app, int& result);
void add_audit(CLI::App& app, int& result);
void add_explain(CLI::App& app, int& result);
void add_serve(CLI::App& app, int& result);

/// A dashboard's error (http/dashboard.hpp) in the words of the program's
/// flags: "--http 'x': ..." for its listen field, "--insecure" for its
/// insecure one (serve.cpp; demo and serve take --http).
std::string http_flag_error(const caf::error& err);

} // namespace tc::tool
