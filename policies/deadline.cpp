#include "timecontrol/policies/deadline.hpp"

#include <algorithm>

#include "timecontrol/policies/detail/byte_io.hpp"

namespace tc {

namespace {

constexpr uint8_t tag = 5;
constexpr uint8_t version = 1;

constexpr duration non_negative(duration d) {
  return d < duration{0} ? duration{0} : d;
}

constexpr time_point after(time_point t) {
  return detail::add_sat(t, duration{1});
}

} // namespace

deadline::deadline(duration period, duration grace, time_point created,
                   bool first_call_due) noexcept
    : period_(non_negative(period)), grace_(non_negative(grace)),
      created_(created), last_(created), run_start_(created),
      first_call_due_(first_call_due) {
  // nop
}

void deadline::called(time_point t) noexcept {
  last_ = called_ ? std::max(last_, t) : t;
  called_ = true;
}

void deadline::started(time_point t) noexcept {
  called(t);
  run_start_ = t;
  running_ = true;
}

void deadline::finished(time_point) noexcept {
  running_ = false;
}

void deadline::paused(time_point) noexcept {
  paused_ = true;
}

void deadline::resumed(time_point t) noexcept {
  if (!paused_)
    return;
  paused_ = false;
  if (called_)
    last_ = std::max(last_, t);
  else if (first_call_due_)
    created_ = std::max(created_, t);
}

deadline_status deadline::status(time_point now) const noexcept {
  if (paused_)
    return deadline_status::paused;
  if (running_)
    return now <= detail::add_sat(run_start_, grace_) ? deadline_status::up
                                                      : deadline_status::down;
  if (!called_ && !first_call_due_)
    return deadline_status::never_called;
  auto ref = called_ ? last_ : created_;
  auto due = detail::add_sat(ref, period_);
  if (now <= due)
    return called_ ? deadline_status::up : deadline_status::never_called;
  if (now <= detail::add_sat(due, grace_))
    return deadline_status::late;
  return deadline_status::down;
}

std::optional<time_point> deadline::next_change(time_point now) const noexcept {
  auto bound = [&](time_point b) -> std::optional<time_point> {
    if (b == never)
      return std::nullopt;
    return after(b);
  };
  if (paused_)
    return std::nullopt;
  if (running_) {
    auto end = detail::add_sat(run_start_, grace_);
    return now <= end ? bound(end) : std::nullopt;
  }
  if (!called_ && !first_call_due_)
    return std::nullopt;
  auto ref = called_ ? last_ : created_;
  auto due = detail::add_sat(ref, period_);
  if (now <= due)
    return bound(due);
  auto end = detail::add_sat(due, grace_);
  if (now <= end)
    return bound(end);
  return std::nullopt;
}

std::optional<time_point> deadline::due() const noexcept {
  if (called_)
    return detail::add_sat(last_, period_);
  if (first_call_due_)
    return detail::add_sat(created_, period_);
  return std::nullopt;
}

std::optional<time_point> deadline::last_call() const noexcept {
  if (called_)
    return last_;
  return std::nullopt;
}

std::optional<time_point> deadline::running_since() const noexcept {
  if (running_)
    return run_start_;
  return std::nullopt;
}

std::string deadline::serialize() const {
  detail::byte_writer w{tag, version};
  w.i64(period_.count());
  w.i64(grace_.count());
  w.i64(to_nanos(created_));
  w.u8(static_cast<uint8_t>((first_call_due_ ? 1 : 0) | (called_ ? 2 : 0) |
                            (running_ ? 4 : 0) | (paused_ ? 8 : 0)));
  w.i64(to_nanos(last_));
  w.i64(to_nanos(run_start_));
  return std::move(w).take();
}

std::optional<deadline> deadline::deserialize(std::string_view bytes) {
  detail::byte_reader r{bytes};
  int64_t period = 0;
  int64_t grace = 0;
  int64_t created = 0;
  uint8_t flags = 0;
  int64_t last = 0;
  int64_t run_start = 0;
  if (!r.header(tag, version) || !r.i64(period) || !r.i64(grace) ||
      !r.i64(created) || !r.u8(flags) || !r.i64(last) || !r.i64(run_start) ||
      !r.at_end())
    return std::nullopt;
  if (period < 0 || grace < 0 || flags > 15)
    return std::nullopt;
  deadline d{duration{period}, duration{grace}, from_nanos(created),
             (flags & 1) != 0};
  d.called_ = (flags & 2) != 0;
  d.running_ = (flags & 4) != 0;
  d.paused_ = (flags & 8) != 0;
  if (d.running_ && !d.called_)
    return std::nullopt;
  d.last_ = from_nanos(last);
  d.run_start_ = from_nanos(run_start);
  return d;
}

} // namespace tc
