// `timecontrol verify PATH`: checks the log (every record decodes, no
// sequence gaps, indexes consistent, every table file's blocks, the
// write-ahead log, the marker, lease and options files), prints each problem
// with its sequence number and a summary; exit code 0 if clean, 3 if it
// cannot be opened (missing, not a log, permissions) or holds a record only
// a newer build reads (a snapshot: listed, not checked), 4 if damaged. A
// log too damaged to open is examined file by file (event_store::diagnose)
// and each damaged file listed. Sequence numbers a repair declared lost are
// listed apart, as repaired losses; they are not problems. A long check
// shows a progress line on a terminal (progress.hpp) unless --no-progress.
//
// --format json prints one object instead (conventions in json.hpp):
//   {"path": "...", "opens": true, "events": 161, "last_seq": 161,
//    "losses": [{"first": 67, "last": 68, "kind": "lost", "repaired_at": 164}],
//    "problems": [{"seq": 3, "message": "corrupt_record: seq 3: ..."}],
//    "problem_count": 1}
// "kind" is "unclean_stop" (reserved before an unclean stop), "lost" or
// "skipped" (by a repair); "seq" is null for a problem of the log as a whole;
// "events" and "last_seq" are null for a log that does not open. The exit
// codes are the text form's.

#include <CLI/CLI.hpp>

#include <algorithm>
#include <optional>
#include <string>

#include "timecontrol/text/json.hpp"
#include "timecontrol/tools/commands.hpp"
#include "timecontrol/tools/progress.hpp"
#include "timecontrol/tools/reading.hpp"

namespace tc::tool {

namespace {

struct verify_options {
  std::string path;
  bool no_progress = false;
  std::string format = "text";
};

// The JSON form's problems and summary, collected as the check goes.
struct json_report {
  json problems = json::array();

  void add(seq_t seq, const caf::error& err) {
    problems.push_back({{"seq", seq == 0 ? json(nullptr) : json(seq)},
                        {"message", render(err)}});
  }

  // Prints the document; false if standard output failed.
  bool print(const verify_options& opt, const event_store* store) {
    json doc;
    doc["path"] = opt.path;
    doc["opens"] = store != nullptr;
    doc["events"] = store ? json(events_in(*store)) : json(nullptr);
    doc["last_seq"] = store ? json(store->last_seq()) : json(nullptr);
    json losses = json::array();
    if (store)
      for (auto& loss : store->losses())
        losses.push_back(
            {{"first", loss.first},
             {"last", loss.last},
             {"kind", loss.repaired_at == 0 ? "unclean_stop"
                      : loss.stored         ? "lost"
                                            : "skipped"},
             {"repaired_at",
              loss.repaired_at == 0 ? json(nullptr) : json(loss.repaired_at)}});
    doc["losses"] = std::move(losses);
    doc["problem_count"] = problems.size();
    doc["problems"] = problems;
    auto text = dump_json(doc) + "\n";
    return std::fwrite(text.data(), 1, text.size(), stdout) == text.size() &&
           std::fflush(stdout) == 0;
  }
};

std::string seqs_text(seq_t first, seq_t last) {
  if (first == last)
    return "seq " + std::to_string(first);
  return "seq " + std::to_string(first) + ".." + std::to_string(last);
}

std::string problem_line(seq_t seq, const caf::error& err) {
  return (seq == 0 ? std::string{"log"} : "seq " + std::to_string(seq)) + ": " +
         render(err);
}

// A log that does not open because it is damaged: what is damaged.
int diagnose(const verify_options& opt, const caf::error& why) {
  line_writer out{stdout};
  json_report report;
  bool as_json = opt.format == "json";
  auto problems =
      event_store::diagnose(opt.path, [&](seq_t seq, const caf::error& err) {
        if (as_json)
          report.add(seq, err);
        else
          out.line(problem_line(seq, err));
      });
  if (!problems) {
    out.flush();
    complain("verify", render(problems.error()));
    return exit_data_error;
  }
  if (*problems == 0) {
    // What refused the log, then.
    if (as_json)
      report.add(0, why);
    else
      out.line(problem_line(0, why));
    *problems = 1;
  }
  if (as_json) {
    if (!report.print(opt, nullptr))
      complain("verify", "writing to standard output failed");
    return exit_data_error;
  }
  out.line(std::to_string(*problems) +
           (*problems == 1 ? " problem" : " problems") +
           "; the log does not open (timecontrol repair " + opt.path +
           " salvages what is readable)");
  if (!out.flush())
    complain("verify", "writing to standard output failed");
  return exit_data_error;
}

int run_verify(const verify_options& opt) {
  auto opened = event_store::open(
      opt.path, {.create_if_missing = false, .read_only = true});
  if (!opened) {
    if (is(opened.error(), errc::corrupt_record))
      return diagnose(opt, opened.error());
    complain("verify", render(opened.error()));
    return exit_code_of_open_error(opened.error());
  }
  auto store = std::move(*opened);
  line_writer out{stdout};
  json_report report;
  bool as_json = opt.format == "json";
  for (auto& loss : as_json ? std::vector<repaired_loss>{} : store->losses())
    out.line(seqs_text(loss.first, loss.last) +
             (loss.repaired_at == 0
                  ? std::string{": reserved before an unclean stop (a writer "
                                "stopped without closing the log), never "
                                "events; not a problem"}
                  : (loss.stored ? ": lost (repaired at seq "
                                 : ": skipped by a repair, never events "
                                   "(repaired at seq ") +
                        std::to_string(loss.repaired_at) + "); not a problem"));
  // The total is only known with the first report: the store's work units.
  std::optional<progress> bar;
  // Problems that are not damage: records only a newer build reads.
  size_t newer = 0;
  auto problems = store->verify(
      [&](seq_t seq, const caf::error& err) {
        if (bar)
          bar->clear(); // the output may share its terminal
        if (is(err, errc::newer_format))
          ++newer;
        if (as_json)
          report.add(seq, err);
        else
          out.line(problem_line(seq, err));
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
  if (as_json) {
    if (!report.print(opt, store.get())) {
      complain("verify", "writing to standard output failed");
      return exit_data_error;
    }
  } else {
    out.line(std::to_string(*problems) +
             (*problems == 1 ? " problem in " : " problems in ") +
             events_text(*store));
  }
  if (!out.flush()) {
    complain("verify", "writing to standard output failed");
    return exit_data_error;
  }
  if (*problems == 0)
    return exit_ok;
  return *problems == newer ? exit_open_failed : exit_data_error;
}

} // namespace

void add_verify(CLI::App& app, int& result) {
  auto opt = std::make_shared<verify_options>();
  auto* cmd = app.add_subcommand(
      "verify", "Check a log: every record decodes, no sequence gaps, "
                "indexes consistent; exit code 0 if clean, 3 if it cannot "
                "be opened (missing, not a log, permissions) or holds a "
                "snapshot only a newer build reads, 4 if it is damaged");
  cmd->add_option("PATH", opt->path, "Folder of the log")->required();
  cmd->add_flag("--no-progress", opt->no_progress,
                "No progress line on standard error");
  cmd->add_option("--format", opt->format,
                  "text or json (one object: the losses and the problems)")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->callback([opt, &result] { result = run_verify(*opt); });
}

} // namespace tc::tool
