// `timecontrol verify PATH`: checks the log (every record decodes, no
// sequence gaps, indexes consistent), prints each problem with its sequence
// number and a summary; exit code 0 if clean, 4 if not. A long check shows
// a progress line on a terminal (progress.hpp) unless --no-progress.

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "timecontrol/tools/commands.hpp"
#include "timecontrol/tools/progress.hpp"
#include "timecontrol/tools/reading.hpp"

namespace tc::tool {

namespace {

struct verify_options {
  std::string path;
  bool no_progress = false;
};

int run_verify(const verify_options& opt) {
  auto store = open_for_reading("verify", opt.path);
  if (!store)
    return exit_open_failed;
  line_writer out{stdout};
  // The total is only known with the first report: the store's work units.
  std::optional<progress> bar;
  auto problems = store->verify(
      [&](seq_t seq, const caf::error& err) {
        if (bar)
          bar->clear(); // the output may share its terminal
        out.line(
            (seq == 0 ? std::string{"log"} : "seq " + std::to_string(seq)) +
            ": " + render(err));
      },
      [&](uint64_t done, uint64_t total) {
        if (!bar)
          bar.emplace("verify", "checks", total, !opt.no_progress);
        bar->update_now(done);
      });
  if (bar)
    bar->finish();
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
  auto opt = std::make_shared<verify_options>();
  auto* cmd = app.add_subcommand(
      "verify", "Check a log: every record decodes, no sequence gaps, "
                "indexes consistent; exit code 0 if clean, 4 if not");
  cmd->add_option("PATH", opt->path, "Folder of the log")->required();
  cmd->add_flag("--no-progress", opt->no_progress,
                "No progress line on standard error");
  cmd->callback([opt, &result] { result = run_verify(*opt); });
}

} // namespace tc::tool
