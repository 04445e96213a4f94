#include "timecontrol/policies/watch_spec.hpp"

#include <charconv>
#include <cstdint>

namespace tc {

namespace {

bool read_number(std::string_view& in, std::string_view key, int64_t& out) {
  if (!in.starts_with(key))
    return false;
  in.remove_prefix(key.size());
  auto [end, ec] = std::from_chars(in.data(), in.data() + in.size(), out);
  if (ec != std::errc{})
    return false;
  in.remove_prefix(static_cast<size_t>(end - in.data()));
  return true;
}

} // namespace

std::string watch_spec(const watch& x) {
  auto result = x.cron.empty()
                    ? "watch every=" + std::to_string(x.period.count())
                    : "watch cron=\"" + x.cron + "\"";
  result += " grace=" + std::to_string(x.grace.count());
  if (x.lead != duration{0})
    result += " lead=" + std::to_string(x.lead.count());
  result += x.count_failures ? " fail=call" : " fail=down";
  return result + " " + x.command;
}

bool parse_watch_spec(std::string_view in, watch& out) {
  int64_t period = 0;
  int64_t grace = 0;
  int64_t lead = 0;
  std::string_view cron;
  if (in.starts_with("watch cron=\"")) {
    in.remove_prefix(12);
    auto end = in.find('"');
    if (end == 0 || end == std::string_view::npos)
      return false;
    cron = in.substr(0, end);
    in.remove_prefix(end + 1);
  } else if (!read_number(in, "watch every=", period)) {
    return false;
  }
  if (!read_number(in, " grace=", grace))
    return false;
  // Optional; a spec written before leads existed has none.
  if (in.starts_with(" lead=")) {
    auto rest = in;
    if (read_number(rest, " lead=", lead) && rest.starts_with(' '))
      in = rest;
    else
      lead = 0; // not a lead: the command's name begins with "lead="
  }
  // Optional; a spec written before it existed has none and counted
  // failures as calls.
  bool count_failures = true;
  if (in.starts_with(" fail=down ")) {
    count_failures = false;
    in.remove_prefix(10);
  } else if (in.starts_with(" fail=call ")) {
    in.remove_prefix(10);
  }
  if (!in.starts_with(' ') || in.size() < 2)
    return false;
  out = watch{std::string{in.substr(1)},
              duration{period},
              duration{grace},
              duration{lead},
              count_failures,
              std::string{cron}};
  return true;
}

namespace {

std::string_view command_after(std::string_view in, std::string_view prefix) {
  if (!in.starts_with(prefix) || in.size() == prefix.size())
    return {};
  return in.substr(prefix.size());
}

} // namespace

std::string_view parse_unwatch_spec(std::string_view in) {
  return command_after(in, "unwatch ");
}

std::string_view parse_pause_spec(std::string_view in) {
  return command_after(in, "pause ");
}

std::string_view parse_resume_spec(std::string_view in) {
  return command_after(in, "resume ");
}

} // namespace tc
