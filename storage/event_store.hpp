// The event store: the append-only log every other part is rebuilt from.
//
// An event_store assigns each appended event the next sequence number (1, 2,
// 3, ... with no gaps), stores it, and replays stored events in order. Open
// one with event_store::open(); two implementations hide behind it:
//
//   * the RocksDB store (durability::sync or ::buffered): an embedded RocksDB
//     database in a folder, the default;
//   * the in-memory store (durability::memory): for tests and demos.
//
// Example:
//
//   auto store = tc::event_store::open("/var/lib/app/log", {});
//   if (!store) { std::cerr << tc::render(store.error()); return 1; }
//   tc::envelope e{0, now, "api", tc::call_requested{1}};
//   auto seq = (*store)->append(e);        // e.seq == *seq
//   (*store)->replay({.from = 1}, [](const tc::envelope& x) { ...; return true;
//   });
//
// Thread-safety: every member function may be called from any thread at any
// time. Concurrent appends are committed together (group commit): one
// RocksDB write, and in sync mode one fsync, serves all appends waiting at
// that moment, and sequence numbers follow the order of that write.
//
// The store never lies. Damage is reported as errc::corrupt_record naming
// the damaged file, the offset where it is known and the sequence numbers it
// touches: a log whose write-ahead log, metadata or marker files are damaged
// does not open (only a last write that a crash cut short, never
// acknowledged, is dropped); a damaged table file or record fails the read
// that meets it. Nothing is dropped silently, and a sequence number once
// handed out never names another event: a writer records, durably and
// before it hands out numbers beyond it, a high-water mark of the numbers it
// handed out (the lease), and repair_log() (storage/repair.hpp), which
// salvages a damaged log on request, numbers on past it. Sequence numbers a
// repair declared lost are skipped by replays (see losses()).

#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>
#include <caf/meta/type_name.hpp>

#include "timecontrol/events/event.hpp"

namespace tc {

/// What an acknowledged append survives.
enum class durability : uint8_t {
  /// Acknowledged only after the write-ahead log is fsynced: survives a
  /// process crash and a machine crash or power loss. Appends that wait
  /// together share one fsync (group commit), so many small appends from
  /// many threads cost one fsync per group, not one each.
  sync,
  /// Acknowledged once written to the write-ahead log in the operating
  /// system's buffers, without fsync: survives a process crash (SIGKILL,
  /// abort); a machine crash or power loss can lose the last moments
  /// (whatever the OS had not yet written back, typically under 30 s).
  buffered,
  /// Kept in this process's memory only: everything is lost when the store
  /// is destroyed. For tests and demos.
  memory,
};

std::string_view to_string(durability x) noexcept;

struct store_options {
  durability mode = durability::sync;
  /// Create the log (and missing parent folders) if the folder does not
  /// hold one yet.
  bool create_if_missing = true;
  /// Open an existing log for reading only: no lock is taken, so it works
  /// while another process writes the log, and it sees that log as it was
  /// when opened (whole: never part of a write, never a hole). Appends and
  /// snapshots then fail with errc::closed. Beside a writer (another
  /// process, or a writer store of this process) the RocksDB store opens a
  /// secondary instance, as RocksDB documents for that, with its own small
  /// files in a fresh folder under $TMPDIR, removed when the store is
  /// destroyed; without a writer it opens the log read-only, which fails on
  /// a missing or damaged file.
  bool read_only = false;
  /// Open an existing log for reading only and follow it: like read_only
  /// (no lock, appends and snapshots fail with errc::closed), and refresh()
  /// catches up with what the log's writer appended since. The RocksDB store
  /// opens a secondary instance for this; it writes nothing into the log's
  /// folder and keeps its own files (RocksDB's info log) in a fresh folder
  /// under the system's temporary folder ($TMPDIR), removed when the store
  /// is destroyed (a killed process leaves it behind).
  bool follow = false;
};

/// Told now and then how far a long operation got: `done` of `total` units
/// of work (the operation says which units).
using progress_fn = std::function<void(uint64_t done, uint64_t total)>;

/// Which events a replay visits. Filters combine with "and".
struct replay_query {
  /// The first sequence number to visit.
  seq_t from = 1;
  /// The last sequence number to visit (inclusive).
  seq_t to = std::numeric_limits<seq_t>::max();
  /// Only events of this source (served by the per-source index).
  std::optional<std::string> source{};
  /// Only events of this type (served by the per-type index).
  std::optional<event_type> type{};
};

/// Inspection in CAF 0.17 form (the Bus takes a replay_query as an
/// observer's filter in a message).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, replay_query& x) {
  bool has_source = x.source.has_value();
  bool has_type = x.type.has_value();
  std::string source = x.source.value_or(std::string{});
  uint16_t type = x.type ? static_cast<uint16_t>(*x.type) : 0;
  if constexpr (Inspector::reads_state) {
    return f(caf::meta::type_name("replay_query"), x.from, x.to, has_source,
             source, has_type, type);
  } else {
    if (auto err = f(caf::meta::type_name("replay_query"), x.from, x.to,
                     has_source, source, has_type, type))
      return err;
    x.source = has_source ? std::optional<std::string>{std::move(source)}
                          : std::nullopt;
    x.type = has_type ? std::optional<event_type>{static_cast<event_type>(type)}
                      : std::nullopt;
    return caf::none;
  }
}

/// What a replay does when a stored record does not decode.
enum class on_corrupt : uint8_t {
  /// Stop and return the record's error (the default).
  stop,
  /// Report it to the handler's `corrupt()` and go on with the next record.
  skip,
};

/// Receives replayed events (LevelDB's WriteBatch::Handler shape).
class replay_handler {
public:
  virtual ~replay_handler();

  /// Called once per event, in sequence order. The envelope is valid only
  /// during the call (its storage is reused). Return false to stop early.
  virtual bool event(const envelope& x) = 0;

  /// Called for a record that does not decode, with its sequence number and
  /// the error. Return `on_corrupt::skip` to go on, `on_corrupt::stop` to end
  /// the replay with that error.
  virtual on_corrupt corrupt(seq_t seq, const caf::error& err);
};

/// A named view's saved state and the sequence number it covers: replaying
/// from `seq + 1` onto `state` gives the view's current state.
struct snapshot {
  seq_t seq = 0;
  std::string state;
  friend bool operator==(const snapshot&, const snapshot&) = default;
};

/// Counters since the store was opened.
struct store_stats {
  /// Calls of append() that stored something.
  uint64_t appends = 0;
  /// Events stored.
  uint64_t events = 0;
  /// Writes to storage: one per group commit. In durability::sync mode each
  /// is one fsync, so events / writes is the group commit's yield.
  uint64_t writes = 0;
};

/// The sequence numbers an append assigned, `first` to `last` inclusive.
struct seq_range {
  seq_t first = 0;
  seq_t last = 0;
  friend bool operator==(const seq_range&, const seq_range&) = default;
};

/// Sequence numbers a repair declared gone (repair_log()), or that a writer
/// declared after an unclean stop (the numbers the stopped writer had
/// reserved past its last event: repaired_at is then 0): no event has them
/// and none ever will. Replays skip them without an error; get() of one
/// answers errc::not_found saying so; verify() does not count them as
/// problems. The log_repaired event at `repaired_at` tells the same.
struct repaired_loss {
  seq_t first = 0;
  seq_t last = 0;
  /// True: events were stored under these numbers and are lost. False: the
  /// numbers may have been handed out (a writer numbered up to them), but no
  /// stored event is known to have had them.
  bool stored = true;
  /// The sequence number of the log_repaired event that declared them; 0
  /// for numbers reserved before an unclean stop (no event declares them).
  seq_t repaired_at = 0;
  friend bool operator==(const repaired_loss&, const repaired_loss&) = default;
};

class event_store {
public:
  // -- construction -----------------------------------------------------------

  /// Opens the log in folder `path` (for durability::memory, `path` only
  /// names the store). A new log is created whole or not at all: built in a
  /// temporary folder beside `path` and renamed to it, so that a process
  /// killed while creating it leaves either no log or one that opens.
  /// Errors (each naming the path):
  ///   errc::not_writable  the folder cannot be created or written;
  ///   errc::locked        another process (or another store in this
  ///                       process) has the log open;
  ///   errc::not_a_log     the folder holds something else (another
  ///                       application's RocksDB database is never
  ///                       modified), or what an interrupted creation by an
  ///                       older version left;
  ///   errc::newer_format  the log was written by a newer format version;
  ///   errc::not_found     no log there and create_if_missing is false (or
  ///                       the store is a reader);
  ///   errc::corrupt_record  the log is damaged: its write-ahead log, its
  ///                       metadata (CURRENT, MANIFEST), a table file it
  ///                       cannot open without, its marker or lease file,
  ///                       or a repair did not finish. The text names the
  ///                       file, the offset and the events it touches where
  ///                       they are known. Until repair_log() salvages it,
  ///                       every open fails so;
  ///   errc::storage_failure  anything else RocksDB reports (a full disk,
  ///                       an I/O error), with its text.
  /// A reader (read_only, follow) whose open races the log's writer (which
  /// deleted a file the reader was about to read) opens again, up to 100
  /// times.
  [[nodiscard]] static caf::expected<std::unique_ptr<event_store>>
  open(const std::string& path, const store_options& options);

  /// Looks for damage in the log at `path` without needing it to open
  /// normally (for a log that open() refused with corrupt_record): its
  /// marker and lease files, its metadata, every WAL file, every table
  /// file's blocks and, when RocksDB can still read it, every record and
  /// index entry. Calls `problem(seq, err)` per problem found, `seq` the
  /// first sequence number it touches (0 if none or not known); returns
  /// their number. Reads only; errors as open() for a missing folder or one
  /// that is not a log.
  [[nodiscard]] static caf::expected<size_t>
  diagnose(const std::string& path,
           const std::function<void(seq_t, const caf::error&)>& problem);

  virtual ~event_store();

  // -- appending --------------------------------------------------------------

  /// Stores `x`, setting `x.seq` to its new sequence number, and returns it.
  /// When this returns, the event is as durable as the store's mode
  /// promises. On error nothing was stored and `x.seq` is 0. (A batch of
  /// one.)
  ///
  /// A write that fails (errc::storage_failure naming the path and the
  /// system's reason, e.g. "No space left on device") stops the store: every
  /// later append and save_snapshot fails with storage_failure without
  /// touching the log; what was acknowledged before stays; once the cause is
  /// gone, the log opens again (in a new store) and appending continues.
  [[nodiscard]] caf::expected<seq_t> append(envelope& x);

  /// Stores all of `batch` atomically (all or none, in one write), numbering
  /// them consecutively in order and setting each `seq`. An empty batch
  /// stores nothing and returns {0, 0}.
  [[nodiscard]] virtual caf::expected<seq_range>
  append(std::span<envelope> batch) = 0;

  // -- reading ----------------------------------------------------------------

  /// The sequence number of the newest stored event; 0 for an empty log.
  virtual seq_t last_seq() const = 0;

  /// Catches up with the log's writer and returns the new last_seq(). Only
  /// a store opened with store_options::follow learns here of events that
  /// another process appended since it opened; it sees each write of the
  /// writer (one append, or one group commit of several) whole or not at
  /// all, the index postings with their records. Every other store just
  /// answers last_seq(): a writer's own store and the in-memory store are
  /// always current, and a read_only store keeps seeing the log as it was
  /// when opened. A replay running meanwhile sees the log as it was before
  /// or after. Errors: errc::storage_failure with RocksDB's text (e.g. the
  /// writer removed a file the follower had not opened yet; a later call
  /// may succeed).
  [[nodiscard]] virtual caf::expected<seq_t> refresh();

  /// Visits the events `query` selects, in order. Returns the first error
  /// that stopped it (a storage failure, or a record that did not decode
  /// while the handler chose `on_corrupt::stop`), or none.
  [[nodiscard]] virtual caf::error replay(const replay_query& query,
                                          replay_handler& handler) const = 0;

  /// Convenience: visits with `f(const envelope&) -> bool` (false stops);
  /// stops at the first record that does not decode.
  [[nodiscard]] caf::error
  replay(const replay_query& query,
         const std::function<bool(const envelope&)>& f) const;

  /// The event with sequence number `seq`; errc::not_found if there is none
  /// (saying so when a repair declared it lost).
  [[nodiscard]] virtual caf::expected<envelope> get(seq_t seq) const;

  /// The sequence numbers repairs declared gone, in order; empty for a log
  /// never repaired.
  virtual std::vector<repaired_loss> losses() const;

  /// Checks the whole log: every record decodes, sequence numbers have no
  /// gap but those a repair declared (losses()), and the source and type
  /// indexes name exactly the stored records; in the RocksDB store also
  /// every table file's blocks (each damaged file reported once, with the
  /// events it holds, which are not reported again one by one), every WAL
  /// file, and the marker, lease and options files; and every snapshot's
  /// record (its checksum; the state inside is its owner's to read) and
  /// that it covers no seq past the end. Calls `problem(seq,
  /// err)` once per problem found (seq 0 when it is not tied to one event)
  /// and goes on; returns the number of problems, or an error if the check
  /// itself could not run (e.g. a read failed). A RocksDB OPTIONS file that
  /// does not parse is told to `problem` as a warning (its text says
  /// "warning, not counted as a problem") and not counted: RocksDB never
  /// reads it back.
  [[nodiscard]] caf::expected<size_t>
  verify(const std::function<void(seq_t, const caf::error&)>& problem) const;

  /// The same, telling `progress` (when set) now and then how far the check
  /// got, in work units of one per record and (in a store that keeps its
  /// own index) one per index posting.
  [[nodiscard]] virtual caf::expected<size_t>
  verify(const std::function<void(seq_t, const caf::error&)>& problem,
         const progress_fn& progress) const;

  // -- snapshots --------------------------------------------------------------

  /// Saves `state` as the snapshot of view `name` covering events up to and
  /// including `seq` (which must not exceed last_seq()), replacing the
  /// name's previous snapshot atomically. Durable like an append.
  [[nodiscard]] virtual caf::error
  save_snapshot(std::string_view name, seq_t seq, std::string_view state) = 0;

  /// The snapshot last saved for `name`, or nullopt if there is none.
  /// errc::corrupt_record if it does not decode.
  [[nodiscard]] virtual caf::expected<std::optional<snapshot>>
  load_snapshot(std::string_view name) const = 0;

  // -- properties -------------------------------------------------------------

  virtual durability mode() const noexcept = 0;

  virtual store_stats stats() const = 0;

  /// The path the store was opened with.
  virtual const std::string& path() const noexcept = 0;
};

} // namespace tc
