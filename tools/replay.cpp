// `timecontrol replay PATH`: prints the log's events, one a line, as text or
// JSON lines, filtered by source, type, sequence and time range.
//
// A record that does not decode stops the replay with exit code 4 and a
// message naming its sequence number; with --skip-corrupt each such record is
// reported and skipped, and the exit code is still 4 at the end.
//
// --follow keeps going after the end of the log: it opens the log as a
// follower (store_options::follow), and every --poll interval catches up with
// the writer and prints the new events that match, each poll's lines flushed
// together. Each poll replays exactly the sequence numbers after the last one
// covered, up to the new end of the log, so no event is printed twice or
// left out. It stops on SIGINT, SIGTERM or SIGHUP (exit 0, output flushed),
// at --to, or after --count events. When the reader of its output goes away
// (SIGPIPE) it removes its temporary folder first, then dies of SIGPIPE like
// any other writer to a closed pipe. A catch-up that fails is retried at the
// next polls; after 10 failures in a row the error ends the run (exit 4).
//
// A run that takes longer than half a second shows a progress line on
// standard error when that is a terminal and standard output is not (see
// progress.hpp); --no-progress turns it off. With --follow it covers the
// events already in the log.

#include <CLI/CLI.hpp>

#include <cerrno>
#include <csignal>
#include <limits>
#include <optional>
#include <poll.h>
#include <string>
#include <unistd.h>

#include "timecontrol/policies/spec.hpp"
#include "timecontrol/text/format.hpp"
#include "timecontrol/tools/commands.hpp"
#include "timecontrol/tools/numbers.hpp"
#include "timecontrol/tools/progress.hpp"
#include "timecontrol/tools/reading.hpp"
#include "timecontrol/tools/signals.hpp"

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
  bool follow = false;
  std::string poll = "200ms";
  uint64_t count = 0; // 0: no limit
  bool no_progress = false;
};

class printer : public replay_handler {
public:
  printer(bool jsonl, bool skip, std::optional<time_point> since,
          std::optional<time_point> until, uint64_t count)
      : jsonl_(jsonl), skip_(skip), since_(since), until_(until),
        count_(count) {}

  bool event(const envelope& x) override {
    if (bar_)
      bar_->update(x.seq - first_ + 1);
    if (interrupted)
      return false;
    if ((since_ && x.time < *since_) || (until_ && x.time > *until_))
      return true;
    out_.line(jsonl_ ? format_json(x) : format_text(x));
    return ++printed_ != count_;
  }

  on_corrupt corrupt(seq_t seq, const caf::error& err) override {
    ++corrupt_;
    if (!skip_)
      return on_corrupt::stop;
    out_.flush();
    if (bar_)
      bar_->clear();
    complain("replay",
             "seq " + std::to_string(seq) + " skipped: " + render(err));
    return on_corrupt::skip;
  }

  size_t corrupt_records() const { return corrupt_; }

  /// Whether --count events were printed.
  bool counted_out() const { return count_ != 0 && printed_ >= count_; }

  /// Shows the replay of seqs from `first` on `bar` (null: no more).
  void show_progress(progress* bar, seq_t first) {
    bar_ = bar;
    first_ = first;
  }

  bool flush() { return out_.flush(); }

private:
  bool jsonl_;
  bool skip_;
  std::optional<time_point> since_;
  std::optional<time_point> until_;
  uint64_t count_;
  uint64_t printed_ = 0;
  size_t corrupt_ = 0;
  progress* bar_ = nullptr;
  seq_t first_ = 1;
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
  // An inverted range of sequence numbers is refused as an inverted window
  // of time is.
  if (opt.to < opt.from) {
    complain("replay", "--to is before --from (" + std::to_string(opt.to) +
                           " < " + std::to_string(opt.from) + ")");
    return exit_usage;
  }
  auto window = read_time_window("replay", "--since", opt.since, opt.until);
  if (!window)
    return exit_usage;
  auto [since, until] = *window;
  duration poll_every{0};
  if (opt.follow) {
    auto every = parse_duration(opt.poll);
    if (!every || every.value() > std::chrono::hours{1}) {
      complain("replay", "--poll: '" + opt.poll +
                             "' is not a duration from 1ns to 1h: use e.g. "
                             "200ms or 1s");
      return exit_usage;
    }
    poll_every = every.value();
  }
  // The handlers go in before the follower makes its temporary folder, so
  // that a signal during the open (which can take seconds) removes it too.
  if (opt.follow && !catch_stop_signals(true)) {
    complain("replay", "cannot catch SIGINT and SIGTERM");
    return exit_data_error;
  }
  auto store = opt.follow ? open_for_following("replay", opt.path)
                          : open_for_reading("replay", opt.path);
  if (!store)
    return open_failure_exit_code();
  if (interrupted)
    return exit_ok;
  printer p{opt.format == "jsonl", opt.skip_corrupt, since, until, opt.count};
  caf::error err;
  {
    // The first round: what the log holds now, with a progress line.
    auto last = std::min(query.to, store->last_seq());
    auto from = std::max<seq_t>(query.from, 1);
    progress bar{"replay", "events", last >= from ? last - from + 1 : 0,
                 !opt.no_progress && ::isatty(STDOUT_FILENO) != 1};
    p.show_progress(&bar, from);
    query.to = last;
    err = store->replay(query, p);
    bar.finish();
    p.show_progress(nullptr, from);
    query.from = std::max(from, last + 1);
  }
  // Then, following, each poll: the seqs after the last one covered.
  int failed_refreshes = 0;
  while (opt.follow && !err && !interrupted && !p.counted_out() &&
         query.from <= opt.to) {
    if (!p.flush() || !wait_unless_stopped(poll_every))
      break;
    auto last = store->refresh();
    if (!last) {
      if (++failed_refreshes < 10)
        continue;
      err = std::move(last.error());
      break;
    }
    failed_refreshes = 0;
    if (*last < query.from)
      continue;
    query.to = std::min(opt.to, *last);
    err = store->replay(query, p);
    query.from = query.to + 1;
  }
  bool written = p.flush();
  if (output_closed) {
    store.reset(); // removes the follower's folder
    std::signal(SIGPIPE, SIG_DFL);
    std::raise(SIGPIPE);
  }
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
                  "Only events of this type (e.g. call_admitted)");
  constexpr auto most = std::numeric_limits<uint64_t>::max();
  add_number_option(*cmd, "--from", opt->from, "First sequence number", 0,
                    most);
  add_number_option(*cmd, "--to", opt->to, "Last sequence number (inclusive)",
                    0, most);
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
  auto* follow = cmd->add_flag(
      "-f,--follow", opt->follow,
      "After the end of the log, wait for new events and print them as they "
      "are appended, until SIGINT/SIGTERM, --to or --count");
  cmd->add_option("--poll", opt->poll,
                  "With --follow: how often to look for new events")
      ->needs(follow)
      ->capture_default_str();
  add_number_option(*cmd, "--count", opt->count,
                    "Stop after printing N events (with --follow: wait for "
                    "them)",
                    1, most);
  cmd->add_flag("--no-progress", opt->no_progress,
                "No progress line on standard error");
  cmd->callback([opt, &result] { result = run_replay(*opt); });
}

} // namespace tc::tool
