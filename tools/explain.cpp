// `timecontrol explain PATH --command NAME --call ID [--format text|json]`:
// rebuilds a command's limiter as it stood when one call came, from the log,
// and says what it saw, what the Command decided and why, and when the
// limiter would have admitted the call.
//
// How: a first pass over the command's events finds the call's own events
// (the first is its decision: call_admitted at once, or call_throttled; in
// logs of record format 1 a call_requested comes first), the policy in force
// (the command's last policy_changed before the call), and the calls queued
// and running at that moment. A second pass feeds every admission of the
// call's key recorded before the call into a fresh limiter of that policy,
// at the admission's time and with its cost. That is what a Command does
// when it starts or its policy changes (actors/command.hpp), and a key's
// limiter is forgotten only when it is as good as new, so the state is the
// one the Command decided with. The rebuilt limiter is then asked about the
// call at its request time, and its answer is compared with the log's.
//
// What the log cannot say: a call that was never admitted has no recorded
// cost (call_throttled carries none), so it is explained as a call of cost
// 1; the queue limit and the action are configuration, so a call refused
// while the limiter had room is explained as refused by a full queue.
//
// Exit codes: 0 explained (also when the log and the rebuilt limiter
// disagree: that is reported); 2 bad flags, a command without calls (with
// the commands the log has) or a call the command does not have; 3 and 4
// as for every reading command (4 also for a recorded policy that does not
// parse).

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "timecontrol/policies/spec.hpp"
#include "timecontrol/policies/under_limiter.hpp"
#include "timecontrol/text/format.hpp"
#include "timecontrol/text/json.hpp"
#include "timecontrol/tools/commands.hpp"
#include "timecontrol/tools/numbers.hpp"
#include "timecontrol/tools/reading.hpp"

namespace tc::tool {

namespace {

struct explain_options {
  std::string path;
  std::string command;
  uint64_t call = 0;
  std::string format = "text";
};

struct admission_seen {
  uint64_t call_id = 0;
  time_point at;
  uint64_t cost = 1;
};

struct policy_seen {
  std::string spec;
  seq_t seq = 0;
  time_point at;
};

// What the first pass learns.
struct call_story {
  // The call's own events, in order.
  std::vector<envelope> events;
  // The policy in force when it came; none if the command recorded none.
  std::optional<policy_seen> policy;
  // The calls queued (id -> key) and running when it came.
  std::map<uint64_t, std::string> queued;
  size_t running = 0;
  uint64_t max_id = 0;
};

// The limiter as the call found it.
struct rebuilt_limiter {
  under_limiter limiter;
  uint64_t admissions = 0; // of the call's key, before it
  std::optional<admission_seen> last;
  std::deque<admission_seen> in_window; // window policies only
  admission answer;                     // asked about the call
};

template <class T>
const T* find_event(const call_story& s) {
  for (auto& x : s.events)
    if (auto* p = std::get_if<T>(&x.body))
      return p;
  return nullptr;
}

// The first pass: stops once the call finished (or was refused).
caf::error read_story(const event_store& store, const explain_options& opt,
                      call_story& s) {
  bool done = false;
  return store.replay({.source = opt.command}, [&](const envelope& x) {
    std::visit(
        [&](const auto& body) {
          using type = std::decay_t<decltype(body)>;
          if constexpr (std::is_same_v<type, policy_changed>) {
            if (s.events.empty())
              s.policy = policy_seen{body.policy, x.seq, x.time};
          } else if constexpr (requires { body.call_id; }) {
            s.max_id = std::max(s.max_id, body.call_id);
            if (body.call_id == opt.call) {
              s.events.push_back(x);
              if constexpr (std::is_same_v<type, call_finished>)
                done = true;
              else if constexpr (std::is_same_v<type, call_throttled>)
                done = body.action != throttle_action::waited;
              return;
            }
            if (!s.events.empty())
              return;
            if constexpr (std::is_same_v<type, call_throttled>) {
              if (body.action == throttle_action::waited)
                s.queued[body.call_id] = body.key;
              else
                s.queued.erase(body.call_id);
            } else if constexpr (std::is_same_v<type, call_admitted>) {
              s.queued.erase(body.call_id);
              ++s.running;
            } else if constexpr (std::is_same_v<type, call_finished>) {
              if (s.running > 0)
                --s.running;
            }
          }
        },
        x.body);
    return !done;
  });
}

// The key of the call: its call_admitted's or call_throttled's.
std::string key_of(const call_story& s) {
  if (auto* a = find_event<call_admitted>(s))
    return a->key;
  if (auto* t = find_event<call_throttled>(s))
    return t->key;
  return {};
}

// The second pass: the admissions of `key` before the call's first event.
caf::error rebuild(const event_store& store, const explain_options& opt,
                   const limiter_spec& spec, const std::string& key,
                   seq_t before, time_point at, uint64_t cost,
                   rebuilt_limiter& r) {
  auto* window = std::get_if<sliding_window_config>(&spec);
  auto err =
      store.replay({.to = before - 1,
                    .source = opt.command,
                    .type = event_type::call_admitted},
                   [&](const envelope& x) {
                     auto& e = std::get<call_admitted>(x.body);
                     if (e.key != key)
                       return true;
                     (void)admit(r.limiter, x.time, e.cost);
                     ++r.admissions;
                     r.last = admission_seen{e.call_id, x.time, e.cost};
                     if (window) {
                       while (!r.in_window.empty() &&
                              r.in_window.front().at <= x.time - window->window)
                         r.in_window.pop_front();
                       r.in_window.push_back(*r.last);
                     }
                     return true;
                   });
  if (window)
    while (!r.in_window.empty() &&
           r.in_window.front().at <= at - window->window)
      r.in_window.pop_front();
  r.answer = check(r.limiter, at, cost);
  return err;
}

// "call 7 at 2026-...Z", with the cost when it is not 1.
std::string admission_text(const admission_seen& a) {
  auto text = "call " + std::to_string(a.call_id) + " at " + format_time(a.at);
  if (a.cost != 1)
    text += " (cost " + std::to_string(a.cost) + ")";
  return text;
}

// What the limiter held: one line for people, members for JSON.
std::string state_text(const rebuilt_limiter& r, time_point at) {
  return std::visit(
      [&](const auto& lim) -> std::string {
        using type = std::decay_t<decltype(lim)>;
        char buf[64];
        if constexpr (std::is_same_v<type, token_bucket>) {
          std::snprintf(buf, sizeof buf, "%.6g", lim.tokens(at));
          return "a token bucket holding " + std::string{buf} + " of " +
                 std::to_string(lim.burst()) + " tokens";
        } else if constexpr (std::is_same_v<type, sliding_window>) {
          uint64_t used = 0;
          for (auto& x : r.in_window)
            used += x.cost;
          auto text = "a window (" + format_time(at - lim.window()) + ", " +
                      format_time(at) + "] holding " + std::to_string(used) +
                      " of " + std::to_string(lim.limit());
          if (!r.in_window.empty()) {
            text += ": calls";
            for (auto& x : r.in_window)
              text += (&x == &r.in_window.front() ? " " : ", ") +
                      std::to_string(x.call_id);
          }
          return text;
        } else {
          auto text =
              "a minimum interval of " + duration_to_string(lim.period());
          if (r.last)
            text += " since the last admission, " +
                    duration_to_text(at - r.last->at) + " before";
          return text;
        }
      },
      r.limiter);
}

json state_json(const rebuilt_limiter& r, time_point at) {
  json out;
  std::visit(
      [&](const auto& lim) {
        using type = std::decay_t<decltype(lim)>;
        if constexpr (std::is_same_v<type, token_bucket>) {
          out["kind"] = "token_bucket";
          out["tokens"] = lim.tokens(at);
          out["burst"] = lim.burst();
        } else if constexpr (std::is_same_v<type, sliding_window>) {
          out["kind"] = "sliding_window";
          out["limit"] = lim.limit();
          out["window_ns"] = json_nanos(lim.window());
          json calls = json::array();
          for (auto& x : r.in_window)
            calls.push_back({{"call_id", x.call_id},
                             {"time", json_time(x.at)},
                             {"cost", x.cost}});
          out["in_window"] = std::move(calls);
        } else {
          out["kind"] = "min_interval";
          out["interval_ns"] = json_nanos(lim.period());
        }
      },
      r.limiter);
  return out;
}

// Why the limiter said what it said, for people.
std::string answer_text(const rebuilt_limiter& r, uint64_t cost,
                        bool cost_known) {
  auto what =
      "a call of cost " + std::to_string(cost) +
      (cost_known ? "" : " (assumed: a call never admitted records no cost)");
  if (r.answer.admitted)
    return "it had room: it admits " + what + " at once";
  if (r.answer.earliest == never)
    return "it never admits " + what + " (more than it holds)";
  auto text = "it admits " + what + " from " + format_time(r.answer.earliest) +
              ", " + duration_to_text(r.answer.retry_after) +
              " after the request";
  if (auto* w = std::get_if<sliding_window>(&r.limiter);
      w && !r.in_window.empty())
    text += ", when call " + std::to_string(r.in_window.front().call_id) +
            " leaves the window";
  else if (std::holds_alternative<min_interval>(r.limiter) && r.last)
    text += ", one interval after call " + std::to_string(r.last->call_id);
  return text;
}

// The decision and whether the rebuilt limiter agrees with it.
struct verdict {
  std::string recorded; // admitted, waited, rejected, dropped, expired
  seq_t seq = 0;
  duration retry_after{0};
  bool agrees = true;
  std::string why;
};

verdict judge(const call_story& s, const rebuilt_limiter* r,
              size_t queued_ahead) {
  verdict v;
  const envelope* first = nullptr;
  for (auto& x : s.events)
    if (std::holds_alternative<call_admitted>(x.body) ||
        std::holds_alternative<call_throttled>(x.body)) {
      first = &x;
      break;
    }
  if (!first) {
    v.recorded = "none";
    v.agrees = false;
    v.why = "the log has no decision for it (no call_admitted or "
            "call_throttled)";
    return v;
  }
  v.seq = first->seq;
  bool room = !r || r->answer.admitted;
  if (auto* a = std::get_if<call_admitted>(&first->body)) {
    v.recorded = "admitted";
    v.agrees = room;
    v.why = room ? "admitted at once: the limiter had room"
                 : "the log has it admitted at once, but the rebuilt limiter "
                   "had no room: the log does not match the policy in force";
    (void)a;
    return v;
  }
  auto& t = std::get<call_throttled>(first->body);
  v.recorded = std::string{to_string(t.action)};
  v.retry_after = t.retry_after;
  if (!r && t.action != throttle_action::expired) {
    v.agrees = false;
    v.why = "throttled, but the log records no limiter policy before it: "
            "it does not say why";
    return v;
  }
  auto ahead = std::to_string(queued_ahead) +
               (queued_ahead == 1 ? " call" : " calls") + " of its key";
  switch (t.action) {
    case throttle_action::waited:
      if (queued_ahead > 0)
        v.why = "queued behind " + ahead +
                " already waiting (each key's queue is first in, first out)";
      else if (!room)
        v.why = "queued: the limiter had no room";
      else {
        v.agrees = false;
        v.why = "the log has it queued, but no call of its key was waiting "
                "and the rebuilt limiter had room";
      }
      break;
    case throttle_action::rejected:
    case throttle_action::dropped:
      if (t.retry_after == duration::max())
        v.why = "its cost is more than the limiter ever holds";
      else if (!room)
        v.why = std::string{t.action == throttle_action::rejected ? "rejected"
                                                                  : "dropped"} +
                ": the limiter had no room";
      else
        v.why = "refused while the limiter had room: the command's queue "
                "was full (" +
                std::to_string(s.queued.size()) + " calls queued, " +
                std::to_string(s.running) + " running)";
      break;
    case throttle_action::expired:
      v.why = "expired at once: its caller's max wait was shorter than the "
              "wait (" +
              duration_to_text(t.retry_after) + ")";
      break;
  }
  return v;
}

// What came of the call after its decision (the event at `decided`), for
// people; empty if nothing did.
std::vector<std::string> outcome_lines(const call_story& s, seq_t decided) {
  std::vector<std::string> lines;
  for (auto& x : s.events) {
    if (x.seq <= decided)
      continue;
    std::visit(
        [&](const auto& body) {
          using type = std::decay_t<decltype(body)>;
          auto when = " at " + format_time(x.time) + " (seq " +
                      std::to_string(x.seq) + ")";
          if constexpr (std::is_same_v<type, call_admitted>) {
            lines.push_back("admitted" + when + " after waiting " +
                            duration_to_text(body.waited));
          } else if constexpr (std::is_same_v<type, call_throttled>) {
            lines.push_back(std::string{to_string(body.action)} + when +
                            (body.action == throttle_action::expired
                                 ? ": its caller's max wait passed; never ran"
                                 : ": never ran"));
          } else if constexpr (std::is_same_v<type, call_started>) {
            lines.push_back("started" + when);
          } else if constexpr (std::is_same_v<type, call_timed_out>) {
            lines.push_back("timed out" + when + " (limit " +
                            duration_to_text(body.limit) + ")");
          } else if constexpr (std::is_same_v<type, call_finished>) {
            lines.push_back(std::string{body.ok ? "finished ok" : "failed"} +
                            when + " after " + duration_to_text(body.took) +
                            (body.ok ? "" : ": " + text_quote(body.error)));
          }
        },
        x.body);
  }
  return lines;
}

json outcome_json(const call_story& s) {
  json out = json::array();
  for (auto& x : s.events) {
    json e;
    e["seq"] = x.seq;
    e["time"] = json_time(x.time);
    e["type"] = std::string{name_of(x.type())};
    std::visit(
        [&](const auto& body) {
          using type = std::decay_t<decltype(body)>;
          if constexpr (std::is_same_v<type, call_admitted>) {
            e["waited_ns"] = json_nanos(body.waited);
          } else if constexpr (std::is_same_v<type, call_throttled>) {
            e["action"] = std::string{to_string(body.action)};
            e["retry_after_ns"] = json_nanos(body.retry_after);
          } else if constexpr (std::is_same_v<type, call_timed_out>) {
            e["limit_ns"] = json_nanos(body.limit);
          } else if constexpr (std::is_same_v<type, call_finished>) {
            e["took_ns"] = json_nanos(body.took);
            e["ok"] = body.ok;
            e["error"] = body.error;
          }
        },
        x.body);
    out.push_back(std::move(e));
  }
  return out;
}

int run_explain(const explain_options& opt) {
  auto store = open_for_reading("explain", opt.path);
  if (!store)
    return open_failure_exit_code();
  call_story s;
  if (auto err = read_story(*store, opt, s)) {
    complain("explain", render(err));
    return exit_data_error;
  }
  if (s.events.empty()) {
    auto known = has_command(*store, opt.command);
    if (!known) {
      complain("explain", render(known.error()));
      return exit_data_error;
    }
    if (!*known) {
      auto why = unknown_command(*store, opt.command);
      complain("explain", why ? *why : render(why.error()));
      return why ? exit_usage : exit_data_error;
    }
    complain("explain", "--call " + std::to_string(opt.call) + ": " +
                            text_quote(opt.command) + " has no call " +
                            std::to_string(opt.call) + " (its calls are 1 to " +
                            std::to_string(s.max_id) + ")");
    return exit_usage;
  }
  auto key = key_of(s);
  auto* admitted = find_event<call_admitted>(s);
  uint64_t cost = admitted ? admitted->cost : 1;
  auto requested = s.events.front().time;
  auto first_seq = s.events.front().seq;
  size_t queued_ahead = 0;
  for (auto& [id, k] : s.queued)
    if (k == key)
      ++queued_ahead;
  std::optional<rebuilt_limiter> r;
  std::optional<limiter_spec> spec;
  if (s.policy && !s.policy->spec.empty()) {
    auto parsed = parse_limiter_spec(s.policy->spec);
    if (!parsed) {
      complain("explain", "the policy in force, " + text_quote(s.policy->spec) +
                              " (seq " + std::to_string(s.policy->seq) +
                              "), does not parse: at byte " +
                              std::to_string(parsed.error().position) + ": " +
                              parsed.error().message);
      return exit_data_error;
    }
    spec = *parsed;
    r.emplace(rebuilt_limiter{
        make_under_limiter(*spec, time_point{}), 0, {}, {}, {}});
    if (auto err =
            rebuild(*store, opt, *spec, key, first_seq, requested, cost, *r)) {
      complain("explain", render(err));
      return exit_data_error;
    }
  }
  auto v = judge(s, r ? &*r : nullptr, queued_ahead);
  if (opt.format == "json") {
    json doc;
    doc["command"] = opt.command;
    doc["call_id"] = opt.call;
    doc["key"] = key;
    doc["cost"] = admitted ? json(cost) : json(nullptr);
    doc["requested_at"] = json_time(requested);
    if (s.policy)
      doc["policy"] = {{"spec", s.policy->spec},
                       {"seq", s.policy->seq},
                       {"time", json_time(s.policy->at)}};
    else
      doc["policy"] = nullptr;
    if (r) {
      json lim = state_json(*r, requested);
      lim["admissions_before"] = r->admissions;
      lim["last_admission"] = r->last ? json{{"call_id", r->last->call_id},
                                             {"time", json_time(r->last->at)},
                                             {"cost", r->last->cost}}
                                      : json(nullptr);
      lim["admits"] = r->answer.admitted;
      lim["admits_at"] = json_time(r->answer.earliest);
      lim["retry_after_ns"] = json_nanos(r->answer.retry_after);
      doc["limiter"] = std::move(lim);
    } else {
      doc["limiter"] = nullptr;
    }
    doc["queued_before"] = queued_ahead;
    doc["decision"] = {
        {"recorded", v.recorded},
        {"seq", v.seq == 0 ? json(nullptr) : json(v.seq)},
        {"agrees", v.recorded == "none" ? json(nullptr) : json(v.agrees)},
        {"why", v.why}};
    doc["events"] = outcome_json(s);
    std::printf("%s\n", dump_json(doc).c_str());
  } else {
    auto name =
        "call " + std::to_string(opt.call) + " of " + text_quote(opt.command);
    if (!key.empty())
      name += ", key " + text_quote(key);
    // The request itself is not recorded: its decision tells of it (or, in
    // logs of record format 1, a call_requested).
    auto& first = s.events.front().body;
    bool request = std::holds_alternative<call_requested>(first) ||
                   std::holds_alternative<call_admitted>(first) ||
                   std::holds_alternative<call_throttled>(first);
    std::printf("%s, %s %s (seq %llu)\n", name.c_str(),
                request ? "requested at" : "first seen at",
                format_time(requested).c_str(),
                static_cast<unsigned long long>(first_seq));
    if (!s.policy || s.policy->spec.empty()) {
      std::printf(
          "policy in force: none (%s): every call is admitted at "
          "once\n",
          s.policy ? ("limiter removed at seq " + std::to_string(s.policy->seq))
                         .c_str()
                   : "the command recorded no limiter before it");
    } else {
      std::printf("policy in force: %s (recorded at seq %llu, %s)\n",
                  s.policy->spec.c_str(),
                  static_cast<unsigned long long>(s.policy->seq),
                  format_time(s.policy->at).c_str());
      auto whose = key.empty() ? std::string{"the command's limiter"}
                               : "the limiter of key " + text_quote(key);
      std::printf("%s, rebuilt from the %llu admission%s before the call: "
                  "%s\n",
                  whose.c_str(), static_cast<unsigned long long>(r->admissions),
                  r->admissions == 1 ? "" : "s",
                  state_text(*r, requested).c_str());
      if (r->last)
        std::printf("  the last admission: %s\n",
                    admission_text(*r->last).c_str());
      if (r->last && r->last->at > requested)
        std::printf("  note: admissions before it in the log are stamped "
                    "after its request (the clock went back, or more than "
                    "one process wrote the log)\n");
      std::printf("  %s\n", answer_text(*r, cost, admitted != nullptr).c_str());
    }
    std::printf("decision: %s (seq %llu): %s\n", v.recorded.c_str(),
                static_cast<unsigned long long>(v.seq), v.why.c_str());
    if (v.recorded != "admitted" && v.recorded != "none" &&
        v.retry_after != duration::max()) {
      std::string line =
          "  recorded retry-after: " + duration_to_text(v.retry_after);
      if (r && !r->answer.admitted && r->answer.retry_after != v.retry_after)
        line += "; the rebuilt limiter says " +
                duration_to_text(r->answer.retry_after) +
                (admitted ? "" : " for a call of cost 1");
      std::printf("%s\n", line.c_str());
    }
    if (!v.agrees)
      std::printf("the log and the rebuilt limiter disagree\n");
    for (auto& line : outcome_lines(s, v.seq))
      std::printf("%s\n", line.c_str());
  }
  if (std::fflush(stdout) != 0) {
    complain("explain", "writing to standard output failed");
    return exit_data_error;
  }
  return exit_ok;
}

} // namespace

void add_explain(CLI::App& app, int& result) {
  auto opt = std::make_shared<explain_options>();
  auto* cmd = app.add_subcommand(
      "explain", "Rebuild a command's limiter at one call from the log: the "
                 "policy in force, the state, the decision and why, and when "
                 "the call would have been admitted");
  cmd->add_option("PATH", opt->path, "Folder of the log")->required();
  cmd->add_option("--command", opt->command,
                  "The command (the source of its call events)")
      ->required();
  add_number_option(*cmd, "--call", opt->call,
                    "The call's id (call_id in its events)", 1, UINT64_MAX)
      ->required();
  cmd->add_option("--format", opt->format, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->callback([opt, &result] { result = run_explain(*opt); });
}

} // namespace tc::tool
