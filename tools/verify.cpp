// `timecontrol verify PATH`: checks the log (every record decodes, no
// sequence gaps, indexes consistent), prints each problem with its sequence
// number and a summary; exit code 0 if clean, 4 if not.

#include <CLI/CLI.hpp>

#include <string>

#include "timecontrol/tools/commands.hpp"
#include "timecontrol/tools/reading.hpp"

namespace tc::tool {

namespace {

int run_verify(const std::string& path) {
  auto store = open_for_reading("verify", path);
  if (!store)
    return exit_open_failed;
  line_writer out{stdout};
  auto problems = store->verify([&](seq_t seq, const caf::error& err) {
    out.line((seq == 0 ? std::string{"log"} : "seq " + std::to_string(seq)) +
             ": " + render(err));
  });
  if (!problems) {
    out.flush();
    complain("verify", render(problems.error()));
    return exit_data_error;
  }
  auto events = store->last_seq();
  out.line(std::to_string(*problems) +
           (*problems == 1 ? " problem in " : " problems in ") +
           std::to_string(events) + (events == 1 ? " event" : " events"));
  if (!out.flush()) {
    complain("verify", "writing to standard output failed");
    return exit_data_error;
  }
  return *problems == 0 ? exit_ok : exit_data_error;
}

} // namespace

void add_verify(CLI::App& app, int& result) {
  auto path = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand(
      "verify", "Check a log: every record decodes, no sequence gaps, "
                "indexes consistent; exit code 0 if clean, 4 if not");
  cmd->add_option("PATH", *path, "Folder of the log")->required();
  cmd->callback([path, &result] { result = run_verify(*path); });
}

} // namespace tc::tool
