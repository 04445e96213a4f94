// `timecontrol demo`: records a synthetic session into a RocksDB log on
// simulated time, then replays the log and summarises it.
//
// The session: an API client limited to 5 calls/s with bursts of 10
// (token_bucket) receives requests at random, admits or rejects them, and
// records each call; a market-data poller that must run every second (with
// half a second of grace) sometimes stalls, and a watchdog records its status
// changes and misses (deadline). Every decision comes from the policies; the
// events are what the actors will record once they exist.

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <unistd.h>

#include "timecontrol/policies/deadline.hpp"
#include "timecontrol/policies/token_bucket.hpp"
#include "timecontrol/storage/event_store.hpp"
#include "timecontrol/tools/commands.hpp"

namespace tc::tool {

namespace {

using namespace std::chrono_literals;

struct demo_options {
  std::string db = "timecontrol-demo.log";
  double seconds = 60;
  bool sync = false;
  uint64_t seed = 1;
};

// Writes the simulated session; returns the number of events appended.
caf::expected<size_t> record_session(event_store& store,
                                     const demo_options& opt) {
  std::mt19937_64 rng{opt.seed};
  auto start = time_point{std::chrono::duration_cast<duration>(
      std::chrono::system_clock::now().time_since_epoch())};
  auto end = start + std::chrono::duration_cast<duration>(
                         std::chrono::duration<double>(opt.seconds));
  std::vector<envelope> pending;
  size_t appended = 0;
  auto record = [&](time_point t, std::string source, event body) {
    pending.push_back(envelope{0, t, std::move(source), std::move(body)});
  };
  auto flush = [&]() -> caf::error {
    if (pending.empty())
      return caf::none;
    auto range = store.append(pending);
    if (!range)
      return range.error();
    appended += pending.size();
    pending.clear();
    return caf::none;
  };
  record(start, "demo",
         node_started{static_cast<uint32_t>(::getpid()), "0.1.0"});
  record(start, "exchange-api", policy_changed{"5/s burst 10"});

  // The API client.
  token_bucket limiter{token_rate::per_second(5), 10, start};
  std::exponential_distribution<double> gap_s{6.5}; // requests per second
  std::uniform_int_distribution<int> took_ms{20, 80};
  std::bernoulli_distribution fails{0.03};
  auto next_request = start;
  uint64_t call_id = 0;

  // The poller and its watchdog.
  deadline poll_deadline{1s, 500ms, start};
  auto status = poll_deadline.status(start);
  std::bernoulli_distribution stalls{0.1};
  auto next_poll = start + 1s;
  uint64_t poll_id = 0;

  // Advance in steps of 100 ms; each step's events go in one write.
  for (auto now = start; now < end; now += 100ms) {
    auto step_end = now + 100ms;
    for (; next_request < step_end;
         next_request += std::chrono::duration_cast<duration>(
             std::chrono::duration<double>(gap_s(rng)))) {
      auto t = next_request;
      auto id = ++call_id;
      record(t, "exchange-api", call_requested{id});
      auto decision = limiter.admit(t);
      if (!decision.admitted) {
        record(t, "exchange-api",
               call_throttled{id, decision.retry_after,
                              throttle_action::rejected});
        continue;
      }
      auto took = std::chrono::milliseconds{took_ms(rng)};
      record(t, "exchange-api", call_admitted{id, 0ns});
      record(t, "exchange-api", call_started{id});
      bool ok = !fails(rng);
      record(t + took, "exchange-api",
             call_finished{id, took, ok, ok ? "" : "HTTP 503: unavailable"});
    }
    for (; next_poll < step_end;) {
      auto id = ++poll_id;
      record(next_poll, "market-data", call_started{id});
      record(next_poll + 15ms, "market-data",
             call_finished{id, 15ms, true, ""});
      poll_deadline.called(next_poll);
      next_poll += stalls(rng) ? 3s : 1s;
    }
    auto now_status = poll_deadline.status(step_end);
    if (now_status != status) {
      record(step_end, "watchdog",
             deadline_status_changed{"market-data", status, now_status});
      // One miss per overdue stretch: when it first turns late (or down).
      auto overdue = [](deadline_status s) {
        return s == deadline_status::late || s == deadline_status::down;
      };
      if (overdue(now_status) && !overdue(status))
        if (auto last = poll_deadline.last_call())
          record(step_end, "watchdog",
                 deadline_missed{"market-data",
                                 step_end - *last - poll_deadline.period()});
      status = now_status;
    }
    if (auto err = flush())
      return err;
  }
  record(end, "demo", node_stopped{"demo finished"});
  if (auto err = flush())
    return err;
  return appended;
}

int run_demo(const demo_options& opt) {
  store_options options;
  options.mode = opt.sync ? durability::sync : durability::buffered;
  auto opened = event_store::open(opt.db, options);
  if (!opened) {
    std::fprintf(stderr, "timecontrol demo: %s\n",
                 render(opened.error()).c_str());
    return exit_open_failed;
  }
  auto& store = **opened;
  auto before = store.last_seq();
  std::printf("log %s (%s), %llu events before this run\n", opt.db.c_str(),
              std::string{to_string(options.mode)}.c_str(),
              static_cast<unsigned long long>(before));

  auto t0 = std::chrono::steady_clock::now();
  auto appended = record_session(store, opt);
  if (!appended) {
    std::fprintf(stderr, "timecontrol demo: %s\n",
                 render(appended.error()).c_str());
    return exit_data_error;
  }
  auto t1 = std::chrono::steady_clock::now();
  std::printf("recorded %.0f simulated seconds: %zu events, seq %llu..%llu\n",
              opt.seconds, *appended,
              static_cast<unsigned long long>(before + 1),
              static_cast<unsigned long long>(store.last_seq()));

  // Replay this run's events and count them.
  std::map<std::string, std::map<std::string_view, size_t>> counts;
  size_t replayed = 0;
  auto err = store.replay({.from = before + 1}, [&](const envelope& x) {
    ++counts[x.source][name_of(x.type())];
    ++replayed;
    return true;
  });
  auto t2 = std::chrono::steady_clock::now();
  if (err) {
    std::fprintf(stderr, "timecontrol demo: replay: %s\n", render(err).c_str());
    return exit_data_error;
  }
  std::printf("\n%-14s %-26s %8s\n", "source", "event", "count");
  for (auto& [source, by_type] : counts)
    for (auto& [type, n] : by_type)
      std::printf("%-14s %-26.*s %8zu\n", source.c_str(),
                  static_cast<int>(type.size()), type.data(), n);

  // The index answers per-source questions without a full scan.
  size_t missed = 0;
  err = store.replay({.from = before + 1,
                      .source = "watchdog",
                      .type = event_type::deadline_missed},
                     [&](const envelope&) {
                       ++missed;
                       return true;
                     });
  if (err) {
    std::fprintf(stderr, "timecontrol demo: replay: %s\n", render(err).c_str());
    return exit_data_error;
  }
  auto secs = [](auto d) { return std::chrono::duration<double>(d).count(); };
  std::printf("\nmarket-data missed its deadline %zu times\n", missed);
  std::printf("wrote %zu events in %.3f s, replayed %zu in %.3f s\n", *appended,
              secs(t1 - t0), replayed, secs(t2 - t1));
  return exit_ok;
}

} // namespace

void add_demo(CLI::App& app, int& result) {
  auto opt = std::make_shared<demo_options>();
  auto* cmd = app.add_subcommand(
      "demo",
      "Record a simulated session into a log, then replay and summarise "
      "it");
  cmd->add_option("--db", opt->db,
                  "Folder of the RocksDB log (created if "
                  "missing; appended to if it exists)")
      ->capture_default_str();
  cmd->add_option("--duration", opt->seconds, "Simulated seconds to record")
      ->check(CLI::Range(0.1, 86400.0))
      ->capture_default_str();
  cmd->add_option("--seed", opt->seed, "Seed of the simulated traffic")
      ->capture_default_str();
  cmd->add_flag("--sync", opt->sync,
                "fsync every write (durability::sync) instead of buffered");
  cmd->callback([opt, &result] { result = run_demo(*opt); });
}

} // namespace tc::tool
