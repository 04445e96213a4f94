// make_test_log DIR [--corrupt | --odd-names]: writes the small, deterministic
// log the `timecontrol` program's tests run on (fixed times from
// 2026-01-01T00:00:00Z, several sources and every event type, six calls of
// the command "api"). With --corrupt it then damages the record of seq 3
// through RocksDB directly (one flipped byte), so that it no longer decodes.
// With --odd-names it writes instead a few events whose names hold markup
// characters, a stray byte and a control character, for the escaping of the
// readers' output. DIR must not hold a log yet.

#include <rocksdb/db.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "timecontrol/storage/detail/format.hpp"
#include "timecontrol/storage/event_store.hpp"

namespace {

using namespace std::chrono_literals;
using namespace tc;

int write_log(const std::string& path) {
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
       intent_scheduled{7, "poller", "every 1s", "coalesce", -1, "a,b=\"c\""}},
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
  auto range = (*store)->append(log);
  if (!range) {
    std::fprintf(stderr, "make_test_log: %s\n", render(range.error()).c_str());
    return 1;
  }
  return 0;
}

int write_odd_log(const std::string& path) {
  auto store = event_store::open(path, {});
  if (!store) {
    std::fprintf(stderr, "make_test_log: %s\n", render(store.error()).c_str());
    return 1;
  }
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
  auto range = (*store)->append(log);
  if (!range) {
    std::fprintf(stderr, "make_test_log: %s\n", render(range.error()).c_str());
    return 1;
  }
  return 0;
}

int damage_seq_3(const std::string& path) {
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
    auto key = format::event_key(3);
    std::string value;
    st = db->Get({}, key, &value);
    if (st.ok()) {
      value[value.size() - 1] ^= 0x10;
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

} // namespace

int main(int argc, char** argv) {
  std::string usage = "usage: make_test_log DIR [--corrupt | --odd-names]\n";
  std::string option = argc == 3 ? argv[2] : "";
  if (argc < 2 || argc > 3 ||
      (argc == 3 && option != "--corrupt" && option != "--odd-names")) {
    std::fputs(usage.c_str(), stderr);
    return 2;
  }
  if (option == "--odd-names")
    return write_odd_log(argv[1]);
  if (auto rc = write_log(argv[1]); rc != 0)
    return rc;
  return argc == 3 ? damage_seq_3(argv[1]) : 0;
}
