// `timecontrol export PATH --format csv|jsonl [-o FILE]`: the whole log for
// other tools. CSV has the header `seq,time_ns,source,type,fields` (fields as
// replay's text form, "k=v k=v") and RFC 4180 quoting, with "\n" line ends;
// JSON lines are replay's --format jsonl. A long export shows a progress
// line on a terminal (progress.hpp) unless --no-progress.

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstring>
#include <string>
#include <unistd.h>

#include "timecontrol/text/format.hpp"
#include "timecontrol/tools/commands.hpp"
#include "timecontrol/tools/progress.hpp"
#include "timecontrol/tools/reading.hpp"

namespace tc::tool {

namespace {

struct export_options {
  std::string path;
  std::string format;
  std::string output;
  bool no_progress = false;
};

int run_export(const export_options& opt) {
  auto store = open_for_reading("export", opt.path);
  if (!store)
    return open_failure_exit_code();
  std::FILE* file = stdout;
  if (!opt.output.empty()) {
    file = std::fopen(opt.output.c_str(), "wb");
    if (file == nullptr) {
      complain("export", opt.output + ": " + std::strerror(errno));
      return exit_data_error;
    }
  }
  bool csv = opt.format == "csv";
  bool written = false;
  caf::error err;
  {
    line_writer out{file};
    if (csv)
      out.line(csv_header());
    auto last = store->last_seq();
    // Not over output that goes to the same terminal.
    progress bar{"export", "events", last,
                 !opt.no_progress && ::isatty(::fileno(file)) != 1};
    err = store->replay({.to = last}, [&](const envelope& x) {
      bar.update(x.seq);
      out.line(csv ? format_csv(x) : format_json(x));
      return true;
    });
    bar.finish();
    written = out.flush();
  }
  if (file != stdout && std::fclose(file) != 0)
    written = false;
  if (err) {
    complain("export", render(err));
    return exit_data_error;
  }
  if (!written) {
    complain("export", "writing " +
                           (opt.output.empty() ? std::string{"standard output"}
                                               : opt.output) +
                           " failed");
    return exit_data_error;
  }
  return exit_ok;
}

} // namespace

void add_export(CLI::App& app, int& result) {
  auto opt = std::make_shared<export_options>();
  auto* cmd = app.add_subcommand(
      "export", "Write a whole log as CSV or JSON lines for other tools");
  cmd->add_option("PATH", opt->path, "Folder of the log")->required();
  cmd->add_option("--format", opt->format, "csv or jsonl")
      ->required()
      ->check(CLI::IsMember({"csv", "jsonl"}));
  cmd->add_option("-o,--output", opt->output,
                  "Write to FILE instead of standard output");
  cmd->add_flag("--no-progress", opt->no_progress,
                "No progress line on standard error");
  cmd->callback([opt, &result] { result = run_export(*opt); });
}

} // namespace tc::tool
