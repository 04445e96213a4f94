// `timecontrol stats PATH`: the stats plugin's tables (plugins/stats.hpp),
// rebuilt by replaying the log.
//
// A snapshot saved by a live stats plugin with the bucket width asked for
// (stats::name()) is used; one that does not load is ignored and the whole
// log replayed.

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <string>

#include "timecontrol/plugins/stats.hpp"
#include "timecontrol/policies/spec.hpp"
#include "timecontrol/tools/commands.hpp"
#include "timecontrol/tools/format.hpp"
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
};

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
    // Unsigned (last >= first): the first and last request can be further
    // apart than a duration holds (about 292 years).
    auto seconds =
        static_cast<double>(static_cast<uint64_t>(to_nanos(c.last)) -
                            static_cast<uint64_t>(to_nanos(c.first))) /
        1e9;
    std::string rate = "-";
    if (seconds > 0 && c.requested > 1) {
      char r[32];
      std::snprintf(r, sizeof r, "%.3g",
                    static_cast<double>(c.requested - 1) / seconds);
      rate = r;
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
    // Buckets without a call count too, from the first to the last.
    auto first = c.rate.begin()->first;
    auto last_bucket = c.rate.rbegin()->first;
    // Unsigned: from the first bucket to the last can be more than 2^63 ns
    // (only 1ns buckets from 1677 to 2262 would need the 2^64th).
    auto after_first =
        (static_cast<uint64_t>(last_bucket) - static_cast<uint64_t>(first)) /
        static_cast<uint64_t>(s.bucket().count());
    auto spanned = after_first + (after_first < UINT64_MAX ? 1 : 0);
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
  cmd->callback([opt, &result] { result = run_stats(*opt); });
}

} // namespace tc::tool
