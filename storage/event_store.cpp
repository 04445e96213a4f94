#include "timecontrol/storage/event_store.hpp"

#include "timecontrol/events/codec.hpp"
#include "timecontrol/storage/detail/replay_sink.hpp"
#include "timecontrol/storage/detail/stores.hpp"

namespace tc {

std::string_view to_string(durability x) noexcept {
  switch (x) {
    case durability::sync:
      return "sync";
    case durability::buffered:
      return "buffered";
    case durability::memory:
      return "memory";
  }
  return {};
}

// -- replay_handler -----------------------------------------------------------

replay_handler::~replay_handler() = default;

on_corrupt replay_handler::corrupt(seq_t, const caf::error&) {
  return on_corrupt::stop;
}

// -- event_store --------------------------------------------------------------

caf::expected<std::unique_ptr<event_store>>
event_store::open(const std::string& path, const store_options& options) {
  if (options.mode == durability::memory)
    return detail::make_memory_store(path);
  return detail::open_rocksdb_store(path, options);
}

event_store::~event_store() = default;

caf::expected<seq_t> event_store::append(envelope& x) {
  auto range = append(std::span<envelope>{&x, 1});
  if (!range)
    return range.error();
  return range->first;
}

caf::error
event_store::replay(const replay_query& query,
                    const std::function<bool(const envelope&)>& f) const {
  struct function_handler : replay_handler {
    const std::function<bool(const envelope&)>& f;
    explicit function_handler(const std::function<bool(const envelope&)>& f)
        : f(f) {}
    bool event(const envelope& x) override { return f(x); }
  };
  function_handler handler{f};
  return replay(query, handler);
}

caf::expected<envelope> event_store::get(seq_t seq) const {
  std::optional<envelope> found;
  auto err = replay({.from = seq, .to = seq}, [&](const envelope& x) {
    found = x;
    return false;
  });
  if (err)
    return err;
  if (!found)
    return make_error(errc::not_found,
                      path() + ": no event with seq " + std::to_string(seq));
  return std::move(*found);
}

std::vector<repaired_loss> event_store::losses() const {
  return {};
}

caf::expected<size_t> event_store::diagnose(
    const std::string& path,
    const std::function<void(seq_t, const caf::error&)>& problem) {
  return detail::diagnose_rocksdb_log(path, problem);
}

caf::expected<seq_t> event_store::refresh() {
  return last_seq();
}

caf::expected<size_t> event_store::verify(
    const std::function<void(seq_t, const caf::error&)>& problem) const {
  return verify(problem, progress_fn{});
}

caf::expected<size_t> event_store::verify(
    const std::function<void(seq_t, const caf::error&)>& problem,
    const progress_fn& progress) const {
  // Without an index of its own to check: every record decodes, no holes.
  struct checker : replay_handler {
    const std::function<void(seq_t, const caf::error&)>& problem;
    const progress_fn& progress;
    seq_t last;
    size_t found = 0;
    checker(const std::function<void(seq_t, const caf::error&)>& f,
            const progress_fn& progress, seq_t last)
        : problem(f), progress(progress), last(last) {}
    bool event(const envelope& x) override {
      if (progress && x.seq % 4096 == 0)
        progress(x.seq, last);
      return true;
    }
    on_corrupt corrupt(seq_t seq, const caf::error& err) override {
      ++found;
      problem(seq, err);
      return on_corrupt::skip;
    }
  };
  auto last = last_seq();
  checker check{problem, progress, last};
  if (auto err = replay({.to = last}, check))
    return err;
  return check.found;
}

// -- replay_sink --------------------------------------------------------------

namespace detail {

bool replay_sink::record(seq_t seq, std::string_view bytes) {
  auto type = codec::peek_type(bytes);
  auto& x = scratch_[type ? alternative_of(*type) : scratch_.size() - 1];
  if (auto err = codec::decode(bytes, x, seq))
    return problem(seq, std::move(err));
  if (query_.type && x.type() != *query_.type)
    return true;
  if (query_.source && x.source != *query_.source)
    return true;
  return handler_.event(x);
}

bool replay_sink::missing(seq_t seq, std::string_view why) {
  return problem(seq,
                 make_error(errc::corrupt_record, "seq " + std::to_string(seq) +
                                                      ": " + std::string{why}));
}

bool replay_sink::problem(seq_t seq, caf::error err) {
  if (handler_.corrupt(seq, err) == on_corrupt::skip)
    return true;
  result_ = std::move(err);
  return false;
}

} // namespace detail

} // namespace tc
