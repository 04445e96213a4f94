// `timecontrol serve PATH [--http HOST:PORT] [--poll 200ms]`: an operator's
// view of a log over HTTP, live while another process writes the log.
//
// It follows the log as `replay --follow` does (a read-only follower that
// catches up every --poll) and folds each new event into a view of it: per
// command its limiter, calls by outcome, throttles by action, the calls
// queued and running and the keys admitted in the last minute, waits and
// durations; per watch its status and since when, last call, next due time
// and misses; the Scheduler's next runs; the latest events. It serves:
//
//   GET /             the dashboard: one self-contained page (no external
//                     scripts, fonts or styles; works offline) that shows
//                     the view and updates itself from /api/events
//   GET /metrics      the view in Prometheus' text exposition format 0.0.4
//   GET /api/state    the view as one JSON object (json.hpp's conventions)
//   GET /api/events   server-sent events: "state" with the JSON of
//                     /api/state at once and after each poll that brought
//                     events, and a comment every 15 s to keep it open
//
// Any other path is 404, any other method 405 (with Allow: GET, HEAD). The
// Prometheus names follow its conventions: a timecontrol_ prefix, base
// units (seconds), _total for counters, a watch's status as a state set
// (one series per status, 1 for the current one).
//
// It listens on loopback (127.0.0.1:8080) by default. The page and the
// metrics have no authentication, so another address is refused unless
// --insecure says that is meant. Port 0 takes a free port; the first line
// on standard output says where it serves ("serving http://127.0.0.1:43127/
// for LOG"). It stops on SIGINT, SIGTERM or SIGHUP (exit 0), within a
// second even if a client keeps a connection open. Exit codes: 2 bad flags,
// 3 the log cannot be opened, is removed (or replaced) while served, or the
// address cannot be listened on, 4 the log is damaged (a record that does
// not decode, or 10 catch-ups in a row that fail). Names that are not
// valid UTF-8 have their bad bytes replaced by U+FFFD in the JSON and the
// metrics. Not hardened against slow clients: 64 connections that send a
// byte now and then hold every server thread (keep it on loopback, or put
// a proxy in front); pipelined requests are not answered (cpp-httplib).
//
// The HTTP server is cpp-httplib (Debian's libcpp-httplib-dev), a thread per
// connection from a pool; the view is guarded by one mutex, which the
// follower holds while it folds a poll's events in and each request while
// it renders.

#include <CLI/CLI.hpp>

#include <httplib.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>

#include "timecontrol/core/deadline_status.hpp"
#include "timecontrol/plugins/schedule_view.hpp"
#include "timecontrol/plugins/stats.hpp"
#include "timecontrol/policies/cron.hpp"
#include "timecontrol/policies/deadline.hpp"
#include "timecontrol/policies/spec.hpp"
#include "timecontrol/policies/watch_spec.hpp"
#include "timecontrol/tools/commands.hpp"
#include "timecontrol/tools/format.hpp"
#include "timecontrol/tools/json.hpp"
#include "timecontrol/tools/numbers.hpp"
#include "timecontrol/tools/reading.hpp"
#include "timecontrol/tools/serve.hpp"
#include "timecontrol/tools/signals.hpp"

namespace tc::tool {

namespace {

struct serve_options {
  std::string path;
  std::string http = "127.0.0.1:8080";
  std::string poll = "200ms";
  std::string scheduler{default_scheduler_name};
  bool insecure = false;
};

// -- the view -----------------------------------------------------------------

/// Upper bounds of the histogram buckets of waits and durations, seconds.
constexpr std::array<double, 12> bounds{0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
                                        0.25,  0.5,   1,    2.5,   5,    10};

/// A Prometheus histogram: counts per bucket (not cumulative), sum, count.
struct seconds_histogram {
  std::array<uint64_t, bounds.size()> buckets{};
  double sum = 0;
  uint64_t count = 0;

  void add(duration d) {
    auto s = std::chrono::duration<double>(d).count();
    sum += s;
    ++count;
    for (size_t i = 0; i < bounds.size(); ++i)
      if (s <= bounds[i]) {
        ++buckets[i];
        return;
      }
  }
};

// What a command's counts (the stats plugin's) leave out.
struct command_view {
  std::string policy;
  std::set<uint64_t> queued;
  std::set<uint64_t> running;
  // The latest admission of each key; keys idle for a minute are dropped
  // once the map has doubled since the last sweep.
  std::unordered_map<std::string, time_point> keys;
  size_t keys_swept = 0;
  seconds_histogram waits;
  seconds_histogram durations;
  time_point last_call{};
};

struct watch_view {
  deadline_status status = deadline_status::never_called;
  time_point since{};
  uint64_t misses = 0;
  std::optional<watch> config;
  // The watch's rule, fed the same facts as the Controller's (calls,
  // pauses): its due time is the next one the dashboard shows.
  std::optional<deadline> policy;
};

constexpr size_t latest_events = 50;

class view {
public:
  explicit view(std::string scheduler) : schedule_(std::move(scheduler)) {}

  void fold(const envelope& x) {
    last_seq_ = x.seq;
    until_ = std::max(until_, x.time);
    ++events_;
    latest_.push_back(format_json(x));
    if (latest_.size() > latest_events)
      latest_.pop_front();
    schedule_.consume(x);
    stats_.consume(x);
    std::visit([&](const auto& body) { fold(x, body); }, x.body);
  }

  /// The view as /api/state's JSON.
  json state() const;

  /// The view in Prometheus' text format.
  std::string metrics() const;

  seq_t last_seq() const noexcept { return last_seq_; }

private:
  template <class T>
  void fold(const envelope&, const T&) {
    // other events: counted and listed only
  }

  // A process began writing: the calls the previous one had queued or
  // running ended with it (no event will tell).
  void fold(const envelope&, const node_started&) {
    for (auto& [name, c] : commands_) {
      c.queued.clear();
      c.running.clear();
    }
  }

  void fold(const envelope& x, const policy_changed& e) {
    // A command's limiter spec, or a controller's watch, pause, resume.
    watch w;
    if (parse_watch_spec(e.policy, w)) {
      watch_started(watches_[{w.command, x.source}], w, x.time);
    } else if (auto name = parse_unwatch_spec(e.policy); !name.empty()) {
      watches_.erase({std::string{name}, x.source});
    } else if (auto paused = parse_pause_spec(e.policy); !paused.empty()) {
      if (auto& p = watches_[{std::string{paused}, x.source}].policy)
        p->paused(x.time);
    } else if (auto resumed = parse_resume_spec(e.policy); !resumed.empty()) {
      if (auto& p = watches_[{std::string{resumed}, x.source}].policy)
        p->resumed(x.time);
    } else {
      commands_[x.source].policy = e.policy;
    }
  }

  // A watch begins, or changes (its calls so far kept), as a Controller's
  // does (a cron expression that does not parse keeps no rule).
  static void watch_started(watch_view& v, const watch& w, time_point at) {
    v.config = w;
    if (w.cron.empty()) {
      if (v.policy)
        v.policy->reconfigure(w.period, w.grace, at);
      else
        v.policy.emplace(w.period, w.grace, at, true);
      return;
    }
    auto schedule = cron_schedule::parse(w.cron);
    if (!schedule)
      v.policy.reset();
    else if (v.policy)
      v.policy->reconfigure(std::move(*schedule), w.grace, at);
    else
      v.policy.emplace(std::move(*schedule), w.grace, at, true);
  }

  // The watches of `command`, each as `f(watch_view&)`.
  template <class F>
  void each_watch_of(const std::string& command, F f) {
    for (auto i = watches_.lower_bound({command, std::string{}});
         i != watches_.end() && i->first.first == command; ++i)
      f(i->second);
  }

  // A request or a start (logs of earlier builds record them) shows the
  // command; the counts come from the other events.
  void fold(const envelope& x, const call_requested&) {
    (void)commands_[x.source];
  }

  void fold(const envelope& x, const call_started&) {
    (void)commands_[x.source];
  }

  void fold(const envelope& x, const call_admitted& e) {
    auto& c = commands_[x.source];
    c.queued.erase(e.call_id);
    c.running.insert(e.call_id);
    c.waits.add(e.waited);
    c.last_call = x.time;
    each_watch_of(x.source, [&](watch_view& w) {
      if (w.policy)
        w.policy->started(e.call_id, x.time);
    });
    if (!e.key.empty()) {
      c.keys[e.key] = x.time;
      if (c.keys.size() >= 2 * std::max<size_t>(c.keys_swept, 1024)) {
        std::erase_if(c.keys, [&](const auto& k) {
          return k.second + std::chrono::minutes{1} <= x.time;
        });
        c.keys_swept = c.keys.size();
      }
    }
  }

  void fold(const envelope& x, const call_throttled& e) {
    auto& c = commands_[x.source];
    if (e.action == throttle_action::waited)
      c.queued.insert(e.call_id);
    else
      c.queued.erase(e.call_id);
  }

  void fold(const envelope& x, const call_finished& e) {
    auto& c = commands_[x.source];
    c.running.erase(e.call_id);
    each_watch_of(x.source, [&](watch_view& w) {
      if (w.policy)
        w.policy->finished(e.call_id, x.time,
                           e.ok || (w.config && w.config->count_failures));
    });
    c.durations.add(e.took);
  }

  void fold(const envelope& x, const deadline_status_changed& e) {
    auto& w = watches_[{e.command, x.source}];
    w.status = e.to;
    w.since = x.time;
  }

  void fold(const envelope& x, const deadline_missed& e) {
    ++watches_[{e.command, x.source}].misses;
  }

  /// The stats plugin's counts of `name` (zeros if it has none yet).
  const command_stats& counts(const std::string& name) const {
    static const command_stats none;
    auto* c = stats_.command(name);
    return c ? *c : none;
  }

  // Calls by outcome, throttles by action: the stats plugin's rules.
  stats stats_;
  std::map<std::string, command_view> commands_;
  // By (command, controller): a command's watches side by side.
  std::map<std::pair<std::string, std::string>, watch_view> watches_;
  std::deque<std::string> latest_;
  schedule_view schedule_;
  seq_t last_seq_ = 0;
  uint64_t events_ = 0;
  time_point until_{};
};

json view::state() const {
  json doc;
  doc["last_seq"] = last_seq_;
  doc["until"] = events_ == 0 ? json(nullptr) : json_time(until_);
  json commands = json::array();
  for (auto& [name, c] : commands_) {
    auto& n = counts(name);
    size_t keys = 0;
    for (auto& [key, at] : c.keys)
      if (at + std::chrono::minutes{1} > until_)
        ++keys;
    commands.push_back(
        {{"command", name},
         {"policy", c.policy},
         {"admitted", n.admitted},
         {"queued", n.throttled[0]},
         {"rejected", n.throttled[1]},
         {"dropped", n.throttled[2]},
         {"expired", n.expired},
         {"ok", n.finished_ok},
         {"failed", n.failed},
         {"timed_out", n.timed_out},
         {"waiting", c.queued.size()},
         {"running", c.running.size()},
         {"keys_last_minute", keys},
         {"last_call", c.last_call == time_point{} ? json(nullptr)
                                                   : json_time(c.last_call)}});
  }
  doc["commands"] = std::move(commands);
  json watches = json::array();
  for (auto& [key, w] : watches_) {
    auto c = commands_.find(key.first);
    auto last = c == commands_.end() ? time_point{} : c->second.last_call;
    auto due = w.policy ? w.policy->due() : std::nullopt;
    watches.push_back(
        {{"controller", key.second},
         {"command", key.first},
         {"status", std::string{to_string(w.status)}},
         {"since",
          w.since == time_point{} ? json(nullptr) : json_time(w.since)},
         {"last_call", last == time_point{} ? json(nullptr) : json_time(last)},
         {"next_due", due ? json_time(*due) : json(nullptr)},
         {"misses", w.misses},
         {"period_ns", w.config && w.config->cron.empty()
                           ? json(w.config->period.count())
                           : json(nullptr)},
         {"cron", w.config && !w.config->cron.empty() ? json(w.config->cron)
                                                      : json(nullptr)},
         {"grace_ns",
          w.config ? json(w.config->grace.count()) : json(nullptr)}});
  }
  doc["watches"] = std::move(watches);
  json runs = json::array();
  for (auto& r : schedule_.upcoming(time_point::min(), time_point::max(), 10)) {
    auto* p = schedule_.find(r.id);
    runs.push_back(
        {{"time", json_time(r.due)},
         {"intent", r.id},
         {"target", p ? p->target : std::string{}},
         {"trigger", p ? readable_trigger(p->trigger_spec) : std::string{}}});
  }
  doc["upcoming"] = std::move(runs);
  json latest = json::array();
  for (auto i = latest_.rbegin(); i != latest_.rend(); ++i)
    latest.push_back(json::parse(valid_utf8(*i), nullptr, false));
  doc["latest_events"] = std::move(latest);
  return doc;
}

// A label value as the text format writes it: \, " and newline escaped.
std::string label(std::string_view text) {
  std::string out;
  for (char c : valid_utf8(text)) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

// The shortest text that reads back as `x` ("0.005", not
// "0.0050000000000000001").
std::string number(double x) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
  return ec == std::errc{} ? std::string{buf, end} : std::string{"NaN"};
}

std::string view::metrics() const {
  std::string out;
  auto family = [&](const char* name, const char* type, const char* help) {
    out += std::string{"# HELP "} + name + " " + help + "\n# TYPE " + name +
           " " + type + "\n";
  };
  auto sample = [&](const std::string& name, const std::string& labels,
                    const std::string& value) {
    out += name;
    if (!labels.empty())
      out += "{" + labels + "}";
    out += " " + value + "\n";
  };
  auto cmd = [](const std::string& name) {
    return "command=\"" + label(name) + "\"";
  };
  family("timecontrol_calls_admitted_total", "counter",
         "Calls a command's limiter admitted.");
  for (auto& [name, c] : commands_)
    sample("timecontrol_calls_admitted_total", cmd(name),
           std::to_string(counts(name).admitted));
  family("timecontrol_calls_throttled_total", "counter",
         "Calls a command's limiter throttled, by what it did with them.");
  constexpr const char* actions[] = {"waited", "rejected", "dropped",
                                     "expired"};
  for (auto& [name, c] : commands_) {
    auto& n = counts(name);
    for (size_t i = 0; i < 4; ++i)
      sample("timecontrol_calls_throttled_total",
             cmd(name) + ",action=\"" + actions[i] + "\"",
             std::to_string(i < 3 ? n.throttled[i] : n.expired));
  }
  family("timecontrol_calls_finished_total", "counter",
         "Calls that ended, by outcome (a call that timed out counts once, "
         "as timed_out).");
  for (auto& [name, c] : commands_) {
    auto& n = counts(name);
    sample("timecontrol_calls_finished_total", cmd(name) + ",outcome=\"ok\"",
           std::to_string(n.finished_ok));
    sample("timecontrol_calls_finished_total",
           cmd(name) + ",outcome=\"failed\"", std::to_string(n.failed));
    sample("timecontrol_calls_finished_total",
           cmd(name) + ",outcome=\"timed_out\"", std::to_string(n.timed_out));
  }
  family("timecontrol_calls_queued", "gauge",
         "Calls waiting in a command's queue for its limiter.");
  for (auto& [name, c] : commands_)
    sample("timecontrol_calls_queued", cmd(name),
           std::to_string(c.queued.size()));
  family("timecontrol_calls_running", "gauge",
         "Calls a command admitted that have not ended.");
  for (auto& [name, c] : commands_)
    sample("timecontrol_calls_running", cmd(name),
           std::to_string(c.running.size()));
  auto histogram = [&](const char* name, const char* help,
                       seconds_histogram command_view::*member) {
    family(name, "histogram", help);
    for (auto& [command, c] : commands_) {
      auto& h = c.*member;
      uint64_t cumulative = 0;
      for (size_t i = 0; i < bounds.size(); ++i) {
        cumulative += h.buckets[i];
        sample(std::string{name} + "_bucket",
               cmd(command) + ",le=\"" + number(bounds[i]) + "\"",
               std::to_string(cumulative));
      }
      sample(std::string{name} + "_bucket", cmd(command) + ",le=\"+Inf\"",
             std::to_string(h.count));
      sample(std::string{name} + "_sum", cmd(command), number(h.sum));
      sample(std::string{name} + "_count", cmd(command),
             std::to_string(h.count));
    }
  };
  histogram("timecontrol_call_wait_seconds",
            "Time admitted calls waited in the queue.", &command_view::waits);
  histogram("timecontrol_call_duration_seconds",
            "Time from a call's start to its end.", &command_view::durations);
  family("timecontrol_deadline_misses_total", "counter",
         "Times a watched command became overdue (late or down).");
  for (auto& [key, w] : watches_)
    sample("timecontrol_deadline_misses_total",
           "controller=\"" + label(key.second) + "\"," + cmd(key.first),
           std::to_string(w.misses));
  family("timecontrol_watch_status", "gauge",
         "A watch's status, as a state set: 1 for the current one.");
  constexpr deadline_status statuses[] = {
      deadline_status::never_called, deadline_status::up, deadline_status::late,
      deadline_status::down, deadline_status::paused};
  for (auto& [key, w] : watches_)
    for (auto s : statuses)
      sample("timecontrol_watch_status",
             "controller=\"" + label(key.second) + "\"," + cmd(key.first) +
                 ",status=\"" + std::string{to_string(s)} + "\"",
             w.status == s ? "1" : "0");
  family("timecontrol_log_last_seq", "gauge",
         "The sequence number of the log's latest event.");
  sample("timecontrol_log_last_seq", "", std::to_string(last_seq_));
  family("timecontrol_log_events_total", "counter",
         "Events folded into this view since it started.");
  sample("timecontrol_log_events_total", "", std::to_string(events_));
  return out;
}

// -- the server ---------------------------------------------------------------

/// At most this many /api/events streams at once: each holds one of the
/// server's threads (a dashboard tab is one); more are answered 503.
constexpr int max_streams = 32;

/// What the follower and the request threads share.
struct shared {
  std::mutex mtx;
  std::condition_variable changed;
  view v;
  uint64_t version = 0; // one more each poll that brought events
  bool stopping = false;
  std::atomic<int> streams = 0;

  explicit shared(std::string scheduler) : v(std::move(scheduler)) {}
};

bool loopback(const std::string& host) {
  return host == "127.0.0.1" || host == "::1" || host == "localhost" ||
         host.rfind("127.", 0) == 0;
}

void route(httplib::Server& http, shared& s) {
  http.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string{dashboard_page()}, "text/html; charset=utf-8");
  });
  http.Get("/metrics", [&s](const httplib::Request&, httplib::Response& res) {
    std::string text;
    {
      std::lock_guard<std::mutex> guard{s.mtx};
      text = s.v.metrics();
    }
    text += "# HELP timecontrol_serve_event_streams Open /api/events "
            "streams (at most " +
            std::to_string(max_streams) +
            ").\n# TYPE timecontrol_serve_event_streams gauge\n"
            "timecontrol_serve_event_streams " +
            std::to_string(s.streams.load()) + "\n";
    res.set_content(text, "text/plain; version=0.0.4; charset=utf-8");
  });
  http.Get("/api/state", [&s](const httplib::Request&, httplib::Response& res) {
    std::string text;
    {
      std::lock_guard<std::mutex> guard{s.mtx};
      text = dump_json(s.v.state());
    }
    res.set_content(text, "application/json");
  });
  http.Get("/api/events", [&s](const httplib::Request&,
                               httplib::Response& res) {
    if (++s.streams > max_streams) {
      --s.streams;
      res.status = 503;
      res.set_header("Retry-After", "10");
      res.set_content("503: " + std::to_string(max_streams) +
                          " event streams are open already\n",
                      "text/plain");
      return;
    }
    res.set_header("Cache-Control", "no-cache");
    auto sent = std::make_shared<uint64_t>(UINT64_MAX);
    res.set_chunked_content_provider(
        "text/event-stream",
        [&s, sent](size_t, httplib::DataSink& sink) {
          std::unique_lock<std::mutex> lock{s.mtx};
          if (*sent != UINT64_MAX)
            s.changed.wait_for(lock, std::chrono::seconds{15}, [&] {
              return s.stopping || s.version != *sent;
            });
          if (s.stopping)
            return false;
          std::string chunk;
          if (s.version != *sent) {
            *sent = s.version;
            chunk = "event: state\ndata: " + dump_json(s.v.state()) + "\n\n";
          } else {
            chunk = ": keep-alive\n\n";
          }
          lock.unlock();
          // False when the client went away: the provider ends.
          return sink.write(chunk.data(), chunk.size());
        },
        [&s](bool) { --s.streams; });
  });
  auto not_allowed = [](const httplib::Request&, httplib::Response& res) {
    res.status = 405;
    res.set_header("Allow", "GET, HEAD");
    res.set_content("405 method not allowed: only GET and HEAD\n",
                    "text/plain");
  };
  http.Post(".*", not_allowed);
  http.Put(".*", not_allowed);
  http.Delete(".*", not_allowed);
  http.Patch(".*", not_allowed);
  http.set_error_handler(
      [](const httplib::Request& req, httplib::Response& res) {
        if (res.status == 404)
          res.set_content("404 not found: " + req.path +
                              " (the paths are /, /metrics, /api/state and "
                              "/api/events)\n",
                          "text/plain");
      });
  // A thread per connection: the event streams, and as many again for the
  // other requests.
  http.new_task_queue = [] { return new httplib::ThreadPool(2 * max_streams); };
  // Requests carry no body: a large one is refused before it is read.
  http.set_payload_max_length(64 * 1024);
  // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, with which a
  // second server on the same port would share it silently.
  http.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
}

int run_serve(const serve_options& opt) {
  auto colon = opt.http.rfind(':');
  std::string host =
      colon == std::string::npos ? "" : opt.http.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2); // [::1]
  auto port_text =
      colon == std::string::npos ? std::string{} : opt.http.substr(colon + 1);
  auto parsed_port = parse_decimal(port_text, 0, 65535);
  uint64_t port = parsed_port.value_or(0);
  if (host.empty() || !parsed_port) {
    complain("serve", "--http '" + opt.http +
                          "': expected HOST:PORT with a port from 0 to 65535, "
                          "e.g. 127.0.0.1:8080");
    return exit_usage;
  }
  if (!loopback(host) && !opt.insecure) {
    complain("serve", "--http '" + opt.http +
                          "': not a loopback address; the dashboard and the "
                          "metrics have no authentication, so serving them "
                          "to the network needs --insecure");
    return exit_usage;
  }
  auto every = parse_duration(opt.poll);
  if (!every || every.value() > std::chrono::hours{1}) {
    complain("serve", "--poll: '" + opt.poll +
                          "' is not a duration from 1ns to 1h: use e.g. "
                          "200ms or 1s");
    return exit_usage;
  }
  if (!catch_stop_signals(false)) {
    complain("serve", "cannot catch SIGINT and SIGTERM");
    return exit_data_error;
  }
  auto store = open_for_following("serve", opt.path);
  if (!store)
    return open_failure_exit_code();
  shared s{opt.scheduler};
  // What the log holds now.
  auto fold = [&](seq_t from, seq_t to) {
    std::lock_guard<std::mutex> guard{s.mtx};
    auto err = store->replay({.from = from, .to = to}, [&](const envelope& x) {
      s.v.fold(x);
      return !interrupted;
    });
    ++s.version;
    s.changed.notify_all();
    return err;
  };
  if (auto err = fold(1, store->last_seq())) {
    complain("serve", render(err));
    return exit_data_error;
  }
  httplib::Server http;
  route(http, s);
  auto bound = static_cast<int>(port);
  if (port == 0)
    bound = http.bind_to_any_port(host);
  else if (!http.bind_to_port(host, bound))
    bound = -1;
  if (bound < 0) {
    complain("serve", "cannot listen on " + opt.http +
                          " (the address is in use, not this machine's, or "
                          "the port needs privileges)");
    return exit_open_failed;
  }
  auto shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  std::printf("serving http://%s:%d/ for %s\n", shown.c_str(), bound,
              opt.path.c_str());
  std::fflush(stdout);
  std::promise<void> listened;
  auto done = listened.get_future();
  std::thread server{[&] {
    http.listen_after_bind();
    listened.set_value();
  }};
  int result = exit_ok;
  int failed_refreshes = 0;
  // The log's folder, to notice it removed (or replaced) while served: a
  // follower would go on reading the files it holds open, and serve what
  // no longer is.
  struct stat opened {};
  bool known = ::stat(opt.path.c_str(), &opened) == 0;
  while (!interrupted && wait_unless_stopped(every.value())) {
    struct stat now {};
    if (known && (::stat(opt.path.c_str(), &now) != 0 ||
                  now.st_ino != opened.st_ino || now.st_dev != opened.st_dev)) {
      complain("serve", "not_found: " + opt.path +
                            ": the log was removed or replaced while served");
      result = exit_open_failed;
      break;
    }
    auto last = store->refresh();
    if (!last) {
      if (++failed_refreshes < 10)
        continue;
      complain("serve", render(last.error()));
      result = exit_data_error;
      break;
    }
    failed_refreshes = 0;
    seq_t from = 0;
    {
      std::lock_guard<std::mutex> guard{s.mtx};
      from = s.v.last_seq() + 1;
    }
    if (*last < from)
      continue;
    if (auto err = fold(from, *last)) {
      complain("serve", render(err));
      result = exit_data_error;
      break;
    }
  }
  {
    std::lock_guard<std::mutex> guard{s.mtx};
    s.stopping = true;
  }
  s.changed.notify_all();
  http.stop();
  // The server's threads end with their connections; a client that keeps
  // one open (sending a byte now and then) must not hold the exit up. Once
  // the follower's folder is removed (the store closed), a second is all
  // they get.
  store.reset();
  std::fflush(stdout);
  if (done.wait_for(std::chrono::seconds{1}) != std::future_status::ready)
    std::_Exit(result);
  server.join();
  return result;
}

} // namespace

void add_serve(CLI::App& app, int& result) {
  auto opt = std::make_shared<serve_options>();
  auto* cmd = app.add_subcommand(
      "serve", "Serve a live dashboard, Prometheus metrics (/metrics) and "
               "JSON (/api/state, /api/events) of a log over HTTP, following "
               "it while another process writes it");
  cmd->add_option("PATH", opt->path, "Folder of the log")->required();
  cmd->add_option("--http", opt->http,
                  "HOST:PORT to listen on (port 0: any free port)")
      ->capture_default_str();
  cmd->add_option("--poll", opt->poll,
                  "How often to catch up with the log's writer")
      ->capture_default_str();
  cmd->add_option("--scheduler", opt->scheduler,
                  "The Scheduler whose runs to show (the source of its "
                  "events)")
      ->capture_default_str();
  cmd->add_flag("--insecure", opt->insecure,
                "Allow an address other than loopback (no authentication)");
  cmd->callback([opt, &result] { result = run_serve(*opt); });
}

} // namespace tc::tool
