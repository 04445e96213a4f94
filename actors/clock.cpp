#include "timecontrol/actors/clock.hpp"

#include <atomic>

#include <caf/actor_clock.hpp>
#include <caf/actor_system.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>

namespace tc {

clock::~clock() = default;

namespace {

class wall_clock final : public clock {
public:
  time_point now() noexcept override {
    auto t = to_nanos(std::chrono::time_point_cast<duration>(
        std::chrono::system_clock::now()));
    auto last = last_.load(std::memory_order_relaxed);
    while (t > last &&
           !last_.compare_exchange_weak(last, t, std::memory_order_relaxed))
      ; // retry with the newer `last`
    return from_nanos(std::max(t, last));
  }

private:
  std::atomic<int64_t> last_{0};
};

class actor_clock final : public clock {
public:
  actor_clock(caf::actor_system& sys, time_point start)
      : clock_(sys.clock()), start_(start), base_(clock_.now()) {}

  time_point now() noexcept override {
    return start_ + std::chrono::duration_cast<duration>(clock_.now() - base_);
  }

private:
  caf::actor_clock& clock_;
  time_point start_;
  caf::actor_clock::time_point base_;
};

} // namespace

std::shared_ptr<clock> make_wall_clock() {
  return std::make_shared<wall_clock>();
}

std::shared_ptr<clock> make_actor_clock(caf::actor_system& sys,
                                        time_point start) {
  return std::make_shared<actor_clock>(sys, start);
}

} // namespace tc
