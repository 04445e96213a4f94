// make_test_log DIR [--schedule | --odd-names | --centuries] [--corrupt]:
// writes the small, deterministic log the `timecontrol` program's tests run
// on (fixed times from 2026-01-01T00:00:00Z, several sources and every event
// type, six calls of the command "api"); with --schedule instead a log of a
// Scheduler at work, for `timecontrol schedule`. With --corrupt it then
// damages the record of seq 3 through RocksDB directly (one flipped byte),
// so that it no longer decodes. With --odd-names it writes instead a few
// events whose names hold markup characters, a stray byte and a control
// character, for the escaping of the readers' output. With --centuries it
// writes instead calls and deadline events from 1700 to 2200, further apart
// than 64-bit nanoseconds reach. With --damage-wal it writes each event on
// its own and then flips a byte in the middle of the write-ahead log. DIR
// must not hold a log yet.

#include <rocksdb/db.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <vector>

#include "timecontrol/storage/detail/format.hpp"
#include "timecontrol/storage/event_store.hpp"

namespace {

using namespace std::chrono_literals;
using namespace tc;

// `one_by_one`: each event in a write of its own (else all in one).
int write_log(const std::string& path, bool one_by_one = false) {
  auto store = event_store::open(path, {});
  if (!store) {
    std::fprintf(stderr, "make_test_log: %s\n", render(store.error()).c_str());
    return 1;
  }
  auto t0 = from_nanos(1767225600000000000); // 2026-01-01T00:00:00Z
  std::vector<envelope> log{
      {0, t0, "node", node_started{4242, "0.1.0"}},
      {0, t0, "api", policy_changed{"2/s burst 2"}},
      {0, t0 + 1ms, "api", call_requested{1}},
      {0, t0 + 1ms, "api", call_admitted{1, 0ns}},
      {0, t0 + 1ms, "api", call_started{1}},
      {0, t0 + 41ms, "api", call_finished{1, 40ms, true, ""}},
      {0, t0 + 100ms, "api", call_requested{2}},
      {0, t0 + 100ms, "api", call_admitted{2, 0ns}},
      {0, t0 + 200ms, "api", call_requested{3}},
      {0, t0 + 200ms, "api",
       call_throttled{3, 301ms, throttle_action::rejected}},
      {0, t0 + 250ms, "api", call_requested{4}},
      {0, t0 + 250ms, "api", call_throttled{4, 251ms, throttle_action::waited}},
      {0, t0 + 501ms, "api", call_admitted{4, 251ms}},
      {0, t0 + 501ms, "api", call_started{4}},
      {0, t0 + 1501ms, "api", call_timed_out{4, 1s}},
      {0, t0 + 1501ms, "api",
       call_finished{4, 1s, false, "HTTP 503: \"unavailable\",\nretry\tlater"}},
      {0, t0 + 2s, "api", call_requested{5}},
      {0, t0 + 2s, "api", call_admitted{5, 0ns}},
      {0, t0 + 2100ms, "api", call_requested{6}},
      {0, t0 + 2100ms, "api", call_admitted{6, 0ns}},
      {0, t0 + 500ms, "scheduler",
       intent_scheduled{7, "poller", "every 1s", "coalesce", -1, "a,b=\"c\"",
                        ""}},
      {0, t0 + 1s, "scheduler", intent_fired{7, t0 + 1s, "a,b=\"c\""}},
      {0, t0 + 3500ms, "scheduler",
       intent_misfired{7, t0 + 3s, 2, misfire_action::coalesced}},
      {0, t0 + 3600ms, "scheduler", intent_cancelled{7}},
      {0, t0 + 1500ms, "watchdog",
       deadline_status_changed{"poller", deadline_status::up,
                               deadline_status::late}},
      {0, t0 + 1500ms, "watchdog", deadline_missed{"poller", 500ms}},
      {0, t0 + 4s, "node", node_stopped{"fixture done"}},
  };
  std::span<envelope> all{log};
  for (size_t at = 0; at < all.size();) {
    auto n = one_by_one ? 1 : all.size();
    auto range = (*store)->append(all.subspan(at, n));
    if (!range) {
      std::fprintf(stderr, "make_test_log: %s\n",
                   render(range.error()).c_str());
      return 1;
    }
    at += n;
  }
  return 0;
}

// Writes `log` as a new log at `path`; the exit code.
int write_events(const std::string& path, std::vector<envelope> log) {
  auto store = event_store::open(path, {});
  if (!store) {
    std::fprintf(stderr, "make_test_log: %s\n", render(store.error()).c_str());
    return 1;
  }
  auto range = (*store)->append(log);
  if (!range) {
    std::fprintf(stderr, "make_test_log: %s\n", render(range.error()).c_str());
    return 1;
  }
  return 0;
}

// The schedule log (--schedule): a Scheduler at work for 6 s, with an event
// of another source between. At the end three intents are pending: 1
// ("poller", every 1 s, fired for 0 s and 1 s, 2 s missed, 3 s fired), 2
// ("report", hourly cron) and 6 ("mailer", every 30 s until 00:02:00);
// 3 (a once) and 4 (twice) ran out and 5 was cancelled. Seq 3 is a
// scheduler event.
int write_schedule_log(const std::string& path) {
  auto t0 = from_nanos(1767225600000000000); // 2026-01-01T00:00:00Z
  auto ns = [&](duration d) { return std::to_string(to_nanos(t0 + d)); };
  std::string s = "scheduler";
  std::vector<envelope> log{
      {0, t0, "node", node_started{4242, "0.1.0"}},
      {0, t0, s,
       intent_scheduled{1, "poller", "every 1s from " + ns(0s),
                        "coalesce grace 500ms", 0, "fast", ""}},
      {0, t0, s,
       intent_scheduled{2, "report", "cron 0 * * * *", "skip", 5, "hourly",
                        ""}},
      {0, t0, s,
       intent_scheduled{3, "backup", "once 2026-01-01T00:00:05Z", "run-all", 1,
                        "full", ""}},
      {0, t0, s,
       intent_scheduled{4, "poller", "every 2s from " + ns(0s) + " times 2", "",
                        0, "slow", ""}},
      {0, t0, s, intent_fired{1, t0, "fast"}},
      {0, t0, s, intent_fired{2, t0, "hourly"}},
      {0, t0, s, intent_fired{4, t0, "slow"}},
      {0, t0 + 1s, s, intent_fired{1, t0 + 1s, "fast"}},
      {0, t0 + 1s, "api", call_requested{1}},
      {0, t0 + 2s, s, intent_fired{4, t0 + 2s, "slow"}},
      {0, t0 + 3500ms, s,
       intent_misfired{1, t0 + 2s, 2, misfire_action::coalesced}},
      {0, t0 + 3500ms, s, intent_fired{1, t0 + 3s, "fast"}},
      {0, t0 + 4s, s,
       intent_scheduled{5, "cleanup", "every 10s from " + ns(4s), "", 0, "",
                        ""}},
      {0, t0 + 4s, s, intent_cancelled{5}},
      {0, t0 + 5s, s, intent_fired{3, t0 + 5s, "full"}},
      {0, t0 + 5s, s,
       intent_scheduled{6, "mailer",
                        "every 30s from " + ns(5s) +
                            " until 2026-01-01T00:02:00Z",
                        "coalesce", -1, "to=\"ops\"\n", ""}},
      {0, t0 + 5s, s, intent_fired{6, t0 + 5s, "to=\"ops\"\n"}},
      {0, t0 + 6s, "node", node_stopped{"fixture done"}},
  };
  return write_events(path, std::move(log));
}

// Changes the record under `key` in the default column family with `edit`.
template <class Edit>
int edit_record(const std::string& path, const std::string& key, Edit edit) {
  std::vector<std::string> names;
  auto st = rocksdb::DB::ListColumnFamilies({}, path, &names);
  if (!st.ok()) {
    std::fprintf(stderr, "make_test_log: %s\n", st.ToString().c_str());
    return 1;
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (auto& name : names)
    families.emplace_back(name, rocksdb::ColumnFamilyOptions{});
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  st = rocksdb::DB::Open({}, path, families, &handles, &db);
  if (st.ok()) {
    std::string value;
    st = db->Get({}, key, &value);
    if (st.ok()) {
      edit(value);
      st = db->Put({}, key, value);
    }
    for (auto* handle : handles)
      db->DestroyColumnFamilyHandle(handle);
    delete db;
  }
  if (!st.ok()) {
    std::fprintf(stderr, "make_test_log: %s\n", st.ToString().c_str());
    return 1;
  }
  return 0;
}

// Flips a byte in the middle of the log's write-ahead log (where the
// events of this fixture are: it never reopens the log).
int damage_wal(const std::string& path) {
  for (auto& entry : std::filesystem::directory_iterator{path}) {
    if (entry.path().extension() != ".log" || entry.file_size() == 0)
      continue;
    std::fstream file{entry.path(),
                      std::ios::in | std::ios::out | std::ios::binary};
    auto at = static_cast<std::streamoff>(entry.file_size() / 2);
    char byte = 0;
    file.seekg(at);
    file.read(&byte, 1);
    byte = static_cast<char>(byte ^ 0x10);
    file.seekp(at);
    file.write(&byte, 1);
    return file.good() ? 0 : 1;
  }
  std::fprintf(stderr, "make_test_log: no write-ahead log in %s\n",
               path.c_str());
  return 1;
}

} // namespace

int damage_seq_3(const std::string& path) {
  return edit_record(path, format::event_key(3),
                     [](std::string& value) { value.back() ^= 0x10; });
}

// A snapshot "stats" whose record says a format version this build does not
// read (as a newer build would write it).
int newer_snapshot(const std::string& path) {
  {
    auto store = event_store::open(path, {});
    if (!store || (*store)->save_snapshot("stats", 1, "state")) {
      std::fprintf(stderr, "make_test_log: cannot save a snapshot\n");
      return 1;
    }
  }
  return edit_record(path, format::snapshot_key("stats"),
                     [](std::string& value) { value.front() = '\x7f'; });
}

int write_odd_log(const std::string& path) {
  auto t0 = from_nanos(1767225600000000000); // 2026-01-01T00:00:00Z
  std::string command = "api<v2>&\"beta\"";
  std::vector<envelope> log{
      {0, t0, command, call_requested{1}},
      {0, t0 + 10ms, command, call_finished{1, 10ms, true, ""}},
      {0, t0 + 20ms, command, call_throttled{2, 1s, throttle_action::rejected}},
      {0, t0 + 1s, "watch'dog",
       deadline_status_changed{"poll\xff\x01&<x>", deadline_status::up,
                               deadline_status::down}},
      {0, t0 + 1s, "watch'dog", deadline_missed{"poll\xff\x01&<x>", 1s}},
      {0, t0 + 2s, "sched]]>", intent_fired{1, t0 + 2s, ""}},
  };
  return write_events(path, std::move(log));
}

// The keyed log (--keyed): "api", with the policy "2 per 1s", admits calls
// of the keys "alice" (calls 1, 3 and 5 at 0, 100 ms and 200 ms: call 5
// breaks the policy) and "bob" (2 and 4 at 50 ms and 150 ms), and one
// unkeyed call (6 at 300 ms). "search", "2 per 1s" with action wait, admits
// calls 1 and 2 of "u1" (0, 100 ms) and 3 of "u2" (150 ms); calls 4 and 5
// of "u1" (200 and 300 ms) queue, 5 behind 4, and are admitted at 1 s and
// 1.1 s; call 6 of "u2" costs 2 and is admitted at 1.2 s. "ping", "min
// 500ms", admits call 1 at 0 and rejects call 2 at 300 ms (retry after
// 200 ms).
int write_keyed_log(const std::string& path) {
  auto t0 = from_nanos(1767225600000000000); // 2026-01-01T00:00:00Z
  auto waited = throttle_action::waited;
  std::vector<envelope> log{
      {0, t0, "api", policy_changed{"2 per 1s"}},
      {0, t0, "search", policy_changed{"2 per 1s"}},
      {0, t0, "ping", policy_changed{"min 500ms"}},
      {0, t0, "api", call_admitted{1, 0ns, 1, "alice"}},
      {0, t0, "search", call_admitted{1, 0ns, 1, "u1"}},
      {0, t0, "ping", call_admitted{1, 0ns}},
      {0, t0 + 50ms, "api", call_admitted{2, 0ns, 1, "bob"}},
      {0, t0 + 100ms, "api", call_admitted{3, 0ns, 1, "alice"}},
      {0, t0 + 100ms, "search", call_admitted{2, 0ns, 1, "u1"}},
      {0, t0 + 150ms, "api", call_admitted{4, 0ns, 1, "bob"}},
      {0, t0 + 150ms, "search", call_admitted{3, 0ns, 1, "u2"}},
      {0, t0 + 200ms, "api", call_admitted{5, 0ns, 1, "alice"}},
      {0, t0 + 200ms, "search", call_throttled{4, 800ms, waited, "u1"}},
      {0, t0 + 300ms, "api", call_admitted{6, 0ns}},
      {0, t0 + 300ms, "search", call_throttled{5, 700ms, waited, "u1"}},
      {0, t0 + 300ms, "ping",
       call_throttled{2, 200ms, throttle_action::rejected}},
      {0, t0 + 1s, "search", call_admitted{4, 800ms, 1, "u1"}},
      {0, t0 + 1100ms, "search", call_admitted{5, 800ms, 1, "u1"}},
      {0, t0 + 1200ms, "search", call_admitted{6, 0ns, 2, "u2"}},
  };
  return write_events(path, std::move(log));
}

// The centuries log (--centuries): calls and deadline events from 1700 to
// 2200, further apart than 64-bit nanoseconds reach (about 292 years), for
// the sums and spans of stats, plot and whatif.
int write_centuries_log(const std::string& path) {
  auto y1700 = from_nanos(-8'520'336'000'000'000'000); // 1700-01-01
  auto y2000 = from_nanos(946'684'800'000'000'000);    // 2000-01-01
  auto y2200 = from_nanos(7'258'118'400'000'000'000);  // 2200-01-01
  std::vector<envelope> log{
      {0, y1700, "api", call_admitted{1, 0ns}},
      {0, y1700 + 40ms, "api", call_finished{1, 40ms, true, ""}},
      {0, y1700 + 1s, "watchdog",
       deadline_status_changed{"api", deadline_status::up,
                               deadline_status::late}},
      {0, y1700 + 1s, "watchdog", deadline_missed{"api", 1s}},
      {0, y2000, "api", call_admitted{2, 0ns}},
      {0, y2000 + 30ms, "api", call_finished{2, 30ms, true, ""}},
      {0, y2000 + 1s, "watchdog",
       deadline_status_changed{"api", deadline_status::late,
                               deadline_status::up}},
      {0, y2200, "api", call_admitted{3, 0ns}},
      {0, y2200 + 20ms, "api", call_finished{3, 20ms, true, ""}},
  };
  return write_events(path, std::move(log));
}

int main(int argc, char** argv) {
  std::string usage =
      "usage: make_test_log DIR [--schedule | --odd-names | --centuries | "
      "--keyed] "
      "[--corrupt | --damage-wal | --newer-snapshot]\n";
  bool schedule = false;
  bool odd = false;
  bool centuries = false;
  bool keyed = false;
  bool corrupt = false;
  bool damage = false;
  bool newer = false;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--schedule" && !schedule && !odd && !centuries)
      schedule = true;
    else if (arg == "--odd-names" && !schedule && !odd && !centuries)
      odd = true;
    else if (arg == "--centuries" && !schedule && !odd && !centuries && !keyed)
      centuries = true;
    else if (arg == "--keyed" && !schedule && !odd && !centuries && !keyed)
      keyed = true;
    else if (arg == "--corrupt" && !corrupt && !damage && !newer)
      corrupt = true;
    else if (arg == "--damage-wal" && !corrupt && !damage && !newer)
      damage = true;
    else if (arg == "--newer-snapshot" && !corrupt && !damage && !newer)
      newer = true;
    else
      argc = 0;
  }
  if (argc < 2) {
    std::fputs(usage.c_str(), stderr);
    return 2;
  }
  auto rc = schedule    ? write_schedule_log(argv[1])
            : odd       ? write_odd_log(argv[1])
            : centuries ? write_centuries_log(argv[1])
            : keyed     ? write_keyed_log(argv[1])
                        : write_log(argv[1], damage);
  if (rc != 0)
    return rc;
  return corrupt  ? damage_seq_3(argv[1])
         : damage ? damage_wal(argv[1])
         : newer  ? newer_snapshot(argv[1])
                  : 0;
}
