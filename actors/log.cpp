#include "timecontrol/actors/log.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "timecontrol/actors/detail/atoms.hpp"
#include "timecontrol/actors/detail/backlog.hpp"
#include "timecontrol/storage/event_store.hpp"

namespace tc {

namespace detail {

uint64_t weight_of(const envelope& x) noexcept {
  uint64_t strings = 0;
  std::visit(
      [&](const auto& body) {
        for_each_field(body, [&](const auto&, const auto& value) {
          if constexpr (std::is_same_v<std::decay_t<decltype(value)>,
                                       std::string>)
            strings += value.size();
        });
      },
      x.body);
  return sizeof(envelope) + x.source.size() + strings;
}

} // namespace detail

namespace {

struct log_state {
  static inline const char* name = "tc.log";

  std::shared_ptr<event_store> store;
  std::shared_ptr<detail::log_backlog> backlog;
  bus_actor bus;
  log_config config;
  std::vector<envelope> pending;
  // Requests waiting for the next write, with the index of their last event
  // in `pending` (npos: a flush, answered with the last seq).
  std::vector<std::pair<caf::typed_response_promise<seq_t>, size_t>> waiting;
  bool commit_scheduled = false;
};

// The Log's whole interface: the public one and its own message.
using log_full = log_actor::extend<caf::reacts_to<detail::commit_atom>>;

using log_pointer = log_full::stateful_pointer<log_state>;

// Writes `pending` in one append, answers the waiting requests and publishes.
void commit(log_pointer self) {
  auto& st = self->state;
  st.commit_scheduled = false;
  if (st.pending.empty()) {
    auto last = st.store->last_seq();
    for (auto& [promise, index] : st.waiting)
      promise.deliver(last);
    st.waiting.clear();
    return;
  }
  auto written = st.store->append(st.pending);
  uint64_t bytes = 0;
  for (auto& x : st.pending)
    bytes += detail::weight_of(x);
  st.backlog->release(bytes);
  if (!written) {
    for (auto& [promise, index] : st.waiting)
      promise.deliver(written.error());
    st.waiting.clear();
    st.pending.clear();
    self->quit(written.error());
    return;
  }
  // Publish before answering: whoever learns that its events are written
  // and then asks the Bus finds them published (runtime::shutdown does).
  std::vector<seq_t> answers;
  answers.reserve(st.waiting.size());
  for (auto& [promise, index] : st.waiting)
    answers.push_back(index < st.pending.size() ? st.pending[index].seq
                                                : written->last);
  auto n = st.pending.size();
  self->send(st.bus, publish_atom::value, std::move(st.pending));
  st.pending.clear();
  // The next batch is likely as large: one allocation, not doublings.
  st.pending.reserve(n);
  for (size_t i = 0; i < answers.size(); ++i)
    st.waiting[i].first.deliver(answers[i]);
  st.waiting.clear();
}

void schedule_commit(log_pointer self) {
  auto& st = self->state;
  if (st.pending.size() >= st.config.max_batch) {
    commit(self);
  } else if (!st.commit_scheduled) {
    // Goes behind everything already in the mailbox: what arrives until
    // then is written together.
    st.commit_scheduled = true;
    self->send(self, detail::commit_atom::value);
  }
}

log_full::behavior_type log_impl(log_pointer self,
                                 std::shared_ptr<event_store> store,
                                 std::shared_ptr<detail::log_backlog> backlog,
                                 bus_actor bus, log_config config) {
  self->state.store = std::move(store);
  self->state.backlog = std::move(backlog);
  self->state.bus = std::move(bus);
  self->state.config = config;
  return {
      [=](record_atom, envelope& x) {
        self->state.pending.push_back(std::move(x));
        schedule_commit(self);
      },
      [=](append_atom, std::vector<envelope>& xs) -> caf::result<seq_t> {
        if (xs.empty())
          return self->state.store->last_seq();
        auto& st = self->state;
        for (auto& x : xs)
          st.pending.push_back(std::move(x));
        auto promise = self->make_response_promise<seq_t>();
        st.waiting.emplace_back(promise, st.pending.size() - 1);
        schedule_commit(self);
        return promise;
      },
      [=](flush_atom) -> caf::result<seq_t> {
        auto& st = self->state;
        if (st.pending.empty() && !st.commit_scheduled)
          return st.store->last_seq();
        auto promise = self->make_response_promise<seq_t>();
        st.waiting.emplace_back(promise, std::string::npos);
        schedule_commit(self);
        return promise;
      },
      [=](detail::commit_atom) { commit(self); },
  };
}

} // namespace

log_actor spawn_log(caf::actor_system& sys, std::shared_ptr<event_store> store,
                    bus_actor bus, log_config config,
                    std::shared_ptr<detail::log_backlog> backlog) {
  if (!backlog)
    backlog = std::make_shared<detail::log_backlog>(config.max_backlog);
  if (config.detached)
    return sys.spawn<caf::detached>(log_impl, std::move(store),
                                    std::move(backlog), std::move(bus), config);
  return sys.spawn(log_impl, std::move(store), std::move(backlog),
                   std::move(bus), config);
}

} // namespace tc
