// `timecontrol schedule PATH`: what will run when. Rebuilds a Scheduler's
// schedule view (plugins/schedule_view.hpp) from the log -- from its
// snapshot if the log holds one, then the events after it -- and prints the
// upcoming runs, then the pending intents:
//
//   schedule of "scheduler" in a log of 19 events; its last event at ...
//
//   upcoming runs (first 20)
//   time (UTC)                      intent  target  priority  trigger
//   2026-01-01T00:00:04.000000000Z  1       poller  0         every 1s from ...
//   ...
//
//   pending intents: 3
//   id  target  priority  fired  last fired  next  misfire  trigger  args
//   1   poller  0         3      2026-...    ...   ...      every 1s  "fast"
//
// Upcoming runs start at each intent's next due time (or --from) and expand
// repeating triggers, in the Scheduler's order (time, then higher priority,
// then lower id), up to --until and at most --limit of them. The view has no
// clock: a next due time before the log's last event was missed (the
// Scheduler was stopped or busy), and the Scheduler applies the intent's
// misfire rule when it gets to it. Times inside triggers are shown in ISO
// 8601 (the specs stay valid).
//
// --format json prints one object instead (conventions in json.hpp):
//   {"scheduler": "scheduler", "events": 19, "until": "...",
//    "upcoming": [{"time": "...", "intent": 1, "target": "poller",
//                  "priority": 0, "trigger": "every 1s from 17672..."}],
//    "limited": false,
//    "pending": [{"id": 1, "target": "poller", "priority": 0, "fired": 3,
//                 "last_fired": "...", "next": "...", "misfire": "coalesce",
//                 "trigger": "...", "args": "fast"}],
//    "unreadable": [{"id": 4, "reason": "..."}]}
// Triggers are the recorded specs as they are (times in nanoseconds since
// the epoch); "until" and "last_fired" are null when there is none;
// "limited" says --limit cut the upcoming runs.
//
// Exit codes as for the other readers: 2 bad flags, 3 the log cannot be
// opened, 4 a record does not decode (named by its sequence number).

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "timecontrol/plugins/schedule_view.hpp"
#include "timecontrol/text/format.hpp"
#include "timecontrol/text/json.hpp"
#include "timecontrol/tools/commands.hpp"
#include "timecontrol/tools/numbers.hpp"
#include "timecontrol/tools/reading.hpp"

namespace tc::tool {

namespace {

struct schedule_options {
  std::string path;
  std::string scheduler{default_scheduler_name};
  std::string from;
  std::string until;
  size_t limit = 20;
  std::string target;
  std::string format = "text";
};

// Rows of cells, printed with columns padded to their widest cell.
class table {
public:
  explicit table(std::vector<std::string> header) {
    rows_.push_back(std::move(header));
  }

  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }

  void print(line_writer& out) const {
    std::vector<size_t> width;
    for (auto& row : rows_)
      for (size_t i = 0; i < row.size(); ++i) {
        width.resize(std::max(width.size(), row.size()), 0);
        width[i] = std::max(width[i], row[i].size());
      }
    for (auto& row : rows_) {
      std::string line;
      for (size_t i = 0; i < row.size(); ++i) {
        line += row[i];
        if (i + 1 < row.size())
          line.append(width[i] - row[i].size() + 2, ' ');
      }
      out.line(line);
    }
  }

private:
  std::vector<std::vector<std::string>> rows_;
};

// A name or spec as it is, or quoted if it is empty, begins or ends with a
// space, or holds anything but printable ASCII.
std::string cell(std::string_view text) {
  bool plain = !text.empty() && text.front() != ' ' && text.back() != ' ' &&
               std::all_of(text.begin(), text.end(),
                           [](char c) { return c >= ' ' && c < 0x7f; });
  return plain ? std::string{text} : text_quote(text);
}

std::string schedule_json(const schedule_options& opt, const event_store& store,
                          const schedule_view& view,
                          const std::vector<scheduled_run>& runs);
void print_schedule(const schedule_options& opt, const event_store& store,
                    const schedule_view& view,
                    const std::vector<scheduled_run>& runs, line_writer& out);

int run_schedule(const schedule_options& opt) {
  auto window = read_time_window("schedule", "--from", opt.from, opt.until);
  if (!window)
    return exit_usage;
  auto [from, until] = *window;
  if (opt.scheduler.empty()) {
    complain("schedule", "--scheduler: the name is empty");
    return exit_usage;
  }
  auto store = open_for_reading("schedule", opt.path);
  if (!store)
    return open_failure_exit_code();
  schedule_view view{opt.scheduler};
  auto err = rebuild(*store, view);
  if (err && view.covered() == 0) {
    // The snapshot did not load (it is derived data): replay the whole log.
    view = schedule_view{opt.scheduler};
    err = rebuild(*store, view, {.from_snapshot = false});
  }
  if (err) {
    complain("schedule", render(err));
    return exit_data_error;
  }
  auto runs =
      view.upcoming(from.value_or(time_point::min()),
                    until.value_or(time_point::max()), opt.limit, opt.target);
  line_writer out{stdout};
  if (opt.format == "json")
    out.line(schedule_json(opt, *store, view, runs));
  else
    print_schedule(opt, *store, view, runs, out);
  if (!out.flush()) {
    complain("schedule", "writing to standard output failed");
    return exit_data_error;
  }
  return exit_ok;
}

std::string schedule_json(const schedule_options& opt, const event_store& store,
                          const schedule_view& view,
                          const std::vector<scheduled_run>& runs) {
  json doc;
  doc["scheduler"] = opt.scheduler;
  doc["events"] = events_in(store);
  doc["until"] = view.covered() > 0 ? json_time(view.until()) : json(nullptr);
  json upcoming = json::array();
  for (auto& r : runs) {
    auto* p = view.find(r.id);
    upcoming.push_back({{"time", json_time(r.due)},
                        {"intent", r.id},
                        {"target", p->target},
                        {"priority", r.priority},
                        {"trigger", p->trigger_spec}});
  }
  doc["upcoming"] = std::move(upcoming);
  doc["limited"] = runs.size() == opt.limit;
  json pending = json::array();
  for (auto& [id, p] : view.pending()) {
    if (!opt.target.empty() && p.target != opt.target)
      continue;
    pending.push_back(
        {{"id", id},
         {"target", p.target},
         {"priority", p.priority},
         {"fired", p.fired},
         {"last_fired",
          p.last_fired ? json_time(*p.last_fired) : json(nullptr)},
         {"next", json_time(p.next)},
         {"misfire", p.misfire_spec.empty() ? "coalesce" : p.misfire_spec},
         {"trigger", p.trigger_spec},
         {"args", p.args}});
  }
  doc["pending"] = std::move(pending);
  json unreadable = json::array();
  for (auto& [id, reason] : view.unreadable())
    unreadable.push_back({{"id", id}, {"reason", reason}});
  doc["unreadable"] = std::move(unreadable);
  return dump_json(doc);
}

void print_schedule(const schedule_options& opt, const event_store& store,
                    const schedule_view& view,
                    const std::vector<scheduled_run>& runs, line_writer& out) {
  std::string head = "schedule of " + text_quote(opt.scheduler) +
                     " in a log of " + events_text(store);
  if (view.covered() > 0)
    head += "; its last event at " + format_time(view.until());
  else
    head += "; no events of it";
  out.line(head);
  out.line("");
  std::string title = "upcoming runs";
  if (!opt.target.empty())
    title += " of " + text_quote(opt.target);
  if (runs.size() == opt.limit)
    title += " (first " + std::to_string(opt.limit) + ")";
  out.line(title + (runs.empty() ? ": none" : ""));
  if (!runs.empty()) {
    table t{{"time (UTC)", "intent", "target", "priority", "trigger"}};
    for (auto& r : runs) {
      auto* p = view.find(r.id);
      t.add({format_time(r.due), std::to_string(r.id), cell(p->target),
             std::to_string(r.priority), readable_trigger(p->trigger_spec)});
    }
    t.print(out);
  }
  out.line("");
  size_t shown = 0;
  table t{{"id", "target", "priority", "fired", "last fired", "next", "misfire",
           "trigger", "args"}};
  for (auto& [id, p] : view.pending()) {
    if (!opt.target.empty() && p.target != opt.target)
      continue;
    ++shown;
    t.add({std::to_string(id), cell(p.target), std::to_string(p.priority),
           std::to_string(p.fired),
           p.last_fired ? format_time(*p.last_fired) : "-", format_time(p.next),
           cell(p.misfire_spec.empty() ? "coalesce" : p.misfire_spec),
           readable_trigger(p.trigger_spec), text_quote(p.args)});
  }
  out.line("pending intents: " + std::to_string(shown));
  if (shown > 0)
    t.print(out);
  if (!view.unreadable().empty()) {
    out.line("");
    out.line("unreadable intents (specs this version cannot parse): " +
             std::to_string(view.unreadable().size()));
    for (auto& [id, reason] : view.unreadable())
      out.line(std::to_string(id) + ": " + reason);
  }
}

} // namespace

void add_schedule(CLI::App& app, int& result) {
  auto opt = std::make_shared<schedule_options>();
  auto* cmd = app.add_subcommand(
      "schedule", "What will run when: a Scheduler's upcoming runs and "
                  "pending intents, rebuilt from the log");
  cmd->add_option("PATH", opt->path, "Folder of the log")->required();
  cmd->add_option("--until", opt->until,
                  "Only runs at or before TIME (ISO 8601 UTC or ns since "
                  "the epoch)");
  cmd->add_option("--from", opt->from,
                  "Only runs at or after TIME (default: each intent's next "
                  "due time)");
  add_number_option(*cmd, "--limit", opt->limit,
                    "At most this many upcoming runs", 1, 100'000)
      ->capture_default_str();
  cmd->add_option("--target", opt->target, "Only intents for this command");
  cmd->add_option("--scheduler", opt->scheduler,
                  "The Scheduler (the source of its events)")
      ->capture_default_str();
  cmd->add_option("--format", opt->format, "text or json (one object)")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->callback([opt, &result] { result = run_schedule(*opt); });
}

} // namespace tc::tool
