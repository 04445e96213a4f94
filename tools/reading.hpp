// Opening a log for the read-only subcommands, and writing their output.

#pragma once

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "timecontrol/core/time.hpp"
#include "timecontrol/policies/parse_result.hpp"
#include "timecontrol/storage/event_store.hpp"

namespace tc::tool {

/// Opens the log at `path` read-only (beside a writer, without creating
/// anything). On failure prints "timecontrol <command>: <reason>" to stderr
/// and returns null; the caller exits with open_failure_exit_code().
std::unique_ptr<event_store> open_for_reading(std::string_view command,
                                              const std::string& path);

/// Opens the log at `path` to follow it (store_options::follow): like
/// open_for_reading(), and event_store::refresh() catches up with its writer.
std::unique_ptr<event_store> open_for_following(std::string_view command,
                                                const std::string& path);

/// Opens the log at `path` to append to it (durability::sync, without
/// creating anything): fails with errc::locked while another process (or
/// store) holds it. On failure prints as open_for_reading().
std::unique_ptr<event_store> open_for_writing(std::string_view command,
                                              const std::string& path);

/// The exit code for the last failed open_for_reading(),
/// open_for_following() or open_for_writing(): exit_data_error if the log is
/// damaged (errc::corrupt_record), exit_open_failed otherwise.
int open_failure_exit_code();

/// The exit code for an error opening a log (as open_failure_exit_code()).
int exit_code_of_open_error(const caf::error& err);

/// How many events the log holds: its last sequence number less the
/// numbers declared gone (repairs, unclean stops: event_store::losses()).
uint64_t events_in(const event_store& store);

/// "0 events", "1 event", "161 events", and where numbers were declared
/// gone, "161 events (seq 1..1048577)".
std::string events_text(const event_store& store);

/// Why `--command NAME` names no command of the log: "--command \"apx\": the
/// log has no calls of this command; its commands are \"api\", ..." (the
/// sources of call_admitted, call_throttled and, in logs of earlier builds,
/// call_requested). An error if the log cannot be read.
caf::expected<std::string> unknown_command(const event_store& store,
                                           std::string_view name);

/// True if `name` is the source of some call event (see unknown_command).
caf::expected<bool> has_command(const event_store& store,
                                std::string_view name);

/// Prints why the value `text` of `flag` does not parse: "timecontrol
/// <command>: --policy 'bogus': at position 0: expected ...", then the text
/// with a caret under that position.
void complain_parse(std::string_view command, std::string_view flag,
                    std::string_view text, const parse_error& err);

/// Prints "timecontrol <command>: <message>" to stderr.
void complain(std::string_view command, std::string_view message);

/// A window of time given on the command line; either end may be open.
struct time_window {
  std::optional<time_point> from;
  std::optional<time_point> until;
};

/// Reads the flags `from_flag` ("--since", "--from") and "--until" (empty
/// text: that end is open; see parse_time). A text that is not a time, or
/// an end before the start, is complained about; then nullopt, and the
/// caller exits with exit_usage.
std::optional<time_window> read_time_window(std::string_view command,
                                            std::string_view from_flag,
                                            const std::string& from,
                                            const std::string& until);

/// Buffered line output to a FILE; remembers whether a write failed.
class line_writer {
public:
  explicit line_writer(std::FILE* out) : out_(out) {}

  ~line_writer() { flush(); }

  void line(std::string_view text) {
    buf_ += text;
    buf_ += '\n';
    if (buf_.size() >= 1 << 16)
      flush();
  }

  /// Writes what is buffered; false if any write so far failed.
  bool flush() {
    if (!buf_.empty()) {
      if (std::fwrite(buf_.data(), 1, buf_.size(), out_) != buf_.size())
        failed_ = true;
      buf_.clear();
    }
    if (std::fflush(out_) != 0)
      failed_ = true;
    return !failed_;
  }

private:
  std::FILE* out_;
  std::string buf_;
  bool failed_ = false;
};

} // namespace tc::tool
