// `timecontrol plot PATH -o FILE.svg`: draws a log as one self-contained SVG
// with a shared time axis, one lane per command (calls by outcome, throttles,
// the status a controller saw and its deadline misses) and one per scheduler
// (intents fired and misfired). See timeline.hpp for what each lane shows.
//
// One pass over the log; memory grows with lanes and buckets, not events. A
// log or filter without events still gives a valid SVG that says so (exit
// 0). Exit codes as the other readers: 2 bad flags, 3 the log cannot be
// opened, 4 a corrupt record (named by its seq) or the SVG cannot be written.

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "timecontrol/policies/spec.hpp"
#include "timecontrol/text/format.hpp"
#include "timecontrol/tools/commands.hpp"
#include "timecontrol/tools/numbers.hpp"
#include "timecontrol/tools/progress.hpp"
#include "timecontrol/tools/reading.hpp"
#include "timecontrol/tools/timeline_svg.hpp"

namespace tc::tool {

namespace {

struct plot_options {
  std::string path;
  std::string output;
  std::vector<std::string> sources;
  std::string since;
  std::string until;
  int width = 1200;
  std::string bucket;
  bool no_progress = false;
};

int run_plot(const plot_options& opt) {
  timeline_options query;
  query.sources = opt.sources;
  auto window = read_time_window("plot", "--since", opt.since, opt.until);
  if (!window)
    return exit_usage;
  query.since = window->from;
  query.until = window->until;
  if (!opt.bucket.empty()) {
    auto bucket = parse_duration(opt.bucket);
    if (!bucket) {
      complain_parse("plot", "--bucket", opt.bucket, bucket.error());
      return exit_usage;
    }
    // At most 10 000 days: the axis adds bucket widths to times.
    if (bucket.value() < std::chrono::microseconds{1} ||
        bucket.value() > std::chrono::hours{24 * 10'000}) {
      complain("plot", "--bucket: '" + opt.bucket +
                           "' is not from 1us to 10000d (e.g. \"100ms\", "
                           "\"5s\", \"1min\")");
      return exit_usage;
    }
    query.bucket = bucket.value();
    // A fixed bucket gives at least a pixel per bar; more would not show.
    query.max_buckets = static_cast<size_t>(plot_area_width(opt.width));
  }
  auto store = open_for_reading("plot", opt.path);
  if (!store)
    return open_failure_exit_code();
  // The picture goes to a temporary file beside the output, renamed over
  // it only when complete: a failed run leaves an existing file alone. A
  // special file (/dev/stdout) is written directly.
  std::error_code ec;
  auto kind = std::filesystem::status(opt.output, ec).type();
  bool direct = kind != std::filesystem::file_type::not_found &&
                kind != std::filesystem::file_type::regular;
  auto target = direct ? opt.output : opt.output + ".tmp";
  // Opened before the long read, so a bad path fails at once.
  std::FILE* file = std::fopen(target.c_str(), "wb");
  if (file == nullptr) {
    complain("plot",
             "cannot write " + opt.output + ": " + std::strerror(errno));
    return exit_data_error;
  }
  timeline_builder builder{query};
  progress bar{"plot", "events", store->last_seq(), !opt.no_progress};
  auto err = store->replay({}, [&](const envelope& x) {
    bar.update(x.seq);
    builder.add(x);
    return true;
  });
  bar.finish();
  if (err) {
    // Half a picture would pass for the whole log: leave none.
    std::fclose(file);
    if (!direct)
      std::remove(target.c_str());
    complain("plot", render(err));
    return exit_data_error;
  }
  svg_options look;
  look.title = opt.path;
  look.width = opt.width;
  for (auto& name : opt.sources)
    look.filters += (look.filters.empty() ? "source " : ", ") + name;
  auto svg = render_svg(builder.finish(), look);
  bool written = std::fwrite(svg.data(), 1, svg.size(), file) == svg.size();
  int saved_errno = errno;
  if (std::fclose(file) != 0 && written) {
    written = false;
    saved_errno = errno;
  }
  if (written && !direct &&
      std::rename(target.c_str(), opt.output.c_str()) != 0) {
    written = false;
    saved_errno = errno;
  }
  if (!written) {
    if (!direct)
      std::remove(target.c_str());
    complain("plot",
             "cannot write " + opt.output + ": " + std::strerror(saved_errno));
    return exit_data_error;
  }
  return exit_ok;
}

} // namespace

void add_plot(CLI::App& app, int& result) {
  auto opt = std::make_shared<plot_options>();
  auto* cmd = app.add_subcommand(
      "plot", "Draw a log as an SVG timeline: calls, throttles, deadline "
              "status and misses, intents, one lane per command");
  cmd->add_option("PATH", opt->path, "Folder of the log")->required();
  cmd->add_option("-o,--output", opt->output, "The SVG file to write")
      ->required();
  cmd->add_option("--source", opt->sources,
                  "Only events of this source, and deadline events about "
                  "this command (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--since", opt->since,
                  "Only events at or after TIME (ISO 8601 UTC or ns since "
                  "the epoch)");
  cmd->add_option("--until", opt->until,
                  "Only events at or before TIME (ISO 8601 UTC or ns since "
                  "the epoch)");
  add_number_option(*cmd, "--width", opt->width,
                    "Width of the picture in pixels", 400, 20'000)
      ->capture_default_str();
  cmd->add_option("--bucket", opt->bucket,
                  "Width of a bar in time (e.g. 100ms, 5s); default about a "
                  "200th of the range, rounded");
  cmd->add_flag("--no-progress", opt->no_progress,
                "No progress line on standard error");
  cmd->callback([opt, &result] { result = run_plot(*opt); });
}

} // namespace tc::tool
