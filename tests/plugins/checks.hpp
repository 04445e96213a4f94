// Checks every plugin passes, and a random but reproducible log to run them
// on.

#pragma once

#include <boost/test/unit_test.hpp>

#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "tests/support/sample_events.hpp"
#include "timecontrol/core/error.hpp"
#include "timecontrol/plugins/plugin.hpp"
#include "timecontrol/storage/event_store.hpp"

namespace tc::test {

/// A fresh plugin, configured the same way each time.
using plugin_factory = std::function<std::shared_ptr<plugin>()>;

/// An in-memory store holding `events`.
inline std::shared_ptr<event_store> store_of(std::vector<envelope> events) {
  auto store = event_store::open("plugin-test", {.mode = durability::memory});
  BOOST_REQUIRE(store);
  if (!events.empty()) {
    auto range = (*store)->append(events);
    BOOST_REQUIRE(range);
  }
  return std::shared_ptr<event_store>{std::move(*store)};
}

/// `p` rebuilt from the whole log, without snapshots.
inline std::string replayed(const event_store& store, plugin& p, seq_t to = 0) {
  auto err = rebuild(store, p, {.from_snapshot = false, .to = to});
  BOOST_REQUIRE_MESSAGE(!err, render(err));
  return p.save();
}

/// Replaying the same log gives the same state, and so does starting from a
/// snapshot taken at any of `cuts` and replaying the rest; a loaded
/// snapshot saves to the same bytes.
inline void check_replay_determinism(event_store& store,
                                     const plugin_factory& make,
                                     const std::vector<seq_t>& cuts) {
  auto whole = replayed(store, *make());
  BOOST_TEST(whole == replayed(store, *make()));
  for (auto cut : cuts) {
    BOOST_TEST_CONTEXT("snapshot at seq " << cut) {
      auto first = make();
      replayed(store, *first, cut);
      BOOST_REQUIRE(!save_snapshot(store, *first));
      auto second = make();
      auto err = rebuild(store, *second);
      BOOST_REQUIRE_MESSAGE(!err, render(err));
      BOOST_TEST(second->covered() >= first->covered());
      BOOST_TEST(second->save() == whole);
      // Loading a snapshot and saving it again changes nothing.
      auto third = make();
      BOOST_REQUIRE(!third->load(first->save()));
      BOOST_TEST(third->save() == first->save());
    }
  }
  // Events seen twice count once.
  auto twice = make();
  replayed(store, *twice);
  BOOST_TEST(replayed(store, *twice) == whole);
}

/// Every truncation of `p`'s snapshot, and the snapshot with a byte added,
/// fails to load with a message naming the plugin, and leaves a fresh
/// plugin as it was.
inline void check_damaged_snapshots(const plugin& p,
                                    const plugin_factory& make) {
  auto bytes = p.save();
  auto fresh = make();
  auto before = fresh->save();
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto err = fresh->load(std::string_view{bytes}.substr(0, n));
    BOOST_REQUIRE_MESSAGE(err, "a prefix of " << n << " bytes loaded");
    BOOST_TEST(render(err).find("snapshot of plugin") != std::string::npos);
    BOOST_REQUIRE(fresh->save() == before);
  }
  BOOST_TEST(static_cast<bool>(fresh->load(bytes + "x")));
  BOOST_TEST(static_cast<bool>(fresh->load("not a snapshot")));
  BOOST_TEST(!fresh->load(bytes));
}

/// Calls of `commands` with every outcome, and a controller "watchdog"
/// reporting on "feed": `n` calls in all, reproducible from `seed`.
inline std::vector<envelope> random_log(size_t n, uint64_t seed = 7) {
  std::mt19937_64 rng{seed};
  std::vector<envelope> out;
  auto t = sample_time();
  std::vector<std::string> commands{"api", "feed", "report"};
  std::vector<uint64_t> ids(commands.size(), 0);
  auto add = [&](const std::string& source, event body) {
    out.push_back(envelope{0, t, source, std::move(body)});
  };
  auto status = deadline_status::never_called;
  for (size_t i = 0; i < n; ++i) {
    t += std::chrono::milliseconds{rng() % 700};
    auto k = rng() % commands.size();
    auto& name = commands[k];
    auto id = ++ids[k];
    add(name, call_requested{id});
    auto roll = rng() % 10;
    if (roll == 0) {
      add(name, call_throttled{id, std::chrono::milliseconds{rng() % 900},
                               static_cast<throttle_action>(rng() % 3)});
      continue;
    }
    add(name, call_admitted{id, std::chrono::milliseconds{rng() % 50}});
    add(name, call_started{id});
    auto took = std::chrono::milliseconds{1 + rng() % 400};
    t += took;
    if (roll == 1)
      add(name, call_timed_out{id, std::chrono::milliseconds{300}});
    add(name, call_finished{id, took, roll != 2, roll == 2 ? "boom" : ""});
    if (name == "feed" || rng() % 20 == 0) {
      auto to = static_cast<deadline_status>(1 + rng() % 3);
      if (to != status) {
        add("watchdog", deadline_status_changed{"feed", status, to});
        if (to == deadline_status::down)
          add("watchdog", deadline_missed{"feed", std::chrono::seconds{1}});
        status = to;
      }
    }
  }
  return out;
}

} // namespace tc::test
