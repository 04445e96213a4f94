// `timecontrol whatif PATH --command NAME --policy SPEC`: replays a command's
// recorded calls (their requests, as tc::call_requests finds them in logs of
// every version) against another under-limiter and reports what that
// limiter would have done, in both of its semantics (whatif_simulation.hpp).
//
// A NAME the log has no calls of is a usage error (exit 2) that lists the
// commands it has: a typo would otherwise pass for a command never called.
//
// --format json prints one object instead (conventions in json.hpp):
//   {"command": "api", "policy": "3/s burst 5", "calls": 132,
//    "first": "...", "last": "...", "too_costly": 0,
//    "wait": {"admitted_at_once": 60, "delayed": 72, "mean_delay_ns": ...,
//             "max_delay_ns": ..., "past_end_of_time": false},
//    "reject": {"admitted_at_once": 80, "rejected": 52}}

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "timecontrol/events/call_requests.hpp"
#include "timecontrol/policies/spec.hpp"
#include "timecontrol/text/format.hpp"
#include "timecontrol/text/json.hpp"
#include "timecontrol/tools/commands.hpp"
#include "timecontrol/tools/reading.hpp"
#include "timecontrol/tools/whatif_simulation.hpp"

namespace tc::tool {

namespace {

struct whatif_options {
  std::string path;
  std::string command;
  std::string policy;
  std::string format = "text";
};

void print_text(const whatif_options& opt, const limiter_spec& spec,
                const std::vector<requested_call>& at, const whatif_outcome& r);

int run_whatif(const whatif_options& opt) {
  auto spec = parse_limiter_spec(opt.policy);
  if (!spec) {
    complain_parse("whatif", "--policy", opt.policy, spec.error());
    return exit_usage;
  }
  auto store = open_for_reading("whatif", opt.path);
  if (!store)
    return open_failure_exit_code();
  std::vector<requested_call> at;
  call_requests requests;
  // A call's cost is on its call_admitted, which may come after the event
  // that tells of its request (a call that waited, or a call_requested of
  // an earlier build): those calls are kept here until it comes.
  std::unordered_map<uint64_t, size_t> cost_to_come;
  auto err = store->replay({.source = opt.command}, [&](const envelope& x) {
    auto t = requests.request(x);
    if (auto* e = std::get_if<call_admitted>(&x.body)) {
      if (t)
        at.push_back(requested_call{*t, e->cost, e->key});
      else if (auto i = cost_to_come.find(e->call_id);
               i != cost_to_come.end()) {
        at[i->second].cost = e->cost;
        at[i->second].key = e->key;
        cost_to_come.erase(i);
      }
      return true;
    }
    if (t) {
      auto* throttled = std::get_if<call_throttled>(&x.body);
      at.push_back(
          requested_call{*t, 1, throttled ? throttled->key : std::string{}});
      if (auto* e = std::get_if<call_throttled>(&x.body);
          e == nullptr || e->action == throttle_action::waited)
        std::visit(
            [&](const auto& body) {
              if constexpr (requires { body.call_id; })
                cost_to_come[body.call_id] = at.size() - 1;
            },
            x.body);
    } else if (auto* e = std::get_if<call_throttled>(&x.body);
               e && e->action != throttle_action::waited) {
      cost_to_come.erase(e->call_id); // never admitted: cost 1 as counted
    }
    return true;
  });
  if (err) {
    complain("whatif", render(err));
    return exit_data_error;
  }
  if (at.empty()) {
    // A name the log never saw is a mistake, not a command without calls.
    auto why = unknown_command(*store, opt.command);
    if (!why) {
      complain("whatif", render(why.error()));
      return exit_data_error;
    }
    complain("whatif", *why);
    return exit_usage;
  }
  // Calls are replayed in the order they happened.
  std::stable_sort(at.begin(), at.end(),
                   [](const auto& x, const auto& y) { return x.at < y.at; });
  auto r = simulate(*spec, at);
  if (opt.format == "json") {
    json doc;
    doc["command"] = opt.command;
    doc["policy"] = to_string(*spec);
    doc["calls"] = r.calls;
    doc["first"] = json_time(at.front().at);
    doc["last"] = json_time(at.back().at);
    doc["too_costly"] = r.too_costly;
    doc["wait"] = {{"admitted_at_once", r.wait_at_once},
                   {"delayed", r.delayed},
                   {"mean_delay_ns", json_nanos(r.mean_delay())},
                   {"max_delay_ns", json_nanos(r.max_delay)},
                   {"past_end_of_time", r.past_end_of_time}};
    doc["reject"] = {{"admitted_at_once", r.reject_admitted},
                     {"rejected", r.rejected}};
    std::printf("%s\n", dump_json(doc).c_str());
  } else {
    print_text(opt, *spec, at, r);
  }
  if (std::fflush(stdout) != 0) {
    complain("whatif", "writing to standard output failed");
    return exit_data_error;
  }
  return exit_ok;
}

void print_text(const whatif_options& opt, const limiter_spec& spec,
                const std::vector<requested_call>& at,
                const whatif_outcome& r) {
  std::printf("command %s, policy %s\n", opt.command.c_str(),
              to_string(spec).c_str());
  std::printf("calls              %zu, %s to %s\n", r.calls,
              format_time(at.front().at).c_str(),
              format_time(at.back().at).c_str());
  if (r.too_costly > 0)
    std::printf("  %zu cost more than the policy ever holds (%s): never "
                "run, counted as rejected\n",
                r.too_costly, to_string(spec).c_str());
  std::printf("wait:\n");
  std::printf("  admitted at once %zu\n", r.wait_at_once);
  std::printf("  would be delayed %zu (mean %s, max %s)\n", r.delayed,
              duration_to_text(r.mean_delay()).c_str(),
              duration_to_text(r.max_delay).c_str());
  if (r.past_end_of_time)
    std::printf("  (some would wait past the year 2262, where 64-bit "
                "nanoseconds end: their delays are counted up to it)\n");
  std::printf("reject:\n");
  std::printf("  admitted at once %zu\n", r.reject_admitted);
  std::printf("  would be rejected %zu\n", r.rejected);
}

} // namespace

void add_whatif(CLI::App& app, int& result) {
  auto opt = std::make_shared<whatif_options>();
  auto* cmd = app.add_subcommand(
      "whatif", "Replay a command's recorded calls against another "
                "under-limiter: how many would be admitted, delayed, "
                "rejected. Every request is simulated, also one whose "
                "caller gave up waiting (expired): the log keeps no "
                "caller's max wait");
  cmd->add_option("PATH", opt->path, "Folder of the log")->required();
  cmd->add_option("--command", opt->command,
                  "The command (the source of its call events)")
      ->required();
  cmd->add_option("--policy", opt->policy,
                  "The under-limiter: \"5/s burst 10\", \"20 per 10s\", "
                  "\"min 200ms\"")
      ->required();
  cmd->add_option("--format", opt->format, "text or json (one object)")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->callback([opt, &result] { result = run_whatif(*opt); });
}

} // namespace tc::tool
