#include "timecontrol/plugins/plugin.hpp"

#include "timecontrol/core/error.hpp"

namespace tc {

plugin::~plugin() = default;

replay_query plugin::filter() const {
  return {};
}

caf::error rebuild(const event_store& store, plugin& p,
                   const rebuild_options& options) {
  if (options.from_snapshot) {
    auto snap = store.load_snapshot(p.name());
    // A snapshot is derived data: one whose record is damaged or of a newer
    // format is passed over like one whose state does not load (below),
    // and the events rebuild the state. A read that failed is an error.
    if (!snap && (is(snap.error(), errc::corrupt_record) ||
                  is(snap.error(), errc::newer_format)))
      snap = std::optional<snapshot>{};
    if (!snap)
      return std::move(snap.error());
    if (*snap && (*snap)->seq > p.covered() &&
        (options.to == 0 || (*snap)->seq <= options.to)) {
      // A snapshot is derived data: one that does not load (damaged, or
      // written by another version of the plugin) is passed over, and the
      // events rebuild the state instead (load() left it unchanged).
      if (!p.load((*snap)->state))
        p.covered((*snap)->seq);
    }
  }
  auto query = p.filter();
  query.from = std::max(query.from, p.covered() + 1);
  if (options.to != 0)
    query.to = std::min(query.to, options.to);
  if (query.from > query.to)
    return caf::none;
  // Report progress every 64k events: a clock-free counter keeps the loop
  // as cheap as the replay itself.
  constexpr uint64_t progress_every = 1 << 16;
  uint64_t n = 0;
  caf::error failed;
  auto err = store.replay(query, [&](const envelope& x) {
    try {
      p.consume(x);
    } catch (const std::exception& e) {
      failed = make_error(errc::operation_failed,
                          "plugin '" + p.name() + "': seq " +
                              std::to_string(x.seq) + ": " + e.what());
      return false;
    }
    if (options.progress && ++n % progress_every == 0)
      options.progress(x.seq);
    return true;
  });
  if (options.progress)
    options.progress(p.covered());
  return failed ? failed : err;
}

caf::error save_snapshot(event_store& store, const plugin& p) {
  return store.save_snapshot(p.name(), p.covered(), p.save());
}

} // namespace tc
