#include "timecontrol/policies/deadline.hpp"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <utility>

#include "timecontrol/policies/cron.hpp"
#include "timecontrol/policies/detail/byte_io.hpp"

namespace tc {

namespace detail {

// An immutable parsed schedule, shared by the copies of a cron deadline.
struct shared_cron {
  explicit shared_cron(cron_schedule x) : schedule(std::move(x)) {
    // nop
  }

  cron_schedule schedule;
  mutable std::atomic<uint64_t> refs{1};
};

} // namespace detail

namespace {

constexpr uint8_t tag = 5;
constexpr uint8_t version = 3;

constexpr duration non_negative(duration d) {
  return d < duration{0} ? duration{0} : d;
}

constexpr time_point after(time_point t) {
  return detail::add_sat(t, duration{1});
}

} // namespace

// -- rule ---------------------------------------------------------------------

deadline::rule::rule(duration period) noexcept
    : bits_(non_negative(period).count()) {
  // nop
}

deadline::rule::rule(cron_schedule schedule) {
  auto* p = new detail::shared_cron{std::move(schedule)};
  auto address = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(p));
  assert(address >> 63 == 0);
  bits_ = static_cast<int64_t>(~address);
}

const detail::shared_cron* deadline::rule::shared() const noexcept {
  if (bits_ >= 0)
    return nullptr;
  auto address = ~static_cast<uint64_t>(bits_);
  return reinterpret_cast<const detail::shared_cron*>(
      static_cast<uintptr_t>(address));
}

deadline::rule::rule(const rule& other) noexcept : bits_(other.bits_) {
  if (auto* p = shared())
    p->refs.fetch_add(1, std::memory_order_relaxed);
}

deadline::rule::rule(rule&& other) noexcept
    : bits_(std::exchange(other.bits_, 0)) {
  // nop
}

deadline::rule& deadline::rule::operator=(const rule& other) noexcept {
  rule copy{other};
  std::swap(bits_, copy.bits_);
  return *this;
}

deadline::rule& deadline::rule::operator=(rule&& other) noexcept {
  rule moved{std::move(other)};
  std::swap(bits_, moved.bits_);
  return *this;
}

deadline::rule::~rule() {
  if (auto* p = shared();
      p && p->refs.fetch_sub(1, std::memory_order_acq_rel) == 1)
    delete p;
}

duration deadline::rule::period() const noexcept {
  return bits_ >= 0 ? duration{bits_} : duration{0};
}

const cron_schedule* deadline::rule::cron() const noexcept {
  auto* p = shared();
  return p ? &p->schedule : nullptr;
}

bool deadline::rule::equals(const rule& other) const noexcept {
  auto* a = cron();
  auto* b = other.cron();
  if (!a || !b)
    return bits_ == other.bits_;
  return a == b || *a == *b;
}

// -- deadline -----------------------------------------------------------------

deadline::deadline(duration period, duration grace, time_point created,
                   bool first_call_due) noexcept
    : rule_(period), grace_(non_negative(grace)), created_(created),
      last_(created), first_call_due_(first_call_due) {
  // nop
}

deadline::deadline(cron_schedule schedule, duration grace, time_point created,
                   bool first_call_due)
    : rule_(std::move(schedule)), grace_(non_negative(grace)),
      created_(created), last_(created), first_call_due_(first_call_due) {
  // nop
}

time_point deadline::due_after(time_point ref) const noexcept {
  if (auto* cron = rule_.cron())
    return cron->next_after(ref).value_or(never);
  return detail::add_sat(ref, rule_.period());
}

void deadline::note_call(time_point t) noexcept {
  last_ = called_ ? std::max(last_, t) : t;
  called_ = true;
}

bool deadline::admit(time_point t) noexcept {
  if (t < epoch_)
    return false;
  if (paused_) {
    resumed(t);
    resumed_by_call_ = true;
    resumed_by_ = t;
  }
  return true;
}

void deadline::called(time_point t) noexcept {
  admit(t);
  note_call(t);
}

void deadline::started(uint64_t call, time_point t) {
  auto counts = admit(t);
  note_call(t);
  if (!counts)
    return;
  auto i = std::find_if(runs_.begin(), runs_.end(),
                        [&](const run& x) { return x.call == call; });
  if (i != runs_.end())
    i->start = t;
  else
    runs_.push_back(run{call, t});
}

void deadline::finished(uint64_t call, time_point t, bool ok) noexcept {
  auto own = std::find_if(runs_.begin(), runs_.end(),
                          [&](const run& x) { return x.call == call; });
  auto began = own != runs_.end() ? own->start : t;
  std::erase_if(runs_, [&](const run& x) { return x.call == call; });
  if (!admit(t))
    return;
  failed_ = !ok;
  // A success forgets the runs that began before this call and are past
  // their grace by now, as healthchecks forgets a start when a success
  // comes: a process killed in the middle of a call leaves a run that never
  // ends, and it must not hold the command down for ever.
  if (ok)
    std::erase_if(runs_, [&](const run& x) {
      return x.start < began && detail::add_sat(x.start, grace_) < t;
    });
}

void deadline::paused(time_point t) noexcept {
  // Paused again (its replay may not know of a call that resumed it in
  // between): the pause moves to `t`.
  paused_ = true;
  epoch_ = std::max(epoch_, t);
  runs_.clear();
  failed_ = false;
  // A resume by a call, if any, came before this pause.
  resumed_by_call_ = false;
}

void deadline::resumed(time_point t) noexcept {
  if (!paused_)
    return;
  paused_ = false;
  epoch_ = std::max(epoch_, t);
  if (called_)
    last_ = std::max(last_, t);
  else if (first_call_due_)
    created_ = std::max(created_, t);
}

void deadline::reconfigure(duration period, duration grace,
                           time_point since) noexcept {
  rule_ = rule{period};
  grace_ = non_negative(grace);
  created_ = since;
}

void deadline::reconfigure(cron_schedule schedule, duration grace,
                           time_point since) {
  rule_ = rule{std::move(schedule)};
  grace_ = non_negative(grace);
  created_ = since;
}

void deadline::merge_calls(const deadline& calls) {
  if (paused_ && calls.resumed_by_call_ && calls.resumed_by_ >= epoch_) {
    resumed(calls.resumed_by_);
    resumed_by_call_ = true;
    resumed_by_ = calls.resumed_by_;
  }
  if (calls.called_)
    note_call(calls.last_);
  if (paused_)
    return;
  for (auto& x : calls.runs_)
    if (x.start >= epoch_ &&
        std::none_of(runs_.begin(), runs_.end(),
                     [&](const run& y) { return y.call == x.call; }))
      runs_.push_back(x);
  // (The calls' runs and failure all come after their own latest pause,
  // which is not before this one.)
  if (calls.failed_)
    failed_ = true;
}

deadline_status deadline::status(time_point now) const noexcept {
  if (paused_)
    return deadline_status::paused;
  if (failed_)
    return deadline_status::down;
  if (auto start = running_since())
    return now <= detail::add_sat(*start, grace_) ? deadline_status::up
                                                  : deadline_status::down;
  if (!called_ && !first_call_due_)
    return deadline_status::never_called;
  auto due = due_after(called_ ? last_ : created_);
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
  if (paused_ || failed_)
    return std::nullopt;
  if (auto start = running_since()) {
    auto end = detail::add_sat(*start, grace_);
    return now <= end ? bound(end) : std::nullopt;
  }
  if (!called_ && !first_call_due_)
    return std::nullopt;
  auto due = due_after(called_ ? last_ : created_);
  if (now <= due)
    return bound(due);
  auto end = detail::add_sat(due, grace_);
  if (now <= end)
    return bound(end);
  return std::nullopt;
}

std::optional<time_point> deadline::due() const noexcept {
  if (called_)
    return due_after(last_);
  if (first_call_due_)
    return due_after(created_);
  return std::nullopt;
}

std::optional<time_point> deadline::last_call() const noexcept {
  if (called_)
    return last_;
  return std::nullopt;
}

std::optional<time_point> deadline::running_since() const noexcept {
  if (runs_.empty())
    return std::nullopt;
  auto first = runs_.front().start;
  for (auto& x : runs_)
    first = std::min(first, x.start);
  return first;
}

std::string deadline::serialize() const {
  detail::byte_writer w{tag, version};
  w.i64(rule_.period().count());
  w.i64(grace_.count());
  w.i64(to_nanos(created_));
  w.u8(static_cast<uint8_t>((first_call_due_ ? 1 : 0) | (called_ ? 2 : 0) |
                            (failed_ ? 4 : 0) | (paused_ ? 8 : 0) |
                            (resumed_by_call_ ? 16 : 0)));
  w.i64(to_nanos(last_));
  w.i64(to_nanos(epoch_));
  w.i64(to_nanos(resumed_by_));
  w.varint(runs_.size());
  for (auto& x : runs_) {
    w.varint(x.call);
    w.i64(to_nanos(x.start));
  }
  auto* cron = rule_.cron();
  w.str(cron ? std::string_view{cron->text()} : std::string_view{});
  return std::move(w).take();
}

std::optional<deadline> deadline::deserialize(std::string_view bytes) {
  detail::byte_reader r{bytes};
  int64_t period = 0;
  int64_t grace = 0;
  int64_t created = 0;
  uint8_t flags = 0;
  int64_t last = 0;
  if (r.header(tag, 1)) {
    int64_t run_start = 0;
    if (!r.i64(period) || !r.i64(grace) || !r.i64(created) || !r.u8(flags) ||
        !r.i64(last) || !r.i64(run_start) || !r.at_end())
      return std::nullopt;
    if (period < 0 || grace < 0 || flags > 15)
      return std::nullopt;
    deadline d{duration{period}, duration{grace}, from_nanos(created),
               (flags & 1) != 0};
    d.called_ = (flags & 2) != 0;
    d.paused_ = (flags & 8) != 0;
    if ((flags & 4) != 0) {
      if (!d.called_)
        return std::nullopt;
      d.runs_.push_back(run{0, from_nanos(run_start)});
    }
    d.last_ = from_nanos(last);
    return d;
  }
  // Versions 3 and 2 differ only by the cron expression at the end.
  if (bytes.size() < 2)
    return std::nullopt;
  auto got_version = static_cast<uint8_t>(bytes[1]);
  if (got_version != 2 && got_version != version)
    return std::nullopt;
  detail::byte_reader r2{bytes};
  int64_t epoch = 0;
  int64_t resumed_by = 0;
  uint64_t runs = 0;
  if (!r2.header(tag, got_version) || !r2.i64(period) || !r2.i64(grace) ||
      !r2.i64(created) || !r2.u8(flags) || !r2.i64(last) || !r2.i64(epoch) ||
      !r2.i64(resumed_by) || !r2.varint(runs))
    return std::nullopt;
  if (period < 0 || grace < 0 || flags > 31)
    return std::nullopt;
  deadline d{duration{period}, duration{grace}, from_nanos(created),
             (flags & 1) != 0};
  d.called_ = (flags & 2) != 0;
  d.failed_ = (flags & 4) != 0;
  d.paused_ = (flags & 8) != 0;
  d.resumed_by_call_ = (flags & 16) != 0;
  d.last_ = from_nanos(last);
  d.epoch_ = from_nanos(epoch);
  d.resumed_by_ = from_nanos(resumed_by);
  // Each run takes at least 9 bytes: a count beyond what is left is garbage.
  if (runs > bytes.size() / 9)
    return std::nullopt;
  for (uint64_t i = 0; i < runs; ++i) {
    uint64_t call = 0;
    int64_t start = 0;
    if (!r2.varint(call) || !r2.i64(start))
      return std::nullopt;
    d.runs_.push_back(run{call, from_nanos(start)});
  }
  if (got_version == version) {
    std::string_view cron;
    if (!r2.str(cron))
      return std::nullopt;
    if (!cron.empty()) {
      auto schedule = cron_schedule::parse(cron);
      if (!schedule || period != 0)
        return std::nullopt;
      d.rule_ = rule{std::move(schedule).value()};
    }
  }
  if (!r2.at_end())
    return std::nullopt;
  if (!d.runs_.empty() && !d.called_)
    return std::nullopt;
  return d;
}

} // namespace tc
