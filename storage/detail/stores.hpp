// The implementations behind event_store::open(). Not installed.

#pragma once

#include <memory>
#include <string>

#include "timecontrol/storage/event_store.hpp"

namespace tc::detail {

[[nodiscard]] caf::expected<std::unique_ptr<event_store>>
open_rocksdb_store(const std::string& path, const store_options& options);

std::unique_ptr<event_store> make_memory_store(std::string name);

[[nodiscard]] caf::expected<size_t> diagnose_rocksdb_log(
    const std::string& path,
    const std::function<void(seq_t, const caf::error&)>& problem);

} // namespace tc::detail
