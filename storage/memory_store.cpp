// The in-memory store: the same records, indexes and snapshots as the
// RocksDB store, kept in this process. Records are stored encoded, so replay
// runs the same decoder (and meets the same errors) as with RocksDB.

#include <algorithm>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>
#include <vector>

#include "timecontrol/events/codec.hpp"
#include "timecontrol/storage/detail/format.hpp"
#include "timecontrol/storage/detail/replay_sink.hpp"
#include "timecontrol/storage/detail/stores.hpp"

namespace tc::detail {

namespace {

// Records are copied out in chunks of this many, so a handler never runs
// under the store's lock (it may append).
constexpr size_t replay_chunk = 1024;

class memory_store final : public event_store {
public:
  explicit memory_store(std::string name) : name_(std::move(name)) {}

  using event_store::append;

  [[nodiscard]] caf::expected<seq_range>
  append(std::span<envelope> batch) override {
    if (batch.empty())
      return seq_range{};
    std::unique_lock guard{mutex_};
    auto first = records_.size() + 1;
    for (size_t i = 0; i < batch.size(); ++i) {
      auto& x = batch[i];
      x.seq = first + i;
      records_.push_back(codec::encode(x));
      by_source_[x.source].push_back(x.seq);
      by_type_[x.type()].push_back(x.seq);
    }
    ++stats_.appends;
    ++stats_.writes;
    stats_.events += batch.size();
    return seq_range{first, first + batch.size() - 1};
  }

  seq_t last_seq() const override {
    std::shared_lock guard{mutex_};
    return records_.size();
  }

  [[nodiscard]] caf::error replay(const replay_query& query,
                                  replay_handler& handler) const override {
    replay_sink sink{query, handler};
    std::vector<std::pair<seq_t, std::string>> chunk;
    auto next = std::max<seq_t>(query.from, 1);
    for (;;) {
      chunk.clear();
      {
        std::shared_lock guard{mutex_};
        const std::vector<seq_t>* candidates = nullptr;
        if (query.source) {
          auto i = by_source_.find(*query.source);
          candidates = i != by_source_.end() ? &i->second : &empty_;
        } else if (query.type) {
          auto i = by_type_.find(*query.type);
          candidates = i != by_type_.end() ? &i->second : &empty_;
        }
        if (candidates != nullptr) {
          auto i =
              std::lower_bound(candidates->begin(), candidates->end(), next);
          for (; i != candidates->end() && *i <= query.to &&
                 chunk.size() < replay_chunk;
               ++i)
            chunk.emplace_back(*i, records_[*i - 1]);
        } else {
          for (auto seq = next; seq <= records_.size() && seq <= query.to &&
                                chunk.size() < replay_chunk;
               ++seq)
            chunk.emplace_back(seq, records_[seq - 1]);
        }
      }
      if (chunk.empty())
        return std::move(sink).result();
      for (auto& [seq, record] : chunk)
        if (!sink.record(seq, record))
          return std::move(sink).result();
      next = chunk.back().first + 1;
    }
  }

  [[nodiscard]] caf::error save_snapshot(std::string_view name, seq_t seq,
                                         std::string_view state) override {
    std::unique_lock guard{mutex_};
    if (seq > records_.size())
      return make_error(errc::bad_config,
                        "snapshot '" + std::string{name} + "' covers seq " +
                            std::to_string(seq) + " but the log ends at " +
                            std::to_string(records_.size()));
    snapshots_[std::string{name}] =
        format::encode_snapshot(snapshot{seq, std::string{state}});
    return caf::none;
  }

  [[nodiscard]] caf::expected<std::optional<snapshot>>
  load_snapshot(std::string_view name) const override {
    std::shared_lock guard{mutex_};
    auto i = snapshots_.find(std::string{name});
    if (i == snapshots_.end())
      return std::optional<snapshot>{};
    auto result = format::decode_snapshot(name, i->second);
    if (!result)
      return result.error();
    return std::optional<snapshot>{std::move(*result)};
  }

  durability mode() const noexcept override { return durability::memory; }

  store_stats stats() const override {
    std::shared_lock guard{mutex_};
    return stats_;
  }

  const std::string& path() const noexcept override { return name_; }

private:
  std::string name_;
  mutable std::shared_mutex mutex_;
  std::vector<std::string> records_; // records_[seq - 1]
  std::unordered_map<std::string, std::vector<seq_t>> by_source_;
  std::map<event_type, std::vector<seq_t>> by_type_;
  std::map<std::string, std::string> snapshots_;
  store_stats stats_;
  static inline const std::vector<seq_t> empty_;
};

} // namespace

std::unique_ptr<event_store> make_memory_store(std::string name) {
  return std::make_unique<memory_store>(std::move(name));
}

} // namespace tc::detail
