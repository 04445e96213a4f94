// Behaviour every store shares, run against each implementation.

#include "timecontrol/storage/event_store.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <thread>

#include "tests/storage/store_kinds.hpp"
#include "tests/support/sample_events.hpp"

using namespace tc;
using test::store_kinds;

namespace {

envelope make(std::string source, uint64_t call_id) {
  return envelope{0, test::sample_time(static_cast<int64_t>(call_id)),
                  std::move(source), call_requested{call_id}};
}

std::vector<envelope> read_all(const event_store& store,
                               replay_query query = {}) {
  std::vector<envelope> result;
  auto err = store.replay(query, [&](const envelope& x) {
    result.push_back(x);
    return true;
  });
  BOOST_REQUIRE_MESSAGE(!err, render(err));
  return result;
}

std::vector<seq_t> seqs_of(const std::vector<envelope>& xs) {
  std::vector<seq_t> result;
  for (auto& x : xs)
    result.push_back(x.seq);
  return result;
}

} // namespace

BOOST_AUTO_TEST_SUITE(storage_event_store)

BOOST_AUTO_TEST_CASE_TEMPLATE(a_new_log_is_empty, Kind, store_kinds) {
  Kind f;
  BOOST_TEST(f.store->last_seq() == 0u);
  BOOST_TEST(read_all(*f.store).empty());
  BOOST_TEST((f.store->mode() == Kind::mode));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(appends_get_gap_free_sequence_numbers_from_one,
                              Kind, store_kinds) {
  Kind f;
  for (uint64_t i = 1; i <= 5; ++i) {
    auto x = make("a", i);
    auto seq = f.store->append(x);
    BOOST_REQUIRE(seq);
    BOOST_TEST(*seq == i);
    BOOST_TEST(x.seq == i);
  }
  std::vector<envelope> batch{make("a", 6), make("b", 7), make("a", 8)};
  auto range = f.store->append(batch);
  BOOST_REQUIRE(range);
  BOOST_TEST(range->first == 6u);
  BOOST_TEST(range->last == 8u);
  BOOST_TEST(batch[2].seq == 8u);
  BOOST_TEST(f.store->last_seq() == 8u);
  BOOST_TEST(seqs_of(read_all(*f.store)) ==
             (std::vector<seq_t>{1, 2, 3, 4, 5, 6, 7, 8}));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(an_empty_batch_stores_nothing, Kind,
                              store_kinds) {
  Kind f;
  std::vector<envelope> none;
  auto range = f.store->append(none);
  BOOST_REQUIRE(range);
  BOOST_TEST(range->first == 0u);
  BOOST_TEST(f.store->last_seq() == 0u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(every_event_type_is_stored_and_replayed_as_is,
                              Kind, store_kinds) {
  Kind f;
  auto samples = test::sample_envelopes();
  auto stored = samples;
  BOOST_REQUIRE(f.store->append(stored));
  auto back = read_all(*f.store);
  BOOST_REQUIRE(back.size() == samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    samples[i].seq = i + 1;
    BOOST_TEST((back[i] == samples[i]));
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(replay_visits_exactly_the_requested_range, Kind,
                              store_kinds) {
  Kind f;
  for (uint64_t i = 1; i <= 20; ++i) {
    auto x = make("a", i);
    BOOST_REQUIRE(f.store->append(x));
  }
  BOOST_TEST(seqs_of(read_all(*f.store, {.from = 5, .to = 8})) ==
             (std::vector<seq_t>{5, 6, 7, 8}));
  BOOST_TEST(seqs_of(read_all(*f.store, {.from = 19})) ==
             (std::vector<seq_t>{19, 20}));
  BOOST_TEST(read_all(*f.store, {.from = 21}).empty());
  BOOST_TEST(read_all(*f.store, {.from = 9, .to = 8}).empty());
  BOOST_TEST(seqs_of(read_all(*f.store, {.from = 0, .to = 1})) ==
             (std::vector<seq_t>{1}));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_handler_that_returns_false_stops_the_replay,
                              Kind, store_kinds) {
  Kind f;
  for (uint64_t i = 1; i <= 10; ++i) {
    auto x = make("a", i);
    BOOST_REQUIRE(f.store->append(x));
  }
  int visited = 0;
  auto err =
      f.store->replay({}, [&](const envelope&) { return ++visited < 3; });
  BOOST_TEST(!err);
  BOOST_TEST(visited == 3);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(filters_select_by_source_and_by_type, Kind,
                              store_kinds) {
  Kind f;
  // Several writes, so that the index spans many posting lists.
  for (uint64_t round = 0; round < 10; ++round) {
    std::vector<envelope> batch;
    for (uint64_t i = 0; i < 6; ++i) {
      auto x = make(i % 3 == 0 ? "a" : (i % 3 == 1 ? "b" : "c"), round * 6 + i);
      if (i == 4)
        x.body = call_finished{x.seq, duration{1}, true, ""};
      batch.push_back(std::move(x));
    }
    BOOST_REQUIRE(f.store->append(batch));
  }
  auto by_a = read_all(*f.store, {.source = "a"});
  BOOST_TEST(by_a.size() == 20u);
  for (auto& x : by_a)
    BOOST_TEST(x.source == "a");
  BOOST_TEST(
      seqs_of(read_all(*f.store, {.from = 8, .to = 20, .source = "a"})) ==
      (std::vector<seq_t>{10, 13, 16, 19}));
  auto finished = read_all(*f.store, {.type = event_type::call_finished});
  BOOST_TEST(finished.size() == 10u);
  BOOST_TEST(seqs_of(finished).front() == 5u);
  BOOST_TEST(seqs_of(read_all(*f.store, {.from = 6,
                                         .to = 30,
                                         .source = "b",
                                         .type = event_type::call_finished})) ==
             (std::vector<seq_t>{11, 17, 23, 29}));
  BOOST_TEST(read_all(*f.store, {.source = "nobody"}).empty());
  BOOST_TEST(read_all(*f.store, {.type = event_type::node_started}).empty());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(get_returns_one_event_or_not_found, Kind,
                              store_kinds) {
  Kind f;
  auto x = make("a", 1);
  BOOST_REQUIRE(f.store->append(x));
  auto got = f.store->get(1);
  BOOST_REQUIRE(got);
  BOOST_TEST((*got == x));
  auto missing = f.store->get(2);
  BOOST_REQUIRE(!missing);
  BOOST_TEST(is(missing.error(), errc::not_found));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(snapshots_keep_the_last_saved_state_per_name,
                              Kind, store_kinds) {
  Kind f;
  auto none = f.store->load_snapshot("stats");
  BOOST_REQUIRE(none);
  BOOST_TEST(!none->has_value());
  for (uint64_t i = 1; i <= 3; ++i) {
    auto x = make("a", i);
    BOOST_REQUIRE(f.store->append(x));
  }
  BOOST_REQUIRE(!f.store->save_snapshot("stats", 2, "state at 2"));
  BOOST_REQUIRE(!f.store->save_snapshot("schedule", 1, std::string("\0\1", 2)));
  BOOST_REQUIRE(!f.store->save_snapshot("stats", 3, "state at 3"));
  auto stats = f.store->load_snapshot("stats");
  BOOST_REQUIRE(stats);
  BOOST_REQUIRE(stats->has_value());
  BOOST_TEST((**stats == snapshot{3, "state at 3"}));
  auto schedule = f.store->load_snapshot("schedule");
  BOOST_REQUIRE(schedule && schedule->has_value());
  BOOST_TEST((**schedule == snapshot{1, std::string("\0\1", 2)}));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_snapshot_beyond_the_end_of_the_log_is_refused,
                              Kind, store_kinds) {
  Kind f;
  auto err = f.store->save_snapshot("stats", 1, "x");
  BOOST_TEST(is(err, errc::bad_config));
  BOOST_TEST(render(err).find("covers seq 1") != std::string::npos);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(concurrent_appends_are_numbered_without_gaps,
                              Kind, store_kinds) {
  Kind f;
  constexpr int threads = 4;
  constexpr int per_thread = 200;
  std::vector<std::thread> workers;
  std::atomic<int> failures{0};
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        auto x = make("t" + std::to_string(t), static_cast<uint64_t>(i));
        if (!f.store->append(x))
          ++failures;
      }
    });
  for (auto& w : workers)
    w.join();
  BOOST_TEST(failures.load() == 0);
  auto all = read_all(*f.store);
  BOOST_REQUIRE(all.size() == size_t{threads * per_thread});
  for (size_t i = 0; i < all.size(); ++i)
    BOOST_TEST(all[i].seq == i + 1);
  // Each thread's events keep their order.
  for (int t = 0; t < threads; ++t) {
    auto mine = read_all(*f.store, {.source = "t" + std::to_string(t)});
    BOOST_REQUIRE(mine.size() == size_t{per_thread});
    for (int i = 0; i < per_thread; ++i)
      BOOST_TEST(std::get<call_requested>(mine[i].body).call_id ==
                 static_cast<uint64_t>(i));
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_reader_never_sees_part_of_a_batch, Kind,
                              store_kinds) {
  Kind f;
  constexpr size_t batch_size = 50;
  std::atomic<bool> done{false};
  std::atomic<int> torn{0};
  std::thread reader{[&] {
    while (!done) {
      size_t n = 0;
      auto last = f.store->last_seq();
      auto err = f.store->replay({.to = last}, [&](const envelope&) {
        ++n;
        return true;
      });
      if (err || n % batch_size != 0)
        ++torn;
    }
  }};
  for (uint64_t round = 0; round < 40; ++round) {
    std::vector<envelope> batch;
    for (size_t i = 0; i < batch_size; ++i)
      batch.push_back(make("a", round * batch_size + i));
    BOOST_REQUIRE(f.store->append(batch));
  }
  done = true;
  reader.join();
  BOOST_TEST(torn.load() == 0);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_handler_may_append_while_it_replays, Kind,
                              store_kinds) {
  Kind f;
  auto x = make("a", 1);
  BOOST_REQUIRE(f.store->append(x));
  int visited = 0;
  auto err = f.store->replay({.to = 1}, [&](const envelope&) {
    auto y = make("b", 2);
    ++visited;
    return static_cast<bool>(f.store->append(y));
  });
  BOOST_TEST(!err);
  BOOST_TEST(visited == 1);
  BOOST_TEST(f.store->last_seq() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(storage_event_store_verify)

BOOST_AUTO_TEST_CASE_TEMPLATE(a_sound_log_verifies_clean, Kind, store_kinds) {
  Kind f;
  auto batch = test::sample_envelopes();
  BOOST_REQUIRE(f.store->append(batch));
  auto x = envelope{0, test::sample_time(), "a", call_requested{1}};
  BOOST_REQUIRE(f.store->append(x));
  size_t reported = 0;
  auto found = f.store->verify([&](seq_t, const caf::error&) { ++reported; });
  BOOST_REQUIRE(found);
  BOOST_TEST(*found == 0u);
  BOOST_TEST(reported == 0u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(verify_tells_how_far_it_got, Kind, store_kinds) {
  Kind f;
  std::vector<envelope> batch;
  for (uint64_t i = 1; i <= 20'000; ++i)
    batch.push_back(make(i % 2 == 0 ? "a" : "b", i));
  BOOST_REQUIRE(f.store->append(batch));
  std::vector<std::pair<uint64_t, uint64_t>> calls;
  auto found = f.store->verify(
      [](seq_t, const caf::error&) {},
      [&](uint64_t done, uint64_t total) { calls.emplace_back(done, total); });
  BOOST_REQUIRE(found);
  BOOST_TEST(*found == 0u);
  BOOST_REQUIRE(calls.size() >= 4u);
  uint64_t before = 0;
  for (auto [done, total] : calls) {
    BOOST_TEST(done >= before);
    BOOST_TEST(done <= total);
    BOOST_TEST(total == calls.front().second);
    BOOST_TEST(total >= 20'000u);
    before = done;
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(storage_event_store_stats)

BOOST_AUTO_TEST_CASE_TEMPLATE(stats_count_appends_events_and_writes, Kind,
                              store_kinds) {
  Kind f;
  auto x = envelope{0, test::sample_time(), "a", call_requested{1}};
  BOOST_REQUIRE(f.store->append(x));
  auto batch = test::sample_envelopes();
  BOOST_REQUIRE(f.store->append(batch));
  auto stats = f.store->stats();
  BOOST_TEST(stats.appends == 2u);
  BOOST_TEST(stats.events == 1u + batch.size());
  BOOST_TEST(stats.writes == 2u); // one caller at a time: one write each
}

BOOST_AUTO_TEST_SUITE_END()
