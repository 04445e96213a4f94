// Following a log that another store writes: a store opened with
// store_options::follow sees what the writer appended once it refreshes,
// never part of a write, and leaves the writer's folder as it was.
// (tests/tools follows a log that another process writes.)

#include "timecontrol/storage/event_store.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <thread>

#include "tests/storage/store_kinds.hpp"
#include "tests/support/sample_events.hpp"

using namespace tc;
using test::store_kinds;

namespace {

namespace fs = std::filesystem;

// The error of an expected that holds one (Boost evaluates the message of a
// check that passes, too).
template <class T>
std::string why(const caf::expected<T>& x) {
  return x ? std::string{} : render(x.error());
}

// Events alternate between two sources and two types, so that both indexes
// have something to say about each write.
envelope make(uint64_t n) {
  auto source = n % 2 == 0 ? "even" : "odd";
  auto t = test::sample_time(static_cast<int64_t>(n));
  if (n % 3 == 0)
    return envelope{0, t, source, call_started{n}};
  return envelope{0, t, source, call_requested{n}};
}

// Appends events `first` .. `first + n - 1` (by make()) in one write.
void append_range(event_store& store, uint64_t first, uint64_t n) {
  std::vector<envelope> batch;
  for (uint64_t i = 0; i < n; ++i)
    batch.push_back(make(first + i));
  auto range = store.append(batch);
  BOOST_REQUIRE_MESSAGE(range, why(range));
}

std::unique_ptr<event_store> open_writer(const std::string& path) {
  auto store = event_store::open(path, {});
  BOOST_REQUIRE_MESSAGE(store, why(store));
  return std::move(*store);
}

std::unique_ptr<event_store> open_follower(const std::string& path) {
  auto store =
      event_store::open(path, {.create_if_missing = false, .follow = true});
  BOOST_REQUIRE_MESSAGE(store, why(store));
  return std::move(*store);
}

std::vector<seq_t> seqs(const event_store& store, replay_query query = {}) {
  std::vector<seq_t> result;
  auto err = store.replay(query, [&](const envelope& x) {
    result.push_back(x.seq);
    return true;
  });
  BOOST_REQUIRE_MESSAGE(!err, render(err));
  return result;
}

std::vector<seq_t> range(seq_t first, seq_t last, seq_t step = 1) {
  std::vector<seq_t> result;
  for (auto seq = first; seq <= last; seq += step)
    result.push_back(seq);
  return result;
}

std::set<std::string> names_in(const std::string& dir) {
  std::set<std::string> result;
  for (auto& entry : fs::directory_iterator{dir})
    result.insert(entry.path().filename().string());
  return result;
}

// Points $TMPDIR at a folder of the test's own while it lives.
class tmpdir_override {
public:
  explicit tmpdir_override(const std::string& dir) {
    if (auto* old = std::getenv("TMPDIR"))
      old_ = old;
    ::setenv("TMPDIR", dir.c_str(), 1);
  }

  ~tmpdir_override() {
    if (old_)
      ::setenv("TMPDIR", old_->c_str(), 1);
    else
      ::unsetenv("TMPDIR");
  }

private:
  std::optional<std::string> old_;
};

} // namespace

BOOST_AUTO_TEST_SUITE(storage_follow)

BOOST_AUTO_TEST_CASE_TEMPLATE(a_store_that_writes_the_log_is_always_current,
                              Kind, store_kinds) {
  Kind f;
  append_range(*f.store, 1, 5);
  auto last = f.store->refresh();
  BOOST_REQUIRE(last);
  BOOST_TEST(*last == 5u);
  BOOST_TEST(f.store->last_seq() == 5u);
}

BOOST_AUTO_TEST_CASE(a_follower_sees_events_appended_after_it_opened) {
  test::temp_dir dir;
  auto writer = open_writer(dir / "log");
  append_range(*writer, 1, 3);
  auto follower = open_follower(dir / "log");
  BOOST_TEST(follower->last_seq() == 3u);
  append_range(*writer, 4, 4);
  // Nothing changes under a reader until it asks.
  BOOST_TEST(follower->last_seq() == 3u);
  BOOST_TEST(seqs(*follower) == range(1, 3));
  auto last = follower->refresh();
  BOOST_REQUIRE_MESSAGE(last, why(last));
  BOOST_TEST(*last == 7u);
  BOOST_TEST(follower->last_seq() == 7u);
  BOOST_TEST(seqs(*follower, {.from = 4}) == range(4, 7));
  // The indexes came along with the records.
  BOOST_TEST(seqs(*follower, {.source = "even"}) == range(2, 7, 2));
  BOOST_TEST(seqs(*follower, {.type = event_type::call_started}) ==
             range(3, 7, 3));
  BOOST_TEST(seqs(*follower, {.from = 4, .source = "odd"}) ==
             (std::vector<seq_t>{5, 7}));
  auto x = follower->get(6);
  BOOST_REQUIRE(x);
  BOOST_TEST(x->source == "even");
  // A refresh with nothing new changes nothing.
  last = follower->refresh();
  BOOST_REQUIRE(last);
  BOOST_TEST(*last == 7u);
}

BOOST_AUTO_TEST_CASE(a_follower_opened_on_an_empty_log_sees_the_first_events) {
  test::temp_dir dir;
  auto writer = open_writer(dir / "log");
  auto follower = open_follower(dir / "log");
  BOOST_TEST(follower->last_seq() == 0u);
  append_range(*writer, 1, 2);
  auto last = follower->refresh();
  BOOST_REQUIRE_MESSAGE(last, why(last));
  BOOST_TEST(*last == 2u);
  BOOST_TEST(seqs(*follower) == range(1, 2));
}

BOOST_AUTO_TEST_CASE(a_follower_never_sees_part_of_a_write) {
  test::temp_dir dir;
  constexpr uint64_t batch_size = 100;
  constexpr uint64_t batches = 200;
  auto writer = open_writer(dir / "log");
  auto follower = open_follower(dir / "log");
  std::thread appender{[&] {
    for (uint64_t i = 0; i < batches; ++i)
      append_range(*writer, 1 + i * batch_size, batch_size);
  }};
  // Each state a refresh shows holds whole writes, gap-free, with the index
  // postings of exactly those records.
  int refreshes = 0;
  int torn = 0;
  seq_t last = 0;
  while (last < batch_size * batches) {
    auto seen = follower->refresh();
    BOOST_REQUIRE_MESSAGE(seen, why(seen));
    BOOST_REQUIRE(*seen >= last);
    last = *seen;
    ++refreshes;
    auto all = seqs(*follower);
    auto even = seqs(*follower, {.source = "even"});
    auto started = seqs(*follower, {.type = event_type::call_started});
    if (last % batch_size != 0 || all != range(1, last) ||
        even != range(2, last, 2) || started != range(3, last, 3))
      ++torn;
  }
  appender.join();
  BOOST_TEST(torn == 0);
  BOOST_TEST_MESSAGE(refreshes << " refreshes while the writer appended");
}

BOOST_AUTO_TEST_CASE(a_follower_keeps_up_when_the_writer_reopens_the_log) {
  // A reopen flushes the write-ahead log into a table file and starts a new
  // MANIFEST: the follower must take the records from there.
  test::temp_dir dir;
  auto writer = open_writer(dir / "log");
  append_range(*writer, 1, 10);
  auto follower = open_follower(dir / "log");
  writer.reset();
  writer = open_writer(dir / "log");
  append_range(*writer, 11, 10);
  auto last = follower->refresh();
  BOOST_REQUIRE_MESSAGE(last, why(last));
  BOOST_TEST(*last == 20u);
  BOOST_TEST(seqs(*follower) == range(1, 20));
  BOOST_TEST(seqs(*follower, {.source = "even"}) == range(2, 20, 2));
  writer.reset();
  writer = open_writer(dir / "log");
  append_range(*writer, 21, 10);
  last = follower->refresh();
  BOOST_REQUIRE_MESSAGE(last, why(last));
  BOOST_TEST(*last == 30u);
  BOOST_TEST(seqs(*follower) == range(1, 30));
  BOOST_TEST(seqs(*follower, {.type = event_type::call_started}) ==
             range(3, 30, 3));
  // Two reopens between two refreshes.
  for (uint64_t first : {31, 41}) {
    writer.reset();
    writer = open_writer(dir / "log");
    append_range(*writer, first, 10);
  }
  last = follower->refresh();
  BOOST_REQUIRE_MESSAGE(last, why(last));
  BOOST_TEST(*last == 50u);
  BOOST_TEST(seqs(*follower) == range(1, 50));
  BOOST_TEST(seqs(*follower, {.source = "odd"}) == range(1, 50, 2));
}

BOOST_AUTO_TEST_CASE(a_follower_writes_nothing_into_the_log_and_cleans_up) {
  test::temp_dir dir;
  test::temp_dir tmp;
  auto writer = open_writer(dir / "log");
  append_range(*writer, 1, 5);
  auto before = names_in(dir / "log");
  {
    tmpdir_override use{tmp.path().string()};
    auto follower = open_follower(dir / "log");
    // Its own files are in a folder of its own under $TMPDIR.
    BOOST_TEST(names_in(tmp.path().string()).size() == 1u);
    append_range(*writer, 6, 5);
    BOOST_REQUIRE(follower->refresh());
    BOOST_TEST(seqs(*follower) == range(1, 10));
    auto y = make(11);
    auto refused = follower->append(y);
    BOOST_REQUIRE(!refused);
    BOOST_TEST(is(refused.error(), errc::closed));
    BOOST_TEST(is(follower->save_snapshot("v", 1, "s"), errc::closed));
  }
  BOOST_TEST(names_in(dir / "log") == before);
  BOOST_TEST(names_in(tmp.path().string()).empty());
  // The writer goes on undisturbed.
  append_range(*writer, 11, 1);
  BOOST_TEST(writer->last_seq() == 11u);
}

BOOST_AUTO_TEST_CASE(a_missing_log_is_not_created_for_following) {
  test::temp_dir dir;
  auto store = event_store::open(dir / "log", {.follow = true});
  BOOST_REQUIRE(!store);
  BOOST_TEST(is(store.error(), errc::not_found));
  BOOST_TEST(!fs::exists(dir / "log"));
}

BOOST_AUTO_TEST_CASE(a_read_only_store_stays_at_the_log_it_opened) {
  test::temp_dir dir;
  auto writer = open_writer(dir / "log");
  append_range(*writer, 1, 3);
  auto reader = event_store::open(dir / "log", {.read_only = true});
  BOOST_REQUIRE(reader);
  append_range(*writer, 4, 3);
  auto last = (*reader)->refresh();
  BOOST_REQUIRE(last);
  BOOST_TEST(*last == 3u);
}

BOOST_AUTO_TEST_CASE(
    a_reader_beside_a_writer_without_a_temporary_folder_names_the_one_it_tried) {
  test::temp_dir dir;
  auto path = dir / "log";
  auto writer = event_store::open(path, {});
  BOOST_REQUIRE(writer);
  auto* old = std::getenv("TMPDIR");
  std::string saved = old ? old : "";
  ::setenv("TMPDIR", "/nonexistent/tc-tmp", 1);
  for (auto options :
       {store_options{.read_only = true}, store_options{.follow = true}}) {
    auto reader = event_store::open(path, options);
    BOOST_TEST_REQUIRE(!reader);
    auto text = render(reader.error());
    BOOST_TEST(is(reader.error(), errc::not_writable), text);
    BOOST_TEST(text.find("TMPDIR=/nonexistent/tc-tmp") != std::string::npos,
               text);
    BOOST_TEST(text.find("follower") == std::string::npos, text);
  }
  if (old)
    ::setenv("TMPDIR", saved.c_str(), 1);
  else
    ::unsetenv("TMPDIR");
}

BOOST_AUTO_TEST_SUITE_END()
