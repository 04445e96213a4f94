// Persist, then act, under kill -9: real processes (crash_node) run the
// actors on a RocksDB log and are killed with SIGKILL at moments drawn from a
// fixed seed. What the operations themselves wrote down is compared with the
// log afterwards:
//
//   * every call that ran has its call_admitted in the log, and the
//     admissions keep the limit across every restart;
//   * every run of a scheduled intent has its intent_fired in the log, and
//     no due time ran twice;
//   * a flood of calls keeps the Log's backlog, and the process's memory,
//     under a bound.

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include "tests/support/child.hpp"
#include "tests/support/print.hpp"
#include "tests/support/temp_dir.hpp"
#include "timecontrol/actors/scheduler.hpp"
#include "timecontrol/storage/event_store.hpp"

using namespace tc;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> lines_of(const std::string& path) {
  std::vector<std::string> result;
  std::ifstream in{path};
  for (std::string line; std::getline(in, line);)
    result.push_back(line);
  return result;
}

std::vector<envelope> events_of(const std::string& path, event_type type) {
  auto store = event_store::open(path, {.read_only = true});
  if (!store)
    BOOST_FAIL(render(store.error()));
  std::vector<envelope> result;
  auto err = (*store)->replay({.type = type}, [&](const envelope& x) {
    result.push_back(x);
    return true;
  });
  if (err)
    BOOST_FAIL(render(err));
  return result;
}

} // namespace

BOOST_AUTO_TEST_SUITE(actors_durability)

// Kills a command's process, round after round, while it calls itself in a
// loop: as its operation runs, right after an answer, or at any moment.
void kill_command_repeatedly(const std::string& log, const std::string& runs,
                             const char* mode) {
  std::mt19937 rng{20261129};
  std::uniform_int_distribution<int> when{0, 2};
  std::uniform_int_distribution<int> answers{0, 2};
  std::uniform_int_distribution<int> extra_ms{0, 250};
  for (int round = 0; round < 18; ++round) {
    BOOST_TEST_CONTEXT("round " << round) {
      test::child node{TC_CRASH_NODE,
                       {"command", log, runs, "min 200ms", mode}};
      for (int i = answers(rng); i > 0; --i) {
        BOOST_TEST_REQUIRE(node.line(5s).value_or("") == "ran");
        BOOST_TEST_REQUIRE(node.line(5s).value_or("") == "ok");
      }
      switch (when(rng)) {
        case 0: // as the operation runs
          BOOST_TEST_REQUIRE(node.line(5s).value_or("") == "ran");
          break;
        case 1: // right after an answer
          BOOST_TEST_REQUIRE(node.line(5s).value_or("") == "ran");
          BOOST_TEST_REQUIRE(node.line(5s).value_or("") == "ok");
          break;
        default:
          node.run_for(std::chrono::milliseconds{extra_ms(rng)});
      }
      BOOST_TEST_REQUIRE(node.kill());
    }
  }
}

BOOST_AUTO_TEST_CASE(
    a_command_killed_at_any_moment_never_lets_a_call_escape_its_limit) {
  test::temp_dir dir;
  auto log = dir / "log";
  auto runs = dir / "runs";
  kill_command_repeatedly(log, runs, "persist");
  auto admitted = events_of(log, event_type::call_admitted);
  auto ran = lines_of(runs);
  BOOST_TEST_MESSAGE(ran.size()
                     << " runs, " << admitted.size() << " admissions");
  // Every run has its admission in the log (a call that ran and whose
  // admission was lost would let the next process call again at once).
  BOOST_TEST(ran.size() <= admitted.size());
  BOOST_TEST(ran.size() >= 18u);
  // The admissions keep the limit across all the restarts.
  for (size_t i = 1; i < admitted.size(); ++i)
    BOOST_TEST(admitted[i].time - admitted[i - 1].time >= 200ms,
               "admissions "
                   << i - 1 << " and " << i << " are "
                   << (admitted[i].time - admitted[i - 1].time).count()
                   << " ns apart");
  // And so do the runs, as the operation itself saw them: each runs a Log
  // write after its admission, so allow for the spread of those writes.
  for (size_t i = 1; i < ran.size(); ++i)
    BOOST_TEST(std::stoll(ran[i]) - std::stoll(ran[i - 1]) >= 150'000'000);
}

BOOST_AUTO_TEST_CASE(
    a_scheduler_killed_at_any_moment_never_runs_a_due_time_twice) {
  test::temp_dir dir;
  auto log = dir / "log";
  auto runs = dir / "runs";
  std::mt19937 rng{20261130};
  std::uniform_int_distribution<int> alive_ms{0, 700};
  for (int round = 0; round < 16; ++round) {
    BOOST_TEST_CONTEXT("round " << round) {
      test::child node{TC_CRASH_NODE, {"scheduler", log, runs}};
      BOOST_TEST_REQUIRE(node.line(5s).value_or("") == "ready");
      node.run_for(std::chrono::milliseconds{alive_ms(rng)});
      BOOST_TEST_REQUIRE(node.kill());
    }
  }
  auto fired = events_of(log, event_type::intent_fired);
  auto ran = lines_of(runs);
  BOOST_TEST_MESSAGE(ran.size() << " runs, " << fired.size() << " fires");
  BOOST_TEST(ran.size() >= 16u);
  BOOST_TEST(events_of(log, event_type::intent_scheduled).size() == 1u);
  // Each firing draws its own arguments, so a due time that ran twice shows
  // as arguments that ran twice.
  std::set<std::string> fired_args;
  std::set<time_point> dues;
  for (auto& x : fired) {
    auto& f = std::get<intent_fired>(x.body);
    BOOST_TEST(fired_args.insert(f.args).second, "fired twice: " << f.args);
    BOOST_TEST(dues.insert(f.due).second);
  }
  std::set<std::string> seen;
  for (auto& args : ran) {
    BOOST_TEST(seen.insert(args).second, "ran twice: " << args);
    BOOST_TEST(fired_args.contains(args), "ran without intent_fired: " << args);
  }
}

// The figures a flood run prints ("name value" lines).
std::map<std::string, uint64_t> flood(const std::string& log, uint64_t calls,
                                      const char* mode) {
  test::child node{TC_CRASH_NODE, {"flood", log, std::to_string(calls), mode}};
  std::map<std::string, uint64_t> figures;
  while (auto line = node.line(120s)) {
    auto space = line->find(' ');
    BOOST_REQUIRE(space != std::string::npos);
    figures[line->substr(0, space)] = std::stoull(line->substr(space + 1));
  }
  BOOST_TEST_REQUIRE(node.wait() == 0);
  return figures;
}

#if defined(__SANITIZE_ADDRESS__)
constexpr bool sanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool sanitized = true;
#else
constexpr bool sanitized = false;
#endif
#else
constexpr bool sanitized = false;
#endif

BOOST_AUTO_TEST_CASE(a_flood_of_calls_keeps_the_backlog_and_memory_bounded) {
  // Two actors keep 256 calls each in flight on a limit never hit. Before
  // the Log's backlog was bounded, such a flood grew the process by about
  // 100 MB a second. The memory bounds hold RocksDB's memtables too; they
  // mean nothing under AddressSanitizer, which runs a shorter flood.
  constexpr uint64_t max_backlog = 64 << 20;
  uint64_t calls = sanitized ? 100'000 : 2'000'000;
  test::temp_dir dir;
  auto persist = flood(dir / "persist", calls, "persist");
  BOOST_TEST(persist["calls"] == calls);
  BOOST_TEST_MESSAGE("persist, then act: peak RSS "
                     << persist["peak_rss_kb"] / 1024 << " MiB, backlog "
                     << persist["peak_backlog"] / 1024 << " KiB");
  // Each caller waits for its answers, and answers wait for the Log: the
  // backlog is the calls in flight, far under the limit.
  BOOST_TEST(persist["peak_backlog"] <= max_backlog / 16);
  auto act = flood(dir / "act", calls, "act");
  BOOST_TEST(act["calls"] == calls);
  BOOST_TEST_MESSAGE("act, then record: peak RSS "
                     << act["peak_rss_kb"] / 1024 << " MiB, backlog "
                     << act["peak_backlog"] / 1024 << " KiB");
  // Answers do not wait: the commands hold back at the limit.
  BOOST_TEST(act["peak_backlog"] <= max_backlog + (4 << 20));
  if (!sanitized) {
    BOOST_TEST(persist["peak_rss_kb"] < 256u * 1024);
    BOOST_TEST(act["peak_rss_kb"] < 384u * 1024);
  }
}

BOOST_AUTO_TEST_SUITE_END()
