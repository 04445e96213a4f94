// `timecontrol replay PATH`: prints the log's events, one a line, as text or
// JSON lines, filtered by source, type, sequence and time range.
//
// A record that does not decode stops the replay with exit code 4 and a
// message naming its sequence number; with --skip-corrupt each such record is
// reported and skipped, and the exit code is still 4 at the end.
// (--follow, printing events as another process appends them, is not here
// yet.)

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "timecontrol/tools/commands.hpp"
#include "timecontrol/tools/format.hpp"
#include "timecontrol/tools/reading.hpp"

namespace tc::tool {

namespace {

struct replay_options {
  std::string path;
  std::string source;
  std::string type;
  seq_t from = 1;
  seq_t to = std::numeric_limits<seq_t>::max();
  std::string since;
  std::string until;
  std::string format = "text";
  bool skip_corrupt = false;
};

class printer : public replay_handler {
public:
  printer(bool jsonl, bool skip, std::optional<time_point> since,
          std::optional<time_point> until)
      : jsonl_(jsonl), skip_(skip), since_(since), until_(until) {}

  bool event(const envelope& x) override {
    if ((since_ && x.time < *since_) || (until_ && x.time > *until_))
      return true;
    out_.line(jsonl_ ? format_json(x) : format_text(x));
    return true;
  }

  on_corrupt corrupt(seq_t seq, const caf::error& err) override {
    ++corrupt_;
    if (!skip_)
      return on_corrupt::stop;
    out_.flush();
    complain("replay",
             "seq " + std::to_string(seq) + " skipped: " + render(err));
    return on_corrupt::skip;
  }

  size_t corrupt_records() const { return corrupt_; }

  bool flush() { return out_.flush(); }

private:
  bool jsonl_;
  bool skip_;
  std::optional<time_point> since_;
  std::optional<time_point> until_;
  size_t corrupt_ = 0;
  line_writer out_{stdout};
};

std::string known_type_names() {
  std::string names;
  for (uint16_t raw = 0; raw < 1024; ++raw)
    if (is_known_event_type(raw)) {
      if (!names.empty())
        names += ", ";
      names += name_of(static_cast<event_type>(raw));
    }
  return names;
}

int run_replay(const replay_options& opt) {
  replay_query query;
  query.from = opt.from;
  query.to = opt.to;
  if (!opt.source.empty())
    query.source = opt.source;
  if (!opt.type.empty()) {
    auto type = event_type_from_name(opt.type);
    if (!type) {
      complain("replay", "unknown event type '" + opt.type +
                             "'; the types are: " + known_type_names());
      return exit_usage;
    }
    query.type = *type;
  }
  std::optional<time_point> since;
  std::optional<time_point> until;
  for (auto [text, dest, flag] : {std::tuple{&opt.since, &since, "--since"},
                                  std::tuple{&opt.until, &until, "--until"}}) {
    if (text->empty())
      continue;
    *dest = parse_time(*text);
    if (!*dest) {
      complain("replay", std::string{flag} + ": '" + *text +
                             "' is not a time: use ISO 8601 in UTC "
                             "(2026-01-01T00:00:00.5Z) or nanoseconds since "
                             "the epoch");
      return exit_usage;
    }
  }
  auto store = open_for_reading("replay", opt.path);
  if (!store)
    return exit_open_failed;
  printer p{opt.format == "jsonl", opt.skip_corrupt, since, until};
  auto err = store->replay(query, p);
  bool written = p.flush();
  if (err) {
    complain("replay", render(err));
    return exit_data_error;
  }
  if (!written) {
    complain("replay", "writing to standard output failed");
    return exit_data_error;
  }
  if (p.corrupt_records() > 0) {
    complain("replay", std::to_string(p.corrupt_records()) +
                           " corrupt record(s) skipped");
    return exit_data_error;
  }
  return exit_ok;
}

} // namespace

void add_replay(CLI::App& app, int& result) {
  auto opt = std::make_shared<replay_options>();
  auto* cmd = app.add_subcommand(
      "replay", "Print a log's events, one a line, as text or JSON lines");
  cmd->add_option("PATH", opt->path, "Folder of the log")->required();
  cmd->add_option("--source", opt->source, "Only events of this source");
  cmd->add_option("--type", opt->type,
                  "Only events of this type (e.g. call_requested)");
  cmd->add_option("--from", opt->from, "First sequence number");
  cmd->add_option("--to", opt->to, "Last sequence number (inclusive)");
  cmd->add_option("--since", opt->since,
                  "Only events at or after TIME (ISO 8601 UTC or ns since "
                  "the epoch)");
  cmd->add_option("--until", opt->until,
                  "Only events at or before TIME (ISO 8601 UTC or ns since "
                  "the epoch)");
  cmd->add_option("--format", opt->format, "text or jsonl")
      ->check(CLI::IsMember({"text", "jsonl"}))
      ->capture_default_str();
  cmd->add_flag("--skip-corrupt", opt->skip_corrupt,
                "Report records that do not decode and go on (exit code "
                "still 4)");
  cmd->callback([opt, &result] { result = run_replay(*opt); });
}

} // namespace tc::tool
