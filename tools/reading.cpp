#include "timecontrol/tools/reading.hpp"

#include <algorithm>
#include <cstdio>
#include <set>
#include <tuple>

#include "timecontrol/text/format.hpp"
#include "timecontrol/tools/commands.hpp"

namespace tc::tool {

void complain(std::string_view command, std::string_view message) {
  std::fprintf(stderr, "timecontrol %.*s: %.*s\n",
               static_cast<int>(command.size()), command.data(),
               static_cast<int>(message.size()), message.data());
}

std::optional<time_window> read_time_window(std::string_view command,
                                            std::string_view from_flag,
                                            const std::string& from,
                                            const std::string& until) {
  time_window result;
  for (auto [text, dest, flag] :
       {std::tuple{&from, &result.from, from_flag},
        std::tuple{&until, &result.until, std::string_view{"--until"}}}) {
    if (text->empty())
      continue;
    *dest = parse_time(*text);
    if (!*dest) {
      auto digits = std::string_view{*text}.substr(text->front() == '-');
      bool number = !digits.empty() &&
                    digits.find_first_not_of("0123456789") == std::string::npos;
      complain(command,
               std::string{flag} + ": '" + *text +
                   (number ? "' is out of range: nanoseconds since the epoch "
                             "fit 64 bits (1677-09-21 to 2262-04-11)"
                           : "' is not a time: use ISO 8601 in UTC "
                             "(2026-01-01T00:00:00.5Z) or nanoseconds since "
                             "the epoch"));
      return std::nullopt;
    }
  }
  if (result.from && result.until && *result.until < *result.from) {
    complain(command, "--until is before " + std::string{from_flag});
    return std::nullopt;
  }
  return result;
}

namespace {

int last_open_failure = exit_open_failed;

std::unique_ptr<event_store> open_or_complain(std::string_view command,
                                              const std::string& path,
                                              store_options options) {
  options.create_if_missing = false;
  auto opened = event_store::open(path, options);
  if (!opened) {
    last_open_failure = exit_code_of_open_error(opened.error());
    auto text = render(opened.error());
    if (is(opened.error(), errc::corrupt_record))
      text += "\n(timecontrol verify " + path +
              " lists the damage; timecontrol repair " + path +
              " salvages the rest)";
    complain(command, text);
    return nullptr;
  }
  return std::move(*opened);
}

} // namespace

int open_failure_exit_code() {
  return last_open_failure;
}

int exit_code_of_open_error(const caf::error& err) {
  // A write that failed (a full disk while opening) is a storage failure,
  // as when appending.
  return is(err, errc::corrupt_record) || is(err, errc::storage_failure)
             ? exit_data_error
             : exit_open_failed;
}

uint64_t events_in(const event_store& store) {
  auto last = store.last_seq();
  auto events = last;
  for (auto& loss : store.losses())
    if (loss.first <= last)
      events -= std::min(events, std::min(loss.last, last) - loss.first + 1);
  return events;
}

std::string events_text(const event_store& store) {
  auto last = store.last_seq();
  auto events = events_in(store);
  return std::to_string(events) + (events == 1 ? " event" : " events") +
         (events == last ? std::string{}
                         : " (seq 1.." + std::to_string(last) + ")");
}

std::unique_ptr<event_store> open_for_reading(std::string_view command,
                                              const std::string& path) {
  return open_or_complain(command, path, {.read_only = true});
}

std::unique_ptr<event_store> open_for_writing(std::string_view command,
                                              const std::string& path) {
  return open_or_complain(command, path, {.mode = durability::sync});
}

std::unique_ptr<event_store> open_for_following(std::string_view command,
                                                const std::string& path) {
  return open_or_complain(command, path, {.follow = true});
}

void complain_parse(std::string_view command, std::string_view flag,
                    std::string_view text, const parse_error& err) {
  complain(command, std::string{flag} + " '" + std::string{text} +
                        "': at position " + std::to_string(err.position) +
                        ": " + err.message);
  std::fprintf(stderr, "  %.*s\n  %*s^\n", static_cast<int>(text.size()),
               text.data(), static_cast<int>(err.position), "");
}

namespace {

// The commands of the log: the sources of the events that tell of a request
// (call_admitted, call_throttled, and call_requested in logs of earlier
// builds), read through the type index.
caf::expected<std::set<std::string, std::less<>>>
commands_in(const event_store& store) {
  std::set<std::string, std::less<>> names;
  for (auto type : {event_type::call_admitted, event_type::call_throttled,
                    event_type::call_requested}) {
    auto err = store.replay({.type = type}, [&](const envelope& x) {
      names.insert(x.source);
      return true;
    });
    if (err)
      return err;
  }
  return names;
}

} // namespace

caf::expected<bool> has_command(const event_store& store,
                                std::string_view name) {
  auto names = commands_in(store);
  if (!names)
    return names.error();
  return names->contains(name);
}

caf::expected<std::string> unknown_command(const event_store& store,
                                           std::string_view name) {
  auto names = commands_in(store);
  if (!names)
    return names.error();
  std::string list;
  for (auto& x : *names)
    list += (list.empty() ? "" : ", ") + text_quote(x);
  return "--command " + text_quote(name) +
         ": the log has no calls of this command; " +
         (list.empty() ? "it has no calls of any command"
                       : "its commands are " + list);
}

} // namespace tc::tool
