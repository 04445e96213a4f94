// recorder<Action>: how an actor hands its events to the Log and acts on
// them only once the Log has them ("persist, then act"). Not installed.
//
// An actor queues the events of one pass over its mailbox with record() and
// what it must do once they are safe with after_written() (run a call, fire
// an intent, answer "scheduled") or after_sent() (answer a caller whose
// events need only be on their way, so that a Log flush the caller sends
// next covers them). The first record of a pass asks the actor, by a message
// to itself (out_atom), to send(): all queued events go to the Log as one
// message, and the actions wait for the Log's answer to it. The Log answers
// in order, so every action runs after its own events and all earlier ones
// are written; if the Log fails, each waiting action gets the error instead.
//
// The Log's backlog: every event sent is counted in it (log_backlog); an
// actor that records a lot asks full() and holds back while it is true.

#pragma once

#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <caf/atom.hpp>
#include <caf/send.hpp>

#include "timecontrol/actors/detail/backlog.hpp"
#include "timecontrol/actors/log.hpp"

namespace tc::detail {

/// The message an actor sends itself to hand its queued events to the Log.
using out_atom = caf::atom_constant<caf::atom("tc_out")>;

template <class Action>
class recorder {
public:
  recorder() = default;

  recorder(log_actor log, std::shared_ptr<log_backlog> backlog,
           std::string source)
      : log_(std::move(log)), backlog_(std::move(backlog)),
        slot_(backlog_ ? backlog_->open_slot() : nullptr),
        source_(std::move(source)) {}

  recorder(recorder&&) noexcept = default;
  recorder& operator=(recorder&&) noexcept = default;

  /// Hands what is still queued to the Log: an actor's state (and so its
  /// recorder) is destroyed when it exits, however it exits.
  ~recorder() { send_remaining(); }

  const std::string& source() const noexcept { return source_; }

  const log_actor& log() const noexcept { return log_; }

  /// True while the Log's backlog is over its limit.
  bool backlog_full() const noexcept { return backlog_ && backlog_->full(); }

  /// Queues an event from this recorder's source, stamped `t`. It counts
  /// in the Log's backlog from now on, so that an actor handling many
  /// messages in one pass sees the backlog grow as it records.
  template <class Self>
  void record(Self* self, time_point t, event body) {
    wake(self);
    if (events_.empty() && slot_)
      slot_->hold(t);
    events_.push_back(envelope{0, t, source_, std::move(body)});
    if (backlog_)
      backlog_->add(weight_of(events_.back()));
  }

  /// Runs `a` (through send()'s `run`) once every event recorded so far is
  /// written.
  template <class Self>
  void after_written(Self* self, Action a) {
    if (events_.empty() && !in_flight_.empty()) {
      in_flight_.back().second.push_back(std::move(a));
      return;
    }
    wake(self);
    if (events_.empty())
      sent_.push_back(std::move(a)); // everything recorded is written
    else
      written_.push_back(std::move(a));
  }

  /// Runs `a` once every event recorded so far is handed to the Log.
  template <class Self>
  void after_sent(Self* self, Action a) {
    wake(self);
    sent_.push_back(std::move(a));
  }

  /// Actions waiting for the Log (for bounds and status).
  size_t waiting() const noexcept {
    size_t n = written_.size();
    for (auto& batch : in_flight_)
      n += batch.second.size();
    return n;
  }

  /// Hands the queued events to the Log and runs the after_sent actions
  /// with `run(Action&)`. The after_written actions run with `run` once the
  /// Log answers, or with `fail(Action&, const caf::error&)` if it fails.
  /// `self` must outlive the answer (it does: an actor's response handlers
  /// end with it).
  template <class Self, class Run, class Fail>
  void send(Self* self, Run run, Fail fail) {
    scheduled_ = false;
    if (!events_.empty()) {
      auto n = events_.size();
      if (written_.empty()) {
        if (n == 1)
          caf::anon_send(log_, record_atom::value, std::move(events_.front()));
        else
          caf::anon_send(log_, append_atom::value, std::move(events_));
      } else {
        auto batch = ++batches_;
        in_flight_.emplace_back(batch, std::move(written_));
        written_.clear();
        self->request(log_, caf::infinite, append_atom::value,
                      std::move(events_))
            .then(
                [this, self, batch, run, fail](seq_t) mutable {
                  acked(batch, run);
                  // What the actions recorded and the answers they queued
                  // go out now, not a mailbox pass later.
                  if (!events_.empty() || !sent_.empty())
                    send(self, run, fail);
                },
                [this, batch, fail](caf::error& err) mutable {
                  failed(batch, err, fail);
                });
      }
      events_.clear();
      if (slot_)
        slot_->clear();
      // The next pass is likely as large: one allocation, not doublings.
      events_.reserve(n);
    }
    auto ready = std::move(sent_);
    sent_.clear();
    for (auto& a : ready)
      run(a);
  }

  /// Hands what is queued to the Log without waiting for an answer (the
  /// actor exits). Actions are dropped.
  void send_remaining() {
    if (events_.empty())
      return;
    if (!log_) {
      if (backlog_)
        for (auto& x : events_)
          backlog_->release(weight_of(x));
      events_.clear();
      if (slot_)
        slot_->clear();
      return;
    }
    caf::anon_send(log_, append_atom::value, std::move(events_));
    events_.clear();
    if (slot_)
      slot_->clear();
  }

  /// Takes every action still waiting, in order (the actor exits and
  /// answers them).
  std::vector<Action> take_waiting() {
    std::vector<Action> result;
    for (auto& batch : in_flight_)
      for (auto& a : batch.second)
        result.push_back(std::move(a));
    in_flight_.clear();
    for (auto& a : written_)
      result.push_back(std::move(a));
    written_.clear();
    for (auto& a : sent_)
      result.push_back(std::move(a));
    sent_.clear();
    return result;
  }

private:
  template <class Self>
  void wake(Self* self) {
    if (scheduled_)
      return;
    scheduled_ = true;
    self->send(self, out_atom::value);
  }

  template <class Run>
  void acked(uint64_t batch, Run& run) {
    while (!in_flight_.empty() && in_flight_.front().first <= batch) {
      auto actions = std::move(in_flight_.front().second);
      in_flight_.pop_front();
      for (auto& a : actions)
        run(a);
    }
  }

  template <class Fail>
  void failed(uint64_t batch, const caf::error& err, Fail& fail) {
    while (!in_flight_.empty() && in_flight_.front().first <= batch) {
      auto actions = std::move(in_flight_.front().second);
      in_flight_.pop_front();
      for (auto& a : actions)
        fail(a, err);
    }
  }

  log_actor log_;
  std::shared_ptr<log_backlog> backlog_;
  // The stamp of the oldest event queued and not sent (the watermark).
  std::shared_ptr<stamp_slot> slot_;
  std::string source_;
  bool scheduled_ = false;
  std::vector<envelope> events_;
  // Actions for the events queued now, and for those already written.
  std::vector<Action> written_;
  std::vector<Action> sent_;
  // Batches sent and not yet answered, oldest first.
  std::deque<std::pair<uint64_t, std::vector<Action>>> in_flight_;
  uint64_t batches_ = 0;
};

} // namespace tc::detail
