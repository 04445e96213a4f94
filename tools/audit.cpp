// `timecontrol audit PATH --command NAME --policy SPEC`: checks, from the
// log, that a command's admissions kept a contract ("1200 per 1min", "5/s
// burst 10", "min 200ms"), and lists every admission that broke it.
//
// The admissions are the command's call_admitted events, at their recorded
// times and with their costs. They are put, in order, through a fresh
// limiter of the contract (policies/under_limiter.hpp: the same exact
// arithmetic the Command uses). An admission the contract's limiter would
// not have admitted at its time breaks the contract; it is listed and, as a
// policer does (the generic cell rate algorithm of ITU-T I.371 leaves a
// non-conforming cell uncounted), it is not counted against the calls after
// it, so one burst is reported once and not as a cascade. For a window
// contract ("N per W") the line also gives the admissions the window
// (t - W, t] held before it: together with it they exceed N. The boundary is
// the limiter's: an admission exactly W after one counted in the window no
// longer counts it (policies/sliding_window.hpp).
//
// A limit per key (actors/command.hpp): the contract is each key's, as the
// Command applies its limiter to each key separately, so each key's
// admissions go through a limiter of their own; --key checks one key only
// (the key "" is the unkeyed calls').
//
// Exit code 0 when the contract held (also for a command whose calls were
// all throttled: no admission broke it), 5 when an admission broke it, 2 for
// a bad contract or a command the log has no calls of (with the commands it
// has), 3 and 4 as for every reading command.

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "timecontrol/policies/spec.hpp"
#include "timecontrol/policies/under_limiter.hpp"
#include "timecontrol/text/format.hpp"
#include "timecontrol/tools/commands.hpp"
#include "timecontrol/tools/numbers.hpp"
#include "timecontrol/tools/reading.hpp"

namespace tc::tool {

namespace {

struct audit_options {
  std::string path;
  std::string command;
  std::string policy;
  uint64_t show = 20;
  std::optional<std::string> key;
};

struct admission_record {
  time_point at;
  uint64_t call_id;
  uint64_t cost;
  std::string key;
};

// A key's limiter, and the admissions it counts in its window (window
// contracts only).
struct key_audit {
  under_limiter limiter;
  std::deque<admission_record> counted;
};

// "7", "7-9", "7, 9, 12-15": call ids, runs of consecutive ids joined.
std::string id_list(const std::deque<admission_record>& calls) {
  std::string result;
  for (size_t i = 0; i < calls.size();) {
    auto j = i;
    while (j + 1 < calls.size() && calls[j + 1].call_id == calls[j].call_id + 1)
      ++j;
    result += (result.empty() ? "" : ", ") + std::to_string(calls[i].call_id);
    if (j > i)
      result += "-" + std::to_string(calls[j].call_id);
    i = j + 1;
  }
  return result;
}

// Where a fresh limiter of `spec` starts so that it admits a first call at
// `first` (a minimum interval counts from its start).
time_point start_for(const limiter_spec& spec, time_point first) {
  if (auto* m = std::get_if<min_interval_config>(&spec))
    if (m->period > duration{0} && first > time_point::min() + m->period)
      return first - m->period;
  return first;
}

int run_audit(const audit_options& opt) {
  auto spec = parse_limiter_spec(opt.policy);
  if (!spec) {
    complain_parse("audit", "--policy", opt.policy, spec.error());
    return exit_usage;
  }
  auto store = open_for_reading("audit", opt.path);
  if (!store)
    return open_failure_exit_code();
  std::vector<admission_record> admitted;
  auto err =
      store->replay({.source = opt.command, .type = event_type::call_admitted},
                    [&](const envelope& x) {
                      auto& e = std::get<call_admitted>(x.body);
                      if (!opt.key || *opt.key == e.key)
                        admitted.push_back({x.time, e.call_id, e.cost, e.key});
                      return true;
                    });
  if (err) {
    complain("audit", render(err));
    return exit_data_error;
  }
  if (admitted.empty() && opt.key) {
    // A key the command has no calls of is a mistake (a typo), not a key
    // whose calls all kept the contract.
    bool throttled = false;
    auto err2 = store->replay(
        {.source = opt.command, .type = event_type::call_throttled},
        [&](const envelope& x) {
          throttled = std::get<call_throttled>(x.body).key == *opt.key;
          return !throttled;
        });
    if (err2) {
      complain("audit", render(err2));
      return exit_data_error;
    }
    auto known = has_command(*store, opt.command);
    if (!known) {
      complain("audit", render(known.error()));
      return exit_data_error;
    }
    if (*known && !throttled) {
      complain("audit", "--key " + text_quote(*opt.key) + ": " +
                            text_quote(opt.command) +
                            " has no calls of this key");
      return exit_usage;
    }
  }
  if (admitted.empty()) {
    auto known = has_command(*store, opt.command);
    if (known && !*known) {
      auto why = unknown_command(*store, opt.command);
      complain("audit", why ? *why : render(why.error()));
      return why ? exit_usage : exit_data_error;
    }
    if (!known) {
      complain("audit", render(known.error()));
      return exit_data_error;
    }
  }
  std::stable_sort(admitted.begin(), admitted.end(),
                   [](const auto& x, const auto& y) { return x.at < y.at; });
  auto contract = to_string(*spec);
  auto* window = std::get_if<sliding_window_config>(&*spec);
  std::unordered_map<std::string, key_audit> keys;
  uint64_t broken = 0;
  for (auto& call : admitted) {
    auto k = keys.find(call.key);
    if (k == keys.end())
      k = keys.emplace(
                  call.key,
                  key_audit{
                      make_under_limiter(*spec, start_for(*spec, call.at)), {}})
              .first;
    auto& lim = k->second.limiter;
    auto& counted = k->second.counted;
    if (window)
      while (!counted.empty() && counted.front().at <= call.at - window->window)
        counted.pop_front();
    auto decision = admit(lim, call.at, call.cost);
    if (decision.admitted) {
      if (window)
        counted.push_back(call);
      continue;
    }
    if (++broken > opt.show)
      continue;
    std::string line = "call " + std::to_string(call.call_id);
    if (!call.key.empty())
      line += " of key " + text_quote(call.key);
    line += " at " + format_time(call.at);
    if (call.cost != 1)
      line += " (cost " + std::to_string(call.cost) + ")";
    if (decision.earliest == time_point::max())
      line += ": costs more than the contract ever admits at once";
    else
      line += ": the contract admits it from " +
              format_time(decision.earliest) + " (" +
              duration_to_text(decision.retry_after) + " later)";
    if (window) {
      uint64_t used = 0;
      for (auto& x : counted)
        used += x.cost;
      line += "; the window (" + format_time(call.at - window->window) + ", " +
              format_time(call.at) + "] held " + std::to_string(used) + " of " +
              std::to_string(window->limit) + " already: calls " +
              id_list(counted);
    }
    std::printf("%s\n", line.c_str());
  }
  if (broken > opt.show)
    std::printf("... and %llu more (--show N lists more)\n",
                static_cast<unsigned long long>(broken - opt.show));
  std::string span = admitted.empty()
                         ? std::string{}
                         : ", " + format_time(admitted.front().at) + " to " +
                               format_time(admitted.back().at);
  auto whose = text_quote(opt.command);
  if (opt.key)
    whose += " of key " + text_quote(*opt.key);
  else if (keys.size() > 1 ||
           (keys.size() == 1 && !keys.begin()->first.empty()))
    whose += " (" + std::to_string(keys.size()) + " keys, each on its own)";
  auto admissions = admitted.size() == 1 ? "admission" : "admissions";
  if (broken == 0)
    std::printf("held: %zu %s of %s kept %s%s\n", admitted.size(), admissions,
                whose.c_str(), contract.c_str(), span.c_str());
  else
    std::printf("broken: %llu of %zu %s of %s broke %s%s\n",
                static_cast<unsigned long long>(broken), admitted.size(),
                admissions, whose.c_str(), contract.c_str(), span.c_str());
  if (std::fflush(stdout) != 0) {
    complain("audit", "writing to standard output failed");
    return exit_data_error;
  }
  return broken == 0 ? exit_ok : exit_contract_broken;
}

} // namespace

void add_audit(CLI::App& app, int& result) {
  auto opt = std::make_shared<audit_options>();
  auto* cmd = app.add_subcommand(
      "audit", "Check from the log that a command's admissions kept a "
               "contract (\"1200 per 1min\", \"5/s burst 10\", \"min "
               "200ms\"), and list each admission that broke it; exit code "
               "0 if it held, 5 if not");
  cmd->add_option("PATH", opt->path, "Folder of the log")->required();
  cmd->add_option("--command", opt->command,
                  "The command (the source of its call events)")
      ->required();
  cmd->add_option("--policy", opt->policy,
                  "The contract, as a limiter spec: \"1200 per 1min\", "
                  "\"5/s burst 10\", \"min 200ms\"")
      ->required();
  cmd->add_option("--key", opt->key,
                  "Check only the admissions of this key (a limit per key; "
                  "\"\" is the unkeyed calls); without it each key is "
                  "checked on its own");
  add_number_option(*cmd, "--show", opt->show,
                    "List at most this many broken admissions (default 20)", 0,
                    UINT64_MAX);
  cmd->callback([opt, &result] { result = run_audit(*opt); });
}

} // namespace tc::tool
