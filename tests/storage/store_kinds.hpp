// The store implementations every behavioural test runs against.

#pragma once

#include <boost/mpl/list.hpp>

#include <memory>

#include "tests/support/temp_dir.hpp"
#include "timecontrol/storage/event_store.hpp"

namespace tc::test {

/// A fresh store of one kind in a fresh folder.
template <durability Mode>
struct store_fixture {
  static constexpr durability mode = Mode;
  temp_dir dir;
  std::unique_ptr<event_store> store;

  store_fixture() { reopen(); }

  void reopen() {
    store.reset();
    auto opened = event_store::open(dir / "log", store_options{.mode = Mode});
    if (!opened)
      throw std::runtime_error(render(opened.error()));
    store = std::move(*opened);
  }
};

using memory_kind = store_fixture<durability::memory>;
using buffered_kind = store_fixture<durability::buffered>;
using sync_kind = store_fixture<durability::sync>;

using store_kinds = boost::mpl::list<memory_kind, buffered_kind, sync_kind>;
using durable_kinds = boost::mpl::list<buffered_kind, sync_kind>;

} // namespace tc::test
