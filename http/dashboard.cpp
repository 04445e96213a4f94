// The dashboard (dashboard.hpp): the view folded from events, its JSON and
// Prometheus forms, and the HTTP server around them.

#include "timecontrol/http/dashboard.hpp"

#include <arpa/inet.h>
#include <httplib.h>
#include <netdb.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>

#include <caf/actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>

#include "timecontrol/actors/detail/backlog.hpp"
#include "timecontrol/actors/runtime.hpp"
#include "timecontrol/core/address.hpp"
#include "timecontrol/core/deadline_status.hpp"
#include "timecontrol/core/error.hpp"
#include "timecontrol/plugins/schedule_view.hpp"
#include "timecontrol/plugins/stats.hpp"
#include "timecontrol/policies/cron.hpp"
#include "timecontrol/policies/deadline.hpp"
#include "timecontrol/policies/watch_spec.hpp"
#include "timecontrol/text/format.hpp"
#include "timecontrol/text/json.hpp"

namespace tc {

namespace detail {

/// The page (page.cpp).
std::string_view dashboard_page();

} // namespace detail

namespace {

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
    // Kept as they are, formatted when asked for: an assignment into a
    // slot reuses its strings' memory, where formatting every event as
    // JSON cost the Bus observer of a busy runtime a tenth of its time.
    latest_[events_ % latest_events] = x;
    ++events_;
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

  // A process stopped writing, or began to (after one that crashed): the
  // calls it had queued or running ended with it (no event will tell).
  void fold(const envelope&, const node_started&) { forget_calls(); }

  void fold(const envelope&, const node_stopped&) { forget_calls(); }

  void forget_calls() {
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
      // A pause of a watch it does not know shows no row.
      if (auto w = watches_.find({std::string{paused}, x.source});
          w != watches_.end() && w->second.policy)
        w->second.policy->paused(x.time);
    } else if (auto resumed = parse_resume_spec(e.policy); !resumed.empty()) {
      if (auto w = watches_.find({std::string{resumed}, x.source});
          w != watches_.end() && w->second.policy)
        w->second.policy->resumed(x.time);
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
  // The latest events, a ring: event number n (from 0) in slot n % size.
  std::array<envelope, latest_events> latest_;
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
  // Newest first.
  auto kept = std::min<uint64_t>(events_, latest_events);
  for (uint64_t n = events_; n > events_ - kept; --n)
    latest.push_back(
        json::parse(valid_utf8(format_json(latest_[(n - 1) % latest_events])),
                    nullptr, false));
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

} // namespace

// -- the server ---------------------------------------------------------------

namespace {

/// At most this many /api/events streams at once: each holds one of the
/// server's threads (a dashboard tab is one); more are answered 503.
constexpr int max_streams = 32;

/// An event stream without changes sends a comment this often: it keeps
/// the connection open, and the failed write is how a stream learns that
/// its client went away (and frees its slot and thread).
constexpr auto keep_alive = std::chrono::seconds{1};

/// The longest refresh: beyond it a change would wait behind keep-alives.
constexpr auto max_refresh = std::chrono::seconds{15};

/// The host of a Host header ("127.0.0.1:8080", "[::1]:8080", "localhost"),
/// without its port and brackets.
std::string host_of(const std::string& header) {
  if (!header.empty() && header.front() == '[') {
    auto end = header.find(']');
    return end == std::string::npos ? header : header.substr(1, end - 1);
  }
  auto colon = header.find(':');
  return colon == std::string::npos ? header : header.substr(0, colon);
}

} // namespace

struct dashboard::state {
  dashboard_config config;
  std::string host; // without brackets
  uint16_t port = 0;

  // Guards v, version, stopping, listening, port (written by listen()) and
  // backlog (set by follow()).
  std::mutex mtx;
  std::condition_variable changed; // stopping
  view v;
  uint64_t version = 0; // one more per event folded in
  bool stopping = false;
  bool listening = false;
  std::atomic<int> streams = 0;

  // listen(), follow() and stop() hold it throughout, one at a time, and
  // they alone touch what follows (backlog is read under mtx too).
  std::mutex control;
  bool threads_ended = false; // stop() saw the server's threads end
  // Inside a runtime (follow()): the observer that feeds v.
  caf::actor observer;
  // ... and its Log's backlog (under mtx).
  std::function<uint64_t()> backlog;
  httplib::Server http;
  std::thread server;
  std::promise<void> served; // set when the server's thread ends
  std::shared_future<void> served_future;

  state(dashboard_config cfg, std::string h, uint16_t p)
      : config(std::move(cfg)), host(std::move(h)), port(p),
        v(config.scheduler) {}

  void fold(const envelope& x) {
    std::lock_guard<std::mutex> guard{mtx};
    if (x.seq <= v.last_seq())
      return;
    v.fold(x);
    ++version;
  }

  std::string metrics() {
    std::string text;
    std::optional<uint64_t> pending;
    {
      std::lock_guard<std::mutex> guard{mtx};
      text = v.metrics();
      if (backlog)
        pending = backlog();
    }
    if (pending)
      text += "# HELP timecontrol_log_backlog_bytes Bytes of events handed to "
              "the Log and not yet written.\n# TYPE "
              "timecontrol_log_backlog_bytes gauge\n"
              "timecontrol_log_backlog_bytes " +
              std::to_string(*pending) + "\n";
    text += "# HELP timecontrol_dashboard_event_streams Open /api/events "
            "streams (at most " +
            std::to_string(max_streams) +
            ").\n# TYPE timecontrol_dashboard_event_streams gauge\n"
            "timecontrol_dashboard_event_streams " +
            std::to_string(streams.load()) + "\n";
    return text;
  }

  void route();

  /// /api/state's text, rendered once per version however many streams
  /// and requests ask for it. Under mtx.
  const std::string& state_json() {
    if (rendered_version != version || rendered_state.empty()) {
      rendered_state = dump_json(v.state());
      rendered_version = version;
    }
    return rendered_state;
  }
  std::string rendered_state;
  uint64_t rendered_version = 0;

  /// The version an event stream sent last, when, and when it wrote
  /// anything.
  struct stream_progress {
    uint64_t sent = UINT64_MAX;
    std::chrono::steady_clock::time_point state;
    std::chrono::steady_clock::time_point write;
  };

  /// Writes an event stream's next chunk when it is due (see route()).
  bool stream(stream_progress& p, httplib::DataSink& sink);
};

bool dashboard::state::stream(stream_progress& p, httplib::DataSink& sink) {
  using steady = std::chrono::steady_clock;
  // Folding events wakes no one (at many events per second that
  // would cost the folder): the stream looks at the view every
  // `refresh` (or keep_alive, if sooner).
  auto poll = std::min<steady::duration>(config.refresh, keep_alive);
  std::unique_lock<std::mutex> lock{mtx};
  for (;;) {
    if (stopping) {
      // The last chunk, so that the client sees the stream end
      // rather than cut off.
      lock.unlock();
      sink.done();
      return true;
    }
    auto now = steady::now();
    bool changed_since = version != p.sent;
    // The state at once, then when the view changed, but not
    // sooner than `refresh` after the last one.
    if (p.sent == UINT64_MAX ||
        (changed_since && now >= p.state + config.refresh)) {
      p.sent = version;
      p.state = p.write = now;
      auto chunk = "event: state\ndata: " + state_json() + "\n\n";
      lock.unlock();
      // False when the client went away: the provider ends.
      return sink.write(chunk.data(), chunk.size());
    }
    // A comment after keep_alive without a write: a write to a
    // client that went away fails, and frees its slot.
    if (now >= p.write + keep_alive) {
      p.write = now;
      lock.unlock();
      return sink.write(": keep-alive\n\n", 15);
    }
    auto wake = p.write + keep_alive;
    wake =
        std::min(wake, changed_since ? p.state + config.refresh : now + poll);
    changed.wait_until(lock, wake, [&] { return stopping; });
  }
}

void dashboard::state::route() {
  http.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string{detail::dashboard_page()},
                    "text/html; charset=utf-8");
  });
  http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics(), "text/plain; version=0.0.4; charset=utf-8");
  });
  http.Get("/api/state",
           [this](const httplib::Request&, httplib::Response& res) {
             std::string text;
             {
               std::lock_guard<std::mutex> guard{mtx};
               text = state_json();
             }
             res.set_content(text, "application/json");
           });
  http.Get("/api/events",
           [this](const httplib::Request&, httplib::Response& res) {
             if (++streams > max_streams) {
               --streams;
               res.status = 503;
               res.set_header("Retry-After", "10");
               res.set_content("503: " + std::to_string(max_streams) +
                                   " event streams are open already\n",
                               "text/plain");
               return;
             }
             res.set_header("Cache-Control", "no-cache");
             // The connection ends with the stream: one request per connection
             // (set_keep_alive_max_count), so httplib says Connection: close.
             auto p = std::make_shared<stream_progress>();
             res.set_chunked_content_provider(
                 "text/event-stream",
                 [this, p](size_t, httplib::DataSink& sink) {
                   // An exception here would reach httplib's thread and end the
                   // process: the stream ends instead.
                   try {
                     return stream(*p, sink);
                   } catch (...) {
                     return false;
                   }
                 },
                 [this](bool) { --streams; });
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
  http.Options(".*", not_allowed);
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
  // On loopback, only requests that name a loopback host: a page of another
  // site could otherwise point a name of its own at 127.0.0.1 (DNS
  // rebinding) and read the dashboard from the visitor's browser.
  // And no Range requests: httplib would cut a slice of a view that
  // changes between requests (and send it as the whole, or as 206 without
  // a Content-Range).
  http.set_pre_routing_handler(
      [this](const httplib::Request& req, httplib::Response& res) {
        auto header = req.get_header_value("Host");
        auto name = host_of(header);
        if (!config.insecure && !header.empty() && !is_loopback(name) &&
            ::strcasecmp(name.c_str(), host.c_str()) != 0) {
          res.status = 403;
          res.set_content("403 forbidden: Host '" + header +
                              "' is not this machine's loopback address\n",
                          "text/plain");
          return httplib::Server::HandlerResponse::Handled;
        }
        if (req.has_header("Range")) {
          res.status = 416;
          res.set_content("416: no ranges; every answer is the whole view\n",
                          "text/plain");
          return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
      });
  // One request per connection: a connection that waited for another
  // request after its answer (an event stream that ended, say) would hold
  // a server thread up to httplib's keep-alive timeout (5 s) past stop().
  http.set_keep_alive_max_count(1);
  // Requests carry no body: a large one is refused before it is read.
  http.set_payload_max_length(64 * 1024);
  // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, with which a
  // second server on the same port would share it silently.
  http.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
}

// -- dashboard ----------------------------------------------------------------

dashboard::dashboard(std::shared_ptr<state> s) : state_(std::move(s)) {}

dashboard::~dashboard() {
  stop();
}

caf::expected<std::unique_ptr<dashboard>>
dashboard::create(dashboard_config config) {
  auto& text = config.listen;
  auto address = parse_host_port(text);
  if (!address)
    return make_error(errc::bad_config,
                      "dashboard: listen '" + text +
                          "': expected HOST:PORT with a port from 0 to "
                          "65535 (no scheme, an IPv6 address in brackets), "
                          "e.g. 127.0.0.1:8080 or [::1]:8080");
  auto& [host, port] = *address;
  if (!is_loopback(host) && !config.insecure)
    return make_error(errc::bad_config,
                      "dashboard: listen '" + text +
                          "': not a loopback address; the dashboard and the "
                          "metrics have no authentication, so serving them "
                          "to the network needs insecure = true");
  if (config.refresh < std::chrono::milliseconds{10} ||
      config.refresh > max_refresh)
    return make_error(errc::bad_config,
                      "dashboard: refresh " +
                          std::to_string(config.refresh.count()) +
                          "ms: from 10ms to 15s");
  auto s = std::make_shared<state>(std::move(config), std::move(host), port);
  s->route();
  return std::unique_ptr<dashboard>{new dashboard(std::move(s))};
}

caf::expected<std::unique_ptr<dashboard>>
dashboard::serve(runtime& rt, dashboard_config config) {
  auto d = create(std::move(config));
  if (!d)
    return d.error();
  if (auto err = (*d)->follow(rt))
    return err;
  if (auto port = (*d)->listen(); !port)
    return port.error();
  return d;
}

caf::error dashboard::follow(runtime& rt) {
  auto& s = *state_;
  std::lock_guard<std::mutex> control{s.control};
  // stop() sets stopping under control too: no need of mtx to read it.
  if (s.stopping)
    return make_error(errc::closed, "dashboard: stopped");
  if (s.observer)
    return make_error(errc::bad_config, "dashboard: follows a runtime already");
  {
    std::lock_guard<std::mutex> guard{s.mtx};
    s.backlog = [b = rt.backlog_ptr()] { return b->bytes(); };
  }
  s.observer =
      rt.observe({}, [keep = state_](const envelope& x) { keep->fold(x); });
  return {};
}

caf::expected<uint16_t> dashboard::listen() {
  auto& s = *state_;
  // One listen() or stop() at a time: two binds of one server, or a stop
  // between the check and the bind, would leave a server nobody stops.
  std::lock_guard<std::mutex> control{s.control};
  {
    std::lock_guard<std::mutex> guard{s.mtx};
    if (s.stopping)
      return make_error(errc::closed, "dashboard: stopped");
    if (s.listening)
      return s.port;
  }
  int bound = s.port;
  if (s.port == 0)
    bound = s.http.bind_to_any_port(s.host);
  else if (!s.http.bind_to_port(s.host, s.port))
    bound = -1;
  if (bound <= 0) {
    // httplib says only that it failed; a name that does not resolve is
    // told apart here.
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    auto rc = ::getaddrinfo(s.host.c_str(), nullptr, &hints, &found);
    if (found)
      ::freeaddrinfo(found);
    return make_error(errc::operation_failed,
                      "dashboard: cannot listen on " + s.config.listen +
                          (rc != 0 ? std::string{": the host does not "
                                                 "resolve ("} +
                                         ::gai_strerror(rc) + ")"
                                   : std::string{" (the address is in use, "
                                                 "not this machine's, or the "
                                                 "port needs privileges)"}));
  }
  {
    std::lock_guard<std::mutex> guard{s.mtx};
    s.port = static_cast<uint16_t>(bound);
    s.listening = true;
  }
  // The thread owns the state too: if stop() gives up waiting for it (a
  // client holds a connection), the state lives until it ends.
  auto ended = s.served.get_future().share();
  s.served_future = ended;
  s.server = std::thread{[keep = state_] {
    keep->http.listen_after_bind();
    keep->served.set_value();
  }};
  // Until the thread runs the server, httplib's stop() would do nothing
  // (and the server would then run on unstopped): wait for it, a matter
  // of microseconds.
  while (!s.http.is_running() &&
         ended.wait_for(std::chrono::seconds{0}) != std::future_status::ready)
    std::this_thread::yield();
  return s.port;
}

void dashboard::fold(const envelope& x) {
  state_->fold(x);
}

seq_t dashboard::last_seq() const {
  std::lock_guard<std::mutex> guard{state_->mtx};
  return state_->v.last_seq();
}

uint16_t dashboard::port() const {
  std::lock_guard<std::mutex> guard{state_->mtx};
  return state_->listening ? state_->port : 0;
}

std::string dashboard::url() const {
  auto p = port();
  if (p == 0)
    return {};
  auto& host = state_->host;
  auto shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return "http://" + shown + ":" + std::to_string(p) + "/";
}

bool dashboard::stop() {
  auto& s = *state_;
  std::lock_guard<std::mutex> control{s.control};
  bool listening = false;
  {
    std::lock_guard<std::mutex> guard{s.mtx};
    if (s.stopping)
      return s.threads_ended;
    s.stopping = true;
    listening = s.listening;
  }
  // The handle goes too: the state may outlive the actor system (a server
  // thread that keeps it past stop()).
  if (auto observer = std::exchange(s.observer, nullptr))
    caf::anon_send_exit(observer, caf::exit_reason::user_shutdown);
  s.changed.notify_all();
  if (!listening)
    return s.threads_ended = true;
  // The server's threads end with their connections; one a client keeps
  // open must not hold the caller up for more than a second.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{1};
  // The streams first: each ends with its last chunk and closes its
  // connection (Connection: close) while the server still runs. Once it
  // stops, httplib cuts a stream off between two writes, without the last
  // chunk.
  while (s.streams.load() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds{1});
  s.http.stop();
  if (s.served_future.wait_until(deadline) != std::future_status::ready) {
    s.server.detach();
    return false;
  }
  s.server.join();
  std::lock_guard<std::mutex> guard{s.mtx};
  return s.threads_ended = true;
}

} // namespace tc
