// make_corpus: writes the seed corpora of the fuzz targets.
//
//   fuzz.make_corpus DIR     (normally fuzz/corpus)
//
// The seeds are valid inputs of every kind each target reads, so fuzzing
// starts from the interesting part of the input space. Rerun after a format
// change and commit the result.

#include <filesystem>
#include <fstream>
#include <span>

#include "tests/support/sample_events.hpp"
#include "timecontrol/events/codec.hpp"
#include "timecontrol/policies/cron.hpp"
#include "timecontrol/policies/deadline.hpp"
#include "timecontrol/policies/histogram.hpp"
#include "timecontrol/policies/keyed_limiter.hpp"
#include "timecontrol/policies/min_interval.hpp"
#include "timecontrol/policies/sliding_window.hpp"
#include "timecontrol/policies/token_bucket.hpp"
#include "timecontrol/policies/under_limiter.hpp"
#include "timecontrol/storage/detail/format.hpp"
#include "timecontrol/storage/detail/log_files.hpp"
#include "timecontrol/storage/event_store.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

void write(const fs::path& dir, const std::string& name,
           const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream{dir / name, std::ios::binary} << bytes;
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 2)
    return 2;
  fs::path root = argv[1];
  int i = 0;
  for (auto& x : tc::test::sample_envelopes(1))
    write(root / "codec", "event-" + std::to_string(i++), tc::codec::encode(x));

  write(root / "store_records", "snapshot",
        tc::format::encode_snapshot({42, "state bytes"}));
  write(root / "store_records", "gap",
        std::string(7, '\0') + "\x05" +
            tc::format::encode_gap({5, 9, true, 12}));
  write(root / "store_records", "lease", tc::detail::encode_lease(1 << 20));

  // A write-ahead log of a real log: three writes of the sample events.
  {
    auto dir = fs::temp_directory_path() / "timecontrol-make-corpus";
    fs::remove_all(dir);
    {
      auto store = tc::event_store::open((dir / "log").string(), {});
      if (!store)
        return 1;
      auto samples = tc::test::sample_envelopes();
      std::span<tc::envelope> all{samples};
      for (size_t at = 0; at < all.size(); at += 6)
        if (!(*store)->append(
                all.subspan(at, std::min<size_t>(6, all.size() - at))))
          return 1;
    }
    for (auto& entry : fs::directory_iterator{dir / "log"})
      if (entry.path().extension() == ".log" && entry.file_size() > 0) {
        std::ifstream in{entry.path(), std::ios::binary};
        write(root / "wal", "log-0",
              std::string{std::istreambuf_iterator<char>{in}, {}});
      }
    fs::remove_all(dir);
  }
  std::string postings = std::string(7, '\0') + "\x05";
  tc::format::encode_postings({5, 6, 9, 300}, postings);
  write(root / "store_records", "postings", postings);

  for (auto spec : {"5/s burst 10", "20 per 10s", "min 200ms", "0.5/s", "3/10s",
                    "100/min", "1 per 1h"})
    write(root / "limiter_spec", std::to_string(i++), spec);

  for (auto expr :
       {"*/5 * * * *", "0 9-17 * * MON-FRI", "30 2 1,15 * *", "0 0 29 feb *",
        "15 10 * jan,jul sun", "0-59/7 */3 * * *", "0 0 * * 1/2",
        "0 0 L-3,15 * *", "0 9 * * MON#1,5L", "TZ=Europe/Berlin 30 2 * * *",
        "CRON_TZ=Australia/Lord_Howe 0,30 1-3 * * FRI-SUN"})
    write(root / "cron", std::to_string(i++), expr);
  write(root / "trigger_spec", "cron-tz-jitter",
        "cron TZ=America/New_York 0 9 L * 1#1 jitter 5min");

  auto t0 = tc::from_nanos(1'000'000'000);
  auto tagged = [](char tag, std::string bytes) {
    return std::string(1, tag) + bytes;
  };
  tc::min_interval mi{5s, t0};
  mi.admit(t0 + 7s);
  write(root / "policy_state", "min_interval", tagged(0, mi.serialize()));
  auto lim =
      tc::make_under_limiter(tc::parse_limiter_spec("3 per 10s").value(), t0);
  tc::admit(lim, t0 + 1s);
  write(root / "policy_state", "under_limiter",
        tagged(1, tc::serialize_under_limiter(lim)));
  tc::token_bucket tb{tc::token_rate::per_second(5), 10, t0};
  tb.admit(t0 + 1s, 3);
  write(root / "policy_state", "token_bucket", tagged(2, tb.serialize()));
  tc::sliding_window sw{20, 10s};
  sw.admit(t0);
  write(root / "policy_state", "sliding_window", tagged(3, sw.serialize()));
  tc::deadline dl{1s, 500ms, t0};
  dl.called(t0 + 1s);
  write(root / "policy_state", "deadline", tagged(4, dl.serialize()));
  tc::deadline cron_dl{
      tc::cron_schedule::parse("TZ=Europe/Berlin 30 2 * * *").value(), 1min,
      t0};
  cron_dl.called(t0 + 1s);
  write(root / "policy_state", "deadline_cron", tagged(4, cron_dl.serialize()));
  tc::histogram h;
  for (int64_t v : {1, 10, 1000, 123456})
    h.record(v);
  write(root / "policy_state", "histogram", tagged(5, h.serialize()));
  tc::token_bucket reserved{tc::token_rate{3, 7ns}, 2, t0};
  reserved.reserve(t0, 2);
  reserved.reserve(t0, 1);
  write(root / "policy_state", "token_bucket-reserved",
        tagged(2, reserved.serialize()));
  // A Command's keys under "5/s burst 10" (spec byte 1).
  tc::keyed_limiter keys{tc::parse_limiter_spec("5/s burst 10").value()};
  (void)keys.admit("user-42", t0, 3);
  (void)keys.admit(std::string(20, 'k'), t0 + 1s);
  write(root / "policy_state", "keyed_limiter",
        tagged(6, std::string(1, '\x01') + keys.serialize()));
  return 0;
}
