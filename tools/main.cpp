// timecontrol: the command-line program over timecontrol logs.

#include <CLI/CLI.hpp>

#include <caf/config.hpp>
#include <rocksdb/version.h>

#include <string>

#include "timecontrol/tools/commands.hpp"
#include "timecontrol/version.hpp"

int main(int argc, char** argv) {
  auto version = std::string{"timecontrol "} + tc::version +
                 " (built with CAF " + std::to_string(CAF_MAJOR_VERSION) + "." +
                 std::to_string(CAF_MINOR_VERSION) + "." +
                 std::to_string(CAF_PATCH_VERSION) + ", RocksDB " +
                 std::to_string(ROCKSDB_MAJOR) + "." +
                 std::to_string(ROCKSDB_MINOR) + "." +
                 std::to_string(ROCKSDB_PATCH) + ")";
  CLI::App app{"timecontrol " + std::string{tc::version} +
                   ": control over when code runs; replay and analyse its "
                   "event logs",
               "timecontrol"};
  app.set_version_flag("-V,--version", version, "Print the version and exit");
  app.footer("Exit codes: 0 success, 1 nothing to repair (repair), 2 bad "
             "flags or arguments, 3 the log cannot be opened (missing, "
             "locked, permissions, not a log, newer format) or the --http "
             "address cannot be listened on (demo, serve), 4 the log is "
             "damaged or a write failed, 5 a contract was broken (audit).");
  app.require_subcommand(1);
  int result = tc::tool::exit_ok;
  tc::tool::add_demo(app, result);
  tc::tool::add_replay(app, result);
  tc::tool::add_verify(app, result);
  tc::tool::add_export(app, result);
  tc::tool::add_whatif(app, result);
  tc::tool::add_stats(app, result);
  tc::tool::add_plot(app, result);
  tc::tool::add_schedule(app, result);
  tc::tool::add_repair(app, result);
  tc::tool::add_watch(app, result);
  tc::tool::add_audit(app, result);
  tc::tool::add_explain(app, result);
  tc::tool::add_serve(app, result);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    auto code = app.exit(e);
    return code == 0 ? 0 : tc::tool::exit_usage;
  }
  return result;
}
