// `timecontrol repair PATH`: salvages a damaged log (tc::repair_log): keeps
// what is readable, prints what was damaged, what is lost and which
// numbers are skipped, records a log_repaired event, and numbers on past
// every sequence number the log may have handed out. Exit codes: 0
// repaired (the report on standard output), 1 nothing to repair (the log
// is sound and was not changed), 3 the log cannot be opened (missing,
// locked by a writer, not a log, not writable, newer format), 4 the repair
// failed and the log stays damaged (or an I/O error; run it again).

#include <CLI/CLI.hpp>

#include <string>

#include "timecontrol/storage/repair.hpp"
#include "timecontrol/tools/commands.hpp"
#include "timecontrol/tools/reading.hpp"

namespace tc::tool {

namespace {

struct repair_options {
  std::string path;
};

uint64_t count(const std::vector<seq_range>& ranges) {
  uint64_t n = 0;
  for (auto& r : ranges)
    n += r.last - r.first + 1;
  return n;
}

std::string seqs(const std::vector<seq_range>& ranges) {
  std::string result;
  for (auto& r : ranges)
    result += (result.empty() ? "seq " : ", ") + std::to_string(r.first) +
              (r.last == r.first ? "" : ".." + std::to_string(r.last));
  return result;
}

int run_repair(const repair_options& opt) {
  auto report = repair_log(opt.path);
  if (!report) {
    complain("repair", render(report.error()));
    auto& err = report.error();
    return is(err, errc::corrupt_record) || is(err, errc::storage_failure)
               ? exit_data_error
               : exit_open_failed;
  }
  line_writer out{stdout};
  if (!report->repaired) {
    out.line("nothing to repair: " + opt.path +
             " is sound (verify finds no problem); nothing was changed");
    if (!out.flush()) {
      complain("repair", "writing to standard output failed");
      return exit_data_error;
    }
    return exit_nothing_to_repair;
  }
  out.line("repaired " + opt.path);
  out.line("damage:");
  for (auto& line : report->damage)
    out.line("  " + line);
  auto lost = count(report->lost);
  out.line("lost: " + (lost == 0
                           ? std::string{"none"}
                           : seqs(report->lost) + " (" + std::to_string(lost) +
                                 (lost == 1 ? " event)" : " events)")));
  out.line(
      "skipped (may have been handed out; no event has them, none "
      "ever will): " +
      (report->skipped.empty() ? std::string{"none"} : seqs(report->skipped)));
  out.line("kept: " + std::to_string(report->kept) + " events (" +
           std::to_string(report->salvaged) +
           " of them put back from files RocksDB's repair dropped)");
  if (!report->dropped_snapshots.empty()) {
    std::string names;
    for (auto& name : report->dropped_snapshots)
      names += (names.empty() ? "" : ", ") + name;
    out.line("dropped snapshots (rebuilt from the events): " + names);
  }
  out.line("recorded: log_repaired at seq " +
           std::to_string(report->repaired_at) + "; the log goes on from seq " +
           std::to_string(report->repaired_at + 1));
  out.line("the damaged log's files are kept in " + report->kept_files);
  if (!out.flush()) {
    complain("repair", "writing to standard output failed");
    return exit_data_error;
  }
  return exit_ok;
}

} // namespace

void add_repair(CLI::App& app, int& result) {
  auto opt = std::make_shared<repair_options>();
  auto* cmd = app.add_subcommand(
      "repair", "Salvage a damaged log: keep what is readable, report what "
                "is lost, record the repair, never reuse a sequence number; "
                "exit code 0 repaired, 1 nothing to repair, 3 cannot open, "
                "4 failed");
  cmd->add_option("PATH", opt->path, "Folder of the log")->required();
  cmd->callback([opt, &result] { result = run_repair(*opt); });
}

} // namespace tc::tool
