// bench.tool: `timecontrol replay`, `stats`, `audit` and `explain` over a
// large log (10 million events by default), against the store's raw replay
// of the same log in the same run.
//
//   build/benchmarks/bench.tool [EVENTS] [DIR]
//
// The log is written once into DIR (default: $TMPDIR/timecontrol-bench-tool/
// <EVENTS>; not under bench.store's folder, which that removes) and reused by
// later runs. Each measurement is the best of
// three; the programs write to /dev/null.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "timecontrol/core/error.hpp"
#include "timecontrol/plugins/stats.hpp"
#include "timecontrol/storage/event_store.hpp"

using namespace tc;
using namespace std::chrono_literals;

namespace {

// Three commands with every outcome and a controller, like a busy service:
// about 4.4 events per call, in the shape of store versions 1 and 2 (with
// call_requested and call_started; what reading costs per event does not
// depend on it).
[[nodiscard]] caf::error write_log(event_store& store, size_t events) {
  std::mt19937_64 rng{42};
  std::vector<envelope> batch;
  auto t = from_nanos(1'767'225'600'000'000'000);
  const std::string names[] = {"api", "market-data", "report"};
  uint64_t ids[3] = {0, 0, 0};
  size_t written = 0;
  auto add = [&](const std::string& source, event body) {
    batch.push_back(envelope{0, t, source, std::move(body)});
  };
  while (written < events) {
    t += std::chrono::microseconds{rng() % 20'000};
    auto k = rng() % 3;
    auto id = ++ids[k];
    add(names[k], call_requested{id});
    if (rng() % 8 == 0) {
      add(names[k], call_throttled{id, 5ms, throttle_action::rejected});
    } else {
      add(names[k], call_admitted{id, 0ms});
      add(names[k], call_started{id});
      auto ok = rng() % 50 != 0;
      add(names[k], call_finished{id, std::chrono::microseconds{rng() % 90'000},
                                  ok, ok ? "" : "throttled: remote said 429"});
    }
    if (rng() % 200 == 0)
      add("watchdog",
          deadline_status_changed{"market-data", deadline_status::up,
                                  deadline_status::late});
    if (batch.size() >= 10'000 || written + batch.size() >= events) {
      batch.resize(std::min(batch.size(), events - written));
      auto range = store.append(batch);
      if (!range)
        return range.error();
      written += batch.size();
      batch.clear();
    }
  }
  return caf::none;
}

double best_of_3(const std::function<bool()>& f) {
  double best = 1e300;
  for (int i = 0; i < 3; ++i) {
    auto start = std::chrono::steady_clock::now();
    if (!f())
      return -1;
    std::chrono::duration<double> took =
        std::chrono::steady_clock::now() - start;
    best = std::min(best, took.count());
  }
  return best;
}

} // namespace

int main(int argc, char** argv) {
  size_t events = argc > 1 ? std::stoull(argv[1]) : 10'000'000;
  auto tmp = std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp";
  std::filesystem::path dir = argc > 2 ? std::filesystem::path{argv[2]}
                                       : std::filesystem::path{tmp} /
                                             "timecontrol-bench-tool" /
                                             std::to_string(events);
  std::string tool = TIMECONTROL_TOOL;
  {
    auto store =
        event_store::open(dir.string(), {.mode = durability::buffered});
    if (!store) {
      std::fprintf(stderr, "bench.tool: %s\n", render(store.error()).c_str());
      return 1;
    }
    if ((*store)->last_seq() != events) {
      if ((*store)->last_seq() != 0) {
        std::fprintf(
            stderr, "bench.tool: %s holds %llu events, not %zu\n", dir.c_str(),
            static_cast<unsigned long long>((*store)->last_seq()), events);
        return 1;
      }
      std::printf("writing %zu events to %s ...\n", events, dir.c_str());
      std::fflush(stdout);
      if (auto err = write_log(**store, events)) {
        std::fprintf(stderr, "bench.tool: %s\n", render(err).c_str());
        return 1;
      }
    }
  }
  auto store = event_store::open(dir.string(), {.read_only = true});
  if (!store) {
    std::fprintf(stderr, "bench.tool: %s\n", render(store.error()).c_str());
    return 1;
  }
  auto& log = **store;
  struct row {
    std::string name;
    double seconds;
  };
  std::vector<row> rows;
  rows.push_back({"store replay (decode, visit)", best_of_3([&] {
                    size_t n = 0;
                    auto err = log.replay({}, [&](const envelope&) {
                      ++n;
                      return true;
                    });
                    return !err && n == events;
                  })});
  rows.push_back({"stats plugin rebuild (in process)", best_of_3([&] {
                    stats s;
                    auto err = rebuild(log, s, {.from_snapshot = false});
                    return !err && s.events() == events;
                  })});
  auto run = [&](const std::string& args) {
    return best_of_3([&] {
      auto cmd =
          "'" + tool + "' " + args + " '" + dir.string() + "' > /dev/null";
      return std::system(cmd.c_str()) == 0;
    });
  };
  rows.push_back({"timecontrol replay (text)", run("replay")});
  rows.push_back(
      {"timecontrol replay --format jsonl", run("replay --format jsonl")});
  rows.push_back({"timecontrol stats", run("stats")});
  rows.push_back(
      {"timecontrol stats --format json", run("stats --format json")});
  // audit: the contract holds (api's calls are about 30 ms apart), so the
  // exit code is 0; it reads api's call_admitted events (about a quarter of
  // the log) through the index.
  rows.push_back({"timecontrol audit (api, 1000 per 1s)",
                  run("audit --command api --policy '1000 per 1s'")});
  rows.push_back({"timecontrol explain (api, call 500000)",
                  run("explain --command api --call 500000")});
  std::printf("%zu events in %s\n\n", events, dir.c_str());
  std::printf("%-36s %9s %14s %9s\n", "", "seconds", "events/s", "vs store");
  for (auto& r : rows) {
    if (r.seconds < 0) {
      std::printf("%-36s failed\n", r.name.c_str());
      return 1;
    }
    std::printf("%-36s %9.3f %14.0f %9.2f\n", r.name.c_str(), r.seconds,
                static_cast<double>(events) / r.seconds,
                rows[0].seconds / r.seconds);
  }
  return 0;
}
