// Crash recovery: a writer process is killed with SIGKILL at random moments;
// every append it saw acknowledged must be in the log afterwards, whole and
// decodable, under its own number; the numbers it had reserved past its last
// event are a declared gap (never reused), and the log must take new
// appends after them.
//
// In sync mode the promise is "acknowledged means on disk"; in buffered mode
// it is "nothing is lost when the process dies" (only a machine crash can
// lose data there). Both are checked against a process crash here.

#include "timecontrol/storage/event_store.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <csignal>
#include <random>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "tests/support/temp_dir.hpp"

using namespace tc;

namespace {

// Runs the writer until it has acknowledged at least `acks` appends, then
// kills it. Returns the highest acknowledged sequence number.
seq_t run_and_kill(const std::string& path, const char* mode, uint64_t seed,
                   int acks) {
  int out[2];
  BOOST_REQUIRE(::pipe(out) == 0);
  auto child = ::fork();
  BOOST_REQUIRE(child >= 0);
  if (child == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    auto seed_text = std::to_string(seed);
    ::execl(TC_CRASH_WRITER, TC_CRASH_WRITER, path.c_str(), mode,
            seed_text.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(out[1]);
  seq_t acknowledged = 0;
  std::string pending;
  char buf[4096];
  int seen = 0;
  while (seen < acks) {
    auto n = ::read(out[0], buf, sizeof buf);
    if (n <= 0)
      break;
    pending.append(buf, static_cast<size_t>(n));
    size_t pos;
    while ((pos = pending.find('\n')) != std::string::npos) {
      acknowledged = std::stoull(pending.substr(0, pos));
      pending.erase(0, pos + 1);
      ++seen;
    }
  }
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ::close(out[0]);
  BOOST_REQUIRE_MESSAGE(seen >= acks, "the writer stopped early");
  BOOST_REQUIRE(WIFSIGNALED(status));
  return acknowledged;
}

// Opens the log after a crash and checks it end to end: every event whole
// and under its own number, and the numbers the killed writer had reserved
// (its lease) past the last event declared a gap, never reused.
void check_after_crash(const std::string& path, seq_t acknowledged) {
  auto opened = event_store::open(path, {});
  if (!opened)
    BOOST_FAIL(render(opened.error()));
  auto& store = **opened;
  BOOST_TEST_REQUIRE(store.last_seq() >= acknowledged);
  auto losses = store.losses();
  // Moves `seq` past the declared numbers from it up to `until`.
  auto skip_declared = [&](seq_t& seq, seq_t until) {
    while (seq < until) {
      auto loss = std::find_if(losses.begin(), losses.end(), [&](auto& l) {
        return seq >= l.first && seq <= l.last;
      });
      BOOST_TEST_REQUIRE((loss != losses.end()), "seq " << seq);
      BOOST_TEST_REQUIRE(!loss->stored);
      BOOST_TEST_REQUIRE(loss->repaired_at == 0u);
      seq = loss->last + 1;
    }
  };
  seq_t expected = 1;
  std::vector<seq_t> seqs;
  auto err = store.replay({}, [&](const envelope& x) {
    // Between two events only numbers reserved before a crash.
    skip_declared(expected, x.seq);
    BOOST_TEST_REQUIRE(x.seq == expected);
    auto* body = std::get_if<call_finished>(&x.body);
    BOOST_TEST_REQUIRE(body != nullptr);
    BOOST_TEST_REQUIRE(body->call_id == x.seq);
    seqs.push_back(x.seq);
    ++expected;
    return true;
  });
  BOOST_TEST_REQUIRE(!err, render(err));
  BOOST_TEST_REQUIRE(!seqs.empty());
  BOOST_TEST_REQUIRE(seqs.back() >= acknowledged);
  // The last crash's reservation ends the log.
  skip_declared(expected, store.last_seq() + 1);
  // The index agrees with the records.
  std::vector<seq_t> indexed;
  err = store.replay({.source = "writer"}, [&](const envelope& x) {
    indexed.push_back(x.seq);
    return true;
  });
  BOOST_TEST_REQUIRE(!err, render(err));
  BOOST_TEST_REQUIRE((indexed == seqs));
  // Appending goes on after the reservation, never below it.
  envelope next{0, time_point{}, "writer",
                call_finished{store.last_seq() + 1, duration{7}, true, ""}};
  auto seq = store.append(next);
  BOOST_TEST_REQUIRE(static_cast<bool>(seq));
  BOOST_TEST_REQUIRE(*seq == expected);
}

void kill_repeatedly(const char* mode) {
  test::temp_dir dir;
  auto path = dir / "log";
  std::mt19937 rng{20261126};
  std::uniform_int_distribution<int> acks{1, 60};
  for (int round = 0; round < 15; ++round) {
    BOOST_TEST_CONTEXT("round " << round) {
      auto acknowledged = run_and_kill(path, mode, rng(), acks(rng));
      check_after_crash(path, acknowledged);
    }
  }
}

} // namespace

BOOST_AUTO_TEST_SUITE(storage_recovery)

BOOST_AUTO_TEST_CASE(acknowledged_sync_appends_survive_sigkill) {
  kill_repeatedly("sync");
}

BOOST_AUTO_TEST_CASE(acknowledged_buffered_appends_survive_sigkill) {
  kill_repeatedly("buffered");
}

BOOST_AUTO_TEST_SUITE_END()
