// `timecontrol stats PATH`: the stats plugin's tables (plugins/stats.hpp),
// rebuilt by replaying the log.
//
// A snapshot saved by a live stats plugin with the bucket width asked for
// (stats::name()) is used; one that does not load is ignored and the whole
// log replayed.
//
// --format json prints one object instead (conventions in json.hpp):
//   {"events": 319, "last_seq": 319, "until": "...", "bucket_ns": 60000000000,
//    "commands": [{"command": "api", "requested": 132, "admitted": 86,
//                  "queued": 0, "rejected": 46, "dropped": 0, "expired": 0,
//                  "ok": 82, "failed": 4, "timed_out": 0,
//                  "calls_per_second": 6.6,
//                  "durations": {"count": 86, "min_ns": ..., "p50_ns": ...,
//                                "p90_ns": ..., "p99_ns": ..., "max_ns": ...},
//                  "waits": {...}, "intervals": {...},
//                  "rate": {"buckets": 1, "mean": 132, "peak": 132,
//                           "peak_at": "..."},
//                  "series": [{"start": "...", "requests": 132}]}],
//    "deadlines": [{"controller": "watchdog", "command": "market-data",
//                   "misses": 4, "max_late_ns": ..., "late_for_ns": ...,
//                   "down_for_ns": ..., "changes": 8, "status": "down"}]}
// A quantile object is null when it has no values, "calls_per_second" when
// the calls span no time, "max_late_ns" without misses; "series" only with
// --series. Sums past what 64-bit nanoseconds hold are null too (the text
// form's ">106751d").

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>

#include "timecontrol/plugins/stats.hpp"
#include "timecontrol/policies/spec.hpp"
#include "timecontrol/text/format.hpp"
#include "timecontrol/text/json.hpp"
#include "timecontrol/tools/commands.hpp"
#include "timecontrol/tools/progress.hpp"
#include "timecontrol/tools/reading.hpp"

namespace tc::tool {

namespace {

struct stats_options {
  std::string path;
  std::string bucket = "1min";
  std::string source;
  bool series = false;
  bool no_progress = false;
  std::string format = "text";
};

// Calls requested per second from the first request to the last; none if
// they span no time.
std::optional<double> call_rate(const command_stats& c) {
  // Unsigned (last >= first): the first and last request can be further
  // apart than a duration holds (about 292 years).
  auto seconds = static_cast<double>(static_cast<uint64_t>(to_nanos(c.last)) -
                                     static_cast<uint64_t>(to_nanos(c.first))) /
                 1e9;
  if (seconds > 0 && c.requested > 1)
    return static_cast<double>(c.requested - 1) / seconds;
  return std::nullopt;
}

// The rate buckets from the first to the last, those without a call too.
uint64_t buckets_spanned(const stats& s, const command_stats& c) {
  auto first = c.rate.begin()->first;
  auto last_bucket = c.rate.rbegin()->first;
  // Unsigned: from the first bucket to the last can be more than 2^63 ns
  // (only 1ns buckets from 1677 to 2262 would need the 2^64th).
  auto after_first =
      (static_cast<uint64_t>(last_bucket) - static_cast<uint64_t>(first)) /
      static_cast<uint64_t>(s.bucket().count());
  return after_first + (after_first < UINT64_MAX ? 1 : 0);
}

// A duration for people; the largest one (which sums and spans of more than
// about 292 years saturate at) as what it is, a bound.
std::string span(duration d) {
  return d == duration::max() ? ">106751d" : duration_to_text(d);
}

std::string ns(int64_t x) {
  return span(duration{x});
}

void print_tables(const stats& s, const stats_options& opt, seq_t last,
                  line_writer& out) {
  char buf[512];
  auto wanted = [&](const std::string& name) {
    return opt.source.empty() || opt.source == name;
  };
  std::snprintf(buf, sizeof buf, "%llu events, seq 1..%llu, until %s",
                static_cast<unsigned long long>(s.events()),
                static_cast<unsigned long long>(last),
                s.events() == 0 ? "-" : format_time(s.until()).c_str());
  out.line(buf);
  out.line("");
  out.line("calls");
  std::snprintf(buf, sizeof buf, "  %-20s %9s %9s %8s %8s %8s %9s %8s %9s %9s",
                "command", "requested", "admitted", "queued", "rejected",
                "dropped", "ok", "failed", "timed out", "calls/s");
  out.line(buf);
  for (auto& [name, c] : s.commands()) {
    if (!wanted(name))
      continue;
    std::string rate = "-";
    if (auto r = call_rate(c)) {
      char text[32];
      std::snprintf(text, sizeof text, "%.3g", *r);
      rate = text;
    }
    std::snprintf(buf, sizeof buf,
                  "  %-20s %9llu %9llu %8llu %8llu %8llu %9llu %8llu %9llu "
                  "%9s",
                  name.c_str(), static_cast<unsigned long long>(c.requested),
                  static_cast<unsigned long long>(c.admitted),
                  static_cast<unsigned long long>(c.throttled[0]),
                  static_cast<unsigned long long>(c.throttled[1]),
                  static_cast<unsigned long long>(c.throttled[2]),
                  static_cast<unsigned long long>(c.finished_ok),
                  static_cast<unsigned long long>(c.failed),
                  static_cast<unsigned long long>(c.timed_out), rate.c_str());
    out.line(buf);
  }
  // Calls whose caller's max wait passed before they were admitted (issue
  // 12): a line only for a log that has any.
  std::string expired;
  for (auto& [name, c] : s.commands())
    if (wanted(name) && c.expired > 0)
      expired += " " + name + " " + std::to_string(c.expired);
  if (!expired.empty())
    out.line("  expired (not admitted within the caller's max wait):" +
             expired);
  auto quantiles = [&](const char* title, auto member) {
    out.line("");
    out.line(title);
    std::snprintf(buf, sizeof buf, "  %-20s %9s %9s %9s %9s %9s %9s", "command",
                  "count", "min", "p50", "p90", "p99", "max");
    out.line(buf);
    for (auto& [name, c] : s.commands()) {
      auto& h = c.*member;
      if (!wanted(name) || h.count() == 0)
        continue;
      std::snprintf(buf, sizeof buf, "  %-20s %9llu %9s %9s %9s %9s %9s",
                    name.c_str(), static_cast<unsigned long long>(h.count()),
                    ns(h.min()).c_str(), ns(h.p50()).c_str(),
                    ns(h.p90()).c_str(), ns(h.p99()).c_str(),
                    ns(h.max()).c_str());
      out.line(buf);
    }
  };
  quantiles("durations (call start to end)", &command_stats::durations);
  quantiles("waits (request to admission)", &command_stats::waits);
  quantiles("intervals (between admissions)", &command_stats::intervals);
  out.line("");
  auto bucket = duration_to_string(s.bucket());
  out.line("call rate (requests per " + bucket + ")");
  std::snprintf(buf, sizeof buf, "  %-20s %9s %9s %9s  %s", "command",
                "buckets", "mean", "peak", "peak at");
  out.line(buf);
  for (auto& [name, c] : s.commands()) {
    if (!wanted(name) || c.rate.empty())
      continue;
    auto spanned = buckets_spanned(s, c);
    auto peak =
        std::max_element(c.rate.begin(), c.rate.end(),
                         [](auto& a, auto& b) { return a.second < b.second; });
    std::snprintf(buf, sizeof buf, "  %-20s %9llu %9.3g %9llu  %s",
                  name.c_str(), static_cast<unsigned long long>(spanned),
                  static_cast<double>(c.requested) /
                      static_cast<double>(spanned),
                  static_cast<unsigned long long>(peak->second),
                  format_time(from_nanos(peak->first)).c_str());
    out.line(buf);
  }
  out.line("");
  out.line("deadlines");
  std::snprintf(buf, sizeof buf, "  %-16s %-20s %7s %9s %9s %9s %9s  %s",
                "controller", "command", "misses", "max late", "late for",
                "down for", "changes", "status");
  out.line(buf);
  for (auto& [key, d] : s.deadlines()) {
    if (!wanted(key.second) && !wanted(key.first))
      continue;
    std::snprintf(buf, sizeof buf, "  %-16s %-20s %7llu %9s %9s %9s %9llu  %s",
                  key.first.c_str(), key.second.c_str(),
                  static_cast<unsigned long long>(d.misses),
                  d.misses == 0 ? "-" : ns(d.late_by.max()).c_str(),
                  span(s.late_time(d)).c_str(), span(s.down_time(d)).c_str(),
                  static_cast<unsigned long long>(d.changes),
                  std::string{to_string(d.status)}.c_str());
    out.line(buf);
  }
  if (opt.series) {
    out.line("");
    out.line("series: bucket start, command, requests");
    for (auto& [name, c] : s.commands()) {
      if (!wanted(name))
        continue;
      for (auto [start, n] : c.rate)
        out.line(format_time(from_nanos(start)) + " " + name + " " +
                 std::to_string(n));
    }
  }
}

json quantiles_json(const histogram& h) {
  if (h.count() == 0)
    return nullptr;
  return {{"count", h.count()}, {"min_ns", h.min()}, {"p50_ns", h.p50()},
          {"p90_ns", h.p90()},  {"p99_ns", h.p99()}, {"max_ns", h.max()}};
}

std::string print_json(const stats& s, const stats_options& opt, seq_t last) {
  auto wanted = [&](const std::string& name) {
    return opt.source.empty() || opt.source == name;
  };
  json doc;
  doc["events"] = s.events();
  doc["last_seq"] = last;
  doc["until"] = s.events() == 0 ? json(nullptr) : json_time(s.until());
  doc["bucket_ns"] = s.bucket().count();
  json commands = json::array();
  for (auto& [name, c] : s.commands()) {
    if (!wanted(name))
      continue;
    json x;
    x["command"] = name;
    x["requested"] = c.requested;
    x["admitted"] = c.admitted;
    x["queued"] = c.throttled[0];
    x["rejected"] = c.throttled[1];
    x["dropped"] = c.throttled[2];
    x["expired"] = c.expired;
    x["ok"] = c.finished_ok;
    x["failed"] = c.failed;
    x["timed_out"] = c.timed_out;
    auto rate = call_rate(c);
    x["calls_per_second"] = rate ? json(*rate) : json(nullptr);
    x["durations"] = quantiles_json(c.durations);
    x["waits"] = quantiles_json(c.waits);
    x["intervals"] = quantiles_json(c.intervals);
    if (c.rate.empty()) {
      x["rate"] = nullptr;
    } else {
      auto spanned = buckets_spanned(s, c);
      auto peak =
          std::max_element(c.rate.begin(), c.rate.end(), [](auto& a, auto& b) {
            return a.second < b.second;
          });
      x["rate"] = {{"buckets", spanned},
                   {"mean", static_cast<double>(c.requested) /
                                static_cast<double>(spanned)},
                   {"peak", peak->second},
                   {"peak_at", json_time(from_nanos(peak->first))}};
    }
    if (opt.series) {
      json series = json::array();
      for (auto [start, n] : c.rate)
        series.push_back(
            {{"start", json_time(from_nanos(start))}, {"requests", n}});
      x["series"] = std::move(series);
    }
    commands.push_back(std::move(x));
  }
  doc["commands"] = std::move(commands);
  json deadlines = json::array();
  for (auto& [key, d] : s.deadlines()) {
    if (!wanted(key.second) && !wanted(key.first))
      continue;
    deadlines.push_back(
        {{"controller", key.first},
         {"command", key.second},
         {"misses", d.misses},
         {"max_late_ns", d.misses == 0 ? json(nullptr)
                                       : json_nanos(duration{d.late_by.max()})},
         {"late_for_ns", json_nanos(s.late_time(d))},
         {"down_for_ns", json_nanos(s.down_time(d))},
         {"changes", d.changes},
         {"status", std::string{to_string(d.status)}}});
  }
  doc["deadlines"] = std::move(deadlines);
  return dump_json(doc);
}

int run_stats(const stats_options& opt) {
  auto bucket = parse_duration(opt.bucket);
  if (!bucket) {
    complain_parse("stats", "--bucket", opt.bucket, bucket.error());
    return exit_usage;
  }
  auto store = open_for_reading("stats", opt.path);
  if (!store)
    return open_failure_exit_code();
  auto last = store->last_seq();
  progress bar{"stats", "events", last, !opt.no_progress};
  auto report = [&](seq_t seq) { bar.update_now(seq); };
  stats s{bucket.value()};
  auto err = rebuild(*store, s, {.to = last, .progress = report});
  if (err && s.covered() == 0) {
    // The snapshot did not load (it is derived data): replay the whole log.
    s = stats{bucket.value()};
    err = rebuild(*store, s,
                  {.from_snapshot = false, .to = last, .progress = report});
  }
  bar.finish();
  if (err) {
    complain("stats", render(err));
    return exit_data_error;
  }
  line_writer out{stdout};
  if (opt.format == "json")
    out.line(print_json(s, opt, last));
  else
    print_tables(s, opt, last, out);
  if (!out.flush()) {
    complain("stats", "writing to standard output failed");
    return exit_data_error;
  }
  return exit_ok;
}

} // namespace

void add_stats(CLI::App& app, int& result) {
  auto opt = std::make_shared<stats_options>();
  auto* cmd = app.add_subcommand(
      "stats", "Per command: calls by outcome, durations, waits, intervals "
               "and call rate; per watched command: misses and time late "
               "or down");
  cmd->add_option("PATH", opt->path, "Folder of the log")->required();
  cmd->add_option("--bucket", opt->bucket,
                  "Width of the call-rate buckets, e.g. 1s, 10s, 1min")
      ->capture_default_str();
  cmd->add_option("--source", opt->source, "Only this command (or controller)");
  cmd->add_flag("--series", opt->series,
                "Also print the requests of every bucket");
  cmd->add_flag("--no-progress", opt->no_progress,
                "No progress line on standard error");
  cmd->add_option("--format", opt->format, "text or json (one object)")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->callback([opt, &result] { result = run_stats(*opt); });
}

} // namespace tc::tool
