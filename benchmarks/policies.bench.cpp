// bench.policies: the cost of one policy decision, in nanoseconds.
//
// Every benchmark advances a simulated `now` by a fixed step per iteration,
// so the policy sees a realistic mix of admitted and refused calls; the step
// is named in the benchmark's argument.
//
//   baseline_compare          the floor: one subtraction and one comparison
//                             on a time point, as a hand-written limiter would
//   min_interval_admit/S      refusing variant, period 100ns, step S ns
//   min_interval_reserve      waiting variant
//   token_bucket_allow/S      allow(now), 10 tokens/us burst 10, step S ns
//                             (S = 1000: always admitted; S = 10: mostly
//                             refused)
//   baseline_float_bucket_allow/S  the same decision in x/time/rate's
//                             double arithmetic, the baseline for the above
//   token_bucket_admit/S      admit(now): allow plus the earliest time
//   token_bucket_reserve      reserve(now) with max_wait 0
//   sliding_window_admit/N    N calls per 10us window, step 50ns
//   under_limiter_admit/K     admit through the variant a Command holds
//                             (out of line), K = 0 min_interval,
//                             1 token_bucket, 2 sliding_window; step 50ns
//   deadline_status           status(now) of a called deadline
//   deadline_next_change      next_change(now)
//   deadline_status_cron      status(now) of a deadline called at a fire time
//                             of "TZ=Europe/Berlin 30 2 * * *" (each status
//                             asks the schedule for its next fire time)
//   deadline_status_cron_utc  the same with "30 2 * * *" in UTC
//   every_trigger_next_after  next fire of an every trigger with jitter
//   cron_next_after           next fire of "*/5 9-17 * * MON-FRI"
//   cron_next_after_zoned     the same on Europe/Berlin's clock
//   cron_next_after_last_nth  next fire of "0 9 L * 1#1" (last day or first
//                             Monday)
//   cron_next_after_jitter    "*/5 9-17 * * MON-FRI" with a jitter of 1min
//   token_bucket_reserve_cancel  reserve(now, 1) and cancel it at once
//   histogram_record          record one value from a log-uniform sample
//   histogram_p99             quantile(0.99) of 1M recorded values
//
// Run in a release build:
//   bench.policies --benchmark_min_time=0.2

#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>
#include <vector>

#include "timecontrol/policies/cron.hpp"
#include "timecontrol/policies/deadline.hpp"
#include "timecontrol/policies/histogram.hpp"
#include "timecontrol/policies/min_interval.hpp"
#include "timecontrol/policies/sliding_window.hpp"
#include "timecontrol/policies/token_bucket.hpp"
#include "timecontrol/policies/trigger.hpp"
#include "timecontrol/policies/under_limiter.hpp"

using namespace tc;
using namespace std::chrono_literals;

namespace {

void baseline_compare(benchmark::State& state) {
  auto step = duration{state.range(0)};
  auto period = 100ns;
  time_point last{};
  time_point now{};
  for (auto _ : state) {
    now += step;
    bool ok = now - last >= period;
    if (ok)
      last = now;
    benchmark::DoNotOptimize(ok);
  }
}
BENCHMARK(baseline_compare)->Arg(10)->Arg(1000);

void min_interval_admit(benchmark::State& state) {
  auto step = duration{state.range(0)};
  min_interval lim{100ns};
  time_point now{};
  for (auto _ : state) {
    now += step;
    auto d = lim.admit(now);
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(min_interval_admit)->Arg(10)->Arg(1000);

void min_interval_reserve(benchmark::State& state) {
  min_interval lim{100ns};
  time_point now{};
  for (auto _ : state) {
    now += 50ns;
    auto w = lim.reserve(now);
    benchmark::DoNotOptimize(w);
  }
}
BENCHMARK(min_interval_reserve);

void token_bucket_allow(benchmark::State& state) {
  auto step = duration{state.range(0)};
  token_bucket tb{token_rate{10, 1us}, 10};
  time_point now{};
  for (auto _ : state) {
    now += step;
    bool ok = tb.allow(now);
    benchmark::DoNotOptimize(ok);
  }
}
BENCHMARK(token_bucket_allow)->Arg(10)->Arg(1000);

// Baseline: x/time/rate's arithmetic as written in Go (double tokens,
// float seconds), without reservations; what exact integer arithmetic costs
// is the difference to token_bucket_allow.
struct float_bucket {
  double rate_per_ns;
  double burst;
  double tokens;
  int64_t last = 0;

  bool allow(int64_t now) {
    auto elapsed = static_cast<double>(now > last ? now - last : 0);
    auto t = std::min(burst, tokens + elapsed * rate_per_ns);
    if (t < 1.0)
      return false;
    tokens = t - 1.0;
    last = now > last ? now : last;
    return true;
  }
};

void baseline_float_bucket_allow(benchmark::State& state) {
  auto step = state.range(0);
  float_bucket fb{10.0 / 1000.0, 10.0, 10.0};
  int64_t now = 0;
  for (auto _ : state) {
    now += step;
    bool ok = fb.allow(now);
    benchmark::DoNotOptimize(ok);
  }
}
BENCHMARK(baseline_float_bucket_allow)->Arg(10)->Arg(1000);

void token_bucket_admit(benchmark::State& state) {
  auto step = duration{state.range(0)};
  token_bucket tb{token_rate{10, 1us}, 10};
  time_point now{};
  for (auto _ : state) {
    now += step;
    auto a = tb.admit(now);
    benchmark::DoNotOptimize(a);
  }
}
BENCHMARK(token_bucket_admit)->Arg(10)->Arg(1000);

void token_bucket_reserve(benchmark::State& state) {
  token_bucket tb{token_rate{10, 1us}, 10};
  time_point now{};
  for (auto _ : state) {
    now += 50ns;
    auto r = tb.reserve(now, 1, 0ns);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(token_bucket_reserve);

void sliding_window_admit(benchmark::State& state) {
  sliding_window sw{static_cast<uint64_t>(state.range(0)), 10us};
  time_point now{};
  for (auto _ : state) {
    now += 50ns;
    auto a = sw.admit(now);
    benchmark::DoNotOptimize(a);
  }
}
BENCHMARK(sliding_window_admit)->Arg(10)->Arg(100)->Arg(10000);

void under_limiter_admit(benchmark::State& state) {
  const char* specs[] = {"min 100ns", "10/1us burst 10", "10 per 1us"};
  auto lim = make_under_limiter(
      parse_limiter_spec(specs[state.range(0)]).value(), time_point{});
  time_point now{};
  for (auto _ : state) {
    now += 50ns;
    auto a = admit(lim, now);
    benchmark::DoNotOptimize(a);
  }
  state.SetLabel(specs[state.range(0)]);
}
BENCHMARK(under_limiter_admit)->Arg(0)->Arg(1)->Arg(2);

void deadline_status(benchmark::State& state) {
  deadline d{1ms, 100us, time_point{}};
  d.called(time_point{});
  time_point now{};
  for (auto _ : state) {
    now += 7ns;
    auto s = d.status(now);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(deadline_status);

void deadline_next_change(benchmark::State& state) {
  deadline d{1ms, 100us, time_point{}};
  d.called(time_point{});
  time_point now{};
  for (auto _ : state) {
    now += 7ns;
    auto t = d.next_change(now);
    benchmark::DoNotOptimize(t);
  }
}
BENCHMARK(deadline_next_change);

void deadline_status_cron_in(benchmark::State& state, std::string_view text) {
  auto schedule = cron_schedule::parse(text).value();
  auto t0 = time_point{std::chrono::seconds{1'795'680'000}};
  deadline d{schedule, 100us, t0};
  d.called(t0);
  auto now = t0;
  for (auto _ : state) {
    now += 7ns;
    auto s = d.status(now);
    benchmark::DoNotOptimize(s);
  }
}

void deadline_status_cron(benchmark::State& state) {
  deadline_status_cron_in(state, "TZ=Europe/Berlin 30 2 * * *");
}
BENCHMARK(deadline_status_cron);

void deadline_status_cron_utc(benchmark::State& state) {
  deadline_status_cron_in(state, "30 2 * * *");
}
BENCHMARK(deadline_status_cron_utc);

void every_trigger_next_after(benchmark::State& state) {
  auto t = every_trigger::make(1s, time_point{}, std::nullopt, std::nullopt,
                               100ms, 42)
               .value();
  time_point now{};
  for (auto _ : state) {
    now += 333ms;
    auto f = t.next_after(now);
    benchmark::DoNotOptimize(f);
  }
}
BENCHMARK(every_trigger_next_after);

void cron_next_after(benchmark::State& state) {
  auto c = cron_schedule::parse("*/5 9-17 * * MON-FRI").value();
  auto now = from_nanos(1'700'000'000'000'000'000);
  for (auto _ : state) {
    now += 7min;
    auto f = c.next_after(now);
    benchmark::DoNotOptimize(f);
  }
}
BENCHMARK(cron_next_after);

void cron_next_after_zoned(benchmark::State& state) {
  auto c =
      cron_schedule::parse("TZ=Europe/Berlin */5 9-17 * * MON-FRI").value();
  auto now = from_nanos(1'700'000'000'000'000'000);
  for (auto _ : state) {
    now += 7min;
    auto f = c.next_after(now);
    benchmark::DoNotOptimize(f);
  }
}
BENCHMARK(cron_next_after_zoned);

void cron_next_after_last_nth(benchmark::State& state) {
  auto c = cron_schedule::parse("0 9 L * 1#1").value();
  auto now = from_nanos(1'700'000'000'000'000'000);
  for (auto _ : state) {
    now += 7h;
    auto f = c.next_after(now);
    benchmark::DoNotOptimize(f);
  }
}
BENCHMARK(cron_next_after_last_nth);

void cron_next_after_jitter(benchmark::State& state) {
  auto t = cron_trigger::make(
               cron_schedule::parse("*/5 9-17 * * MON-FRI").value(), 1min, 42)
               .value();
  auto now = from_nanos(1'700'000'000'000'000'000);
  for (auto _ : state) {
    now += 7min;
    auto f = t.next_after(now);
    benchmark::DoNotOptimize(f);
  }
}
BENCHMARK(cron_next_after_jitter);

void token_bucket_reserve_cancel(benchmark::State& state) {
  token_bucket tb{token_rate::per_second(1000), 10, time_point{}};
  time_point now{};
  for (auto _ : state) {
    now += 100us;
    auto r = tb.reserve(now, 1);
    auto back = tb.cancel(r, now);
    benchmark::DoNotOptimize(back);
  }
}
BENCHMARK(token_bucket_reserve_cancel);

std::vector<int64_t> sample(size_t n) {
  std::mt19937_64 rng{1};
  std::vector<int64_t> xs(n);
  for (auto& x : xs)
    x = static_cast<int64_t>(rng() >> (rng() % 40 + 24)); // log-uniform-ish
  return xs;
}

void histogram_record(benchmark::State& state) {
  auto xs = sample(4096);
  histogram h;
  size_t i = 0;
  for (auto _ : state) {
    h.record(xs[i++ & 4095]);
  }
  benchmark::DoNotOptimize(h.count());
}
BENCHMARK(histogram_record);

void histogram_p99(benchmark::State& state) {
  auto xs = sample(1 << 20);
  histogram h;
  for (auto x : xs)
    h.record(x);
  for (auto _ : state) {
    auto q = h.p99();
    benchmark::DoNotOptimize(q);
  }
}
BENCHMARK(histogram_p99);

} // namespace

BENCHMARK_MAIN();
