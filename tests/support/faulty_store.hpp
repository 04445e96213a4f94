// An event store that fails on command: a wrapper around another store
// whose appends (or reads) return a storage failure while a flag is set.

#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "timecontrol/storage/event_store.hpp"

namespace tc::test {

class faulty_store final : public event_store {
public:
  explicit faulty_store(std::unique_ptr<event_store> inner)
      : inner_(std::move(inner)) {}

  std::atomic<bool> fail_appends{false};
  std::atomic<bool> fail_reads{false};
  /// When set, load_snapshot answers this error (a damaged record, say).
  std::optional<errc> snapshot_error;

  using event_store::append;

  [[nodiscard]] caf::expected<seq_range>
  append(std::span<envelope> batch) override {
    if (fail_appends)
      return failure();
    return inner_->append(batch);
  }

  seq_t last_seq() const override { return inner_->last_seq(); }

  using event_store::replay;

  [[nodiscard]] caf::error replay(const replay_query& query,
                                  replay_handler& handler) const override {
    if (fail_reads)
      return failure();
    return inner_->replay(query, handler);
  }

  [[nodiscard]] caf::error save_snapshot(std::string_view name, seq_t seq,
                                         std::string_view state) override {
    if (fail_appends)
      return failure();
    return inner_->save_snapshot(name, seq, state);
  }

  [[nodiscard]] caf::expected<std::optional<snapshot>>
  load_snapshot(std::string_view name) const override {
    if (fail_reads)
      return failure();
    if (snapshot_error)
      return make_error(*snapshot_error, path() + ": snapshot '" +
                                             std::string{name} +
                                             "': injected damage");
    return inner_->load_snapshot(name);
  }

  durability mode() const noexcept override { return inner_->mode(); }

  store_stats stats() const override { return inner_->stats(); }

  const std::string& path() const noexcept override { return inner_->path(); }

private:
  [[nodiscard]] caf::error failure() const {
    return make_error(errc::storage_failure, path() + ": injected failure");
  }

  std::unique_ptr<event_store> inner_;
};

} // namespace tc::test
