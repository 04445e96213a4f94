// A plugin: state built only from events.
//
// A plugin folds events into a state (statistics, a learned rate, a view of
// the schedule) and nothing else: no clock, no chance, no I/O. So replaying
// the same log always gives the same state, and a plugin can be rebuilt at
// any time -- from the whole log, or from a snapshot (its state as bytes
// plus the sequence number it covers) and the events after it.
//
//   tc::stats s;
//   if (auto err = tc::rebuild(store, s)) ...    // snapshot, then the rest
//   s.command("api")->calls;
//
// The same object runs live inside an actor (actors/plugin.hpp), which
// rebuilds it, follows the Bus, saves snapshots now and then and answers
// readers. A plugin that acts on what it learns (adaptive_rate, lead_time)
// says what it wants done; the actor does it.

#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <caf/error.hpp>

#include "timecontrol/events/event.hpp"
#include "timecontrol/storage/event_store.hpp"

namespace tc {

class plugin {
public:
  virtual ~plugin();

  /// The name its snapshots are saved under, e.g. "stats" or
  /// "adaptive_rate/api". Two plugins over one log need different names.
  virtual std::string name() const = 0;

  /// The events it reads (source and type); all by default. Events outside
  /// the filter are never passed to apply().
  virtual replay_query filter() const;

  /// The state as bytes, for a snapshot. Begins with a tag naming the
  /// plugin and its format version.
  virtual std::string save() const = 0;

  /// Replaces the state with one written by save(). errc::corrupt_record
  /// (naming the plugin and what is wrong) for anything else, and the state
  /// is then unchanged.
  [[nodiscard]] virtual caf::error load(std::string_view bytes) = 0;

  /// Folds in `x` unless it was seen already (seq <= covered()): so an event
  /// delivered twice -- by a replay and then by the Bus -- counts once.
  void consume(const envelope& x) {
    if (x.seq <= covered_)
      return;
    apply(x);
    covered_ = x.seq;
  }

  /// The last sequence number folded in; 0 before any.
  seq_t covered() const noexcept { return covered_; }

  /// Sets what covered() answers; for loading a snapshot.
  void covered(seq_t seq) noexcept { covered_ = seq; }

protected:
  /// Folds one event, in sequence order, into the state.
  virtual void apply(const envelope& x) = 0;

private:
  seq_t covered_ = 0;
};

struct rebuild_options {
  /// Start from the plugin's snapshot if there is one.
  bool from_snapshot = true;
  /// Stop at this sequence number (inclusive); 0 for the end of the log.
  seq_t to = 0;
  /// Called now and then with the last sequence number read, for progress.
  std::function<void(seq_t)> progress = nullptr;
};

/// Brings `p` up to date with `store`: loads its snapshot (when asked and
/// newer than what `p` covers; one that does not load -- its record or its
/// state damaged, or of another format version -- is passed over, and
/// `timecontrol verify` reports it), then replays the events after
/// it that pass its filter. Errors: reading the snapshot's or the store's, e.g.
/// "corrupt_record: seq 42: ...", and errc::operation_failed for an
/// exception thrown by the plugin (naming it and the seq) -- `p` then
/// covers what came before.
[[nodiscard]] caf::error rebuild(const event_store& store, plugin& p,
                                 const rebuild_options& options = {});

/// Saves `p`'s state as its snapshot, covering p.covered().
[[nodiscard]] caf::error save_snapshot(event_store& store, const plugin& p);

} // namespace tc
