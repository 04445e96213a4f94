// One flipped byte, at offsets sampled with a fixed seed, in every kind of
// file of a real log written by a real process (log_maker): the WAL, the
// table files, the MANIFEST, CURRENT, the OPTIONS files, IDENTITY, and the
// store's own marker and lease. For each:
//   * the damage is reported (corrupt_record, never not_a_log or another
//     error) by an open, a replay or verify, for writers, readers and
//     followers alike; or it is provably harmless: the log reads back
//     exactly the events written;
//   * no reader ever gets an event that differs from the one written;
//   * after repair_log() (when there was anything to repair), every number
//     is an exact event or declared lost or skipped, and a writer's next
//     number is past every number ever handed out.
// The tally (reported or harmless per kind) is printed with
// --log_level=message.

#include "timecontrol/storage/repair.hpp"

#include <boost/test/unit_test.hpp>

#include <map>
#include <random>

#include "tests/storage/damage_kit.hpp"
#include "tests/support/temp_dir.hpp"
#include "timecontrol/storage/detail/log_files.hpp"

using namespace tc;
using namespace tc::test;

namespace {

struct outcome {
  bool reported = false;
  std::string first_report;
};

// Opens the log one way and reads it all; what it tells goes to `out`.
// Fails the test on an error that is not damage, or on an event that is not
// the one written.
void read_one_way(const std::string& path, store_options options,
                  seq_t last_written, outcome& out) {
  auto note = [&](const caf::error& err) {
    BOOST_TEST(is(err, errc::corrupt_record), render(err));
    if (!out.reported)
      out.first_report = render(err);
    out.reported = true;
  };
  auto opened = event_store::open(path, options);
  if (!opened) {
    note(opened.error());
    return;
  }
  auto& store = **opened;
  auto back = read_back(store);
  BOOST_TEST(back.exact, "an event read back differs from the one written");
  if (back.err) {
    note(back.err);
  } else if (back.seqs != seq_range_of(1, last_written)) {
    BOOST_TEST(false, "the log reads back " << back.seqs.size() << " events of "
                                            << last_written
                                            << " without an error");
  }
  size_t problems = 0;
  auto found = store.verify([&](seq_t, const caf::error& err) {
    ++problems;
    note(err);
  });
  if (!found)
    note(found.error());
}

} // namespace

BOOST_AUTO_TEST_SUITE(storage_byte_flips)

BOOST_AUTO_TEST_CASE(every_flipped_byte_is_reported_or_harmless) {
  temp_dir dir;
  auto pristine = dir / "pristine";
  auto last = make_log(pristine, 3, 300);
  auto path = dir / "log";
  std::map<std::string, std::vector<std::string>> kinds{
      {"WAL", wal_files(pristine)},
      {"table file", table_files(pristine)},
      {"MANIFEST",
       files_in(pristine, [](auto& n) { return n.starts_with("MANIFEST-"); })},
      {"CURRENT", {"CURRENT"}},
      {"OPTIONS",
       files_in(pristine, [](auto& n) { return n.starts_with("OPTIONS-"); })},
      {"IDENTITY", {"IDENTITY"}},
      {"marker", {std::string{detail::marker_file}}},
      {"lease", {std::string{detail::lease_file}}},
  };
  std::mt19937_64 rng{20261201};
  constexpr int samples = 12;
  std::map<std::string, std::pair<int, int>> tally; // reported, harmless
  for (auto& [kind, names] : kinds) {
    BOOST_REQUIRE_MESSAGE(!names.empty(), "no " << kind << " file");
    // Offsets over all the kind's files together.
    std::vector<std::pair<std::string, uint64_t>> files;
    uint64_t total = 0;
    for (auto& name : names) {
      files.emplace_back(name, size_of(pristine + "/" + name));
      total += files.back().second;
    }
    std::uniform_int_distribution<uint64_t> at{0, total - 1};
    std::uniform_int_distribution<int> bit{0, 7};
    for (int sample = 0; sample < samples; ++sample) {
      auto offset = at(rng);
      auto mask = static_cast<uint8_t>(1 << bit(rng));
      size_t i = 0;
      while (offset >= files[i].second)
        offset -= files[i++].second;
      auto& file = files[i].first;
      BOOST_TEST_CONTEXT(kind << ": " << file << " offset " << offset
                              << " mask " << int{mask}) {
        copy_log(pristine, path);
        flip_byte(path + "/" + file, offset, mask);
        outcome seen;
        read_one_way(path, {.create_if_missing = false, .read_only = true},
                     last, seen);
        read_one_way(path, {.create_if_missing = false, .follow = true}, last,
                     seen);
        read_one_way(path, {.create_if_missing = false}, last, seen);
        (seen.reported ? tally[kind].first : tally[kind].second) += 1;
        // Repair, then the log goes on past every number ever handed out.
        auto report = repair_log(path);
        BOOST_REQUIRE_MESSAGE(report, (report ? "" : render(report.error())));
        // A damaged OPTIONS file is the one damage a writer's open heals
        // (it writes new ones and deletes the older): there may be nothing
        // left to repair then.
        if (seen.reported && kind != "OPTIONS")
          BOOST_TEST(report->repaired, "reported: " << seen.first_report);
        auto store = open_or_fail(path);
        auto losses = store->losses();
        auto declared = [&](seq_t seq) {
          return std::any_of(losses.begin(), losses.end(), [&](auto& l) {
            return seq >= l.first && seq <= l.last;
          });
        };
        std::vector<seq_t> seqs;
        auto err = store->replay({}, [&](const envelope& x) {
          seqs.push_back(x.seq);
          if (x.type() != event_type::log_repaired)
            BOOST_TEST((x == numbered_event(x.seq)), "seq " << x.seq);
          return true;
        });
        BOOST_TEST(!err, render(err));
        size_t next = 0;
        for (seq_t seq = 1; seq <= last; ++seq) {
          if (next < seqs.size() && seqs[next] == seq)
            ++next;
          else
            BOOST_TEST(declared(seq), "seq " << seq
                                             << " is neither read nor "
                                                "declared lost");
        }
        auto x = numbered_event(store->last_seq() + 1);
        auto seq = store->append(x);
        BOOST_REQUIRE(seq);
        BOOST_TEST(*seq > last);
      }
    }
  }
  for (auto& [kind, counts] : tally)
    BOOST_TEST_MESSAGE(kind << ": " << counts.first << " reported, "
                            << counts.second << " harmless");
}

BOOST_AUTO_TEST_SUITE_END()
