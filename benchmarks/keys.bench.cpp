// bench.keys: memory per key of a limit per key (the keyed_limiter a Command
// holds for its keyed calls, policies/keyed_limiter.hpp), at a million keys.
//
//   keyed_memory/P/L   1 000 000 keys of L bytes ("user-0000042" is 12 bytes,
//                      stored in place; 32 bytes take a heap block of their
//                      own), each admitted once at the same instant under
//                      policy P (0: "5/s burst 10", 1: "min 1s", 2: "10 per
//                      1min"), then reports:
//                        active_heap_per_key  heap in use (mallinfo2: the
//                                             heap's blocks and the mmapped
//                                             ones, such as the hash map's
//                                             bucket array; after
//                                             malloc_trim) with every key
//                                             mid-window, minus before, over
//                                             the keys
//                        active_rss_per_key   growth of the resident set
//                                             over the same
//                        idle_heap_per_key    the same once time has moved
//                                             past every key's limit and
//                                             evict() has forgotten them
//                                             (idle keys, evicted)
//                        idle_rss_per_key     resident set then, minus before
//                        admit_ns             ns per first admission (a new
//                                             key)
//                        evict_ns             ns per key evicted by evict()
//   Idle keys not yet evicted (evictable, the command has not looked at them)
//   cost what active ones do.
//
//   one_key_window/N   N admissions of one key under "N per 1h" (a window
//                      that fills: each decision looks at the key's N kept
//                      times), 1 us apart, then N more, throttled or not;
//                      reports keyed_ns and, in the same run, plain_ns for a
//                      sliding_window alone (the baseline) and their ratio
//                      keyed_over_plain.
//
// Run in a release build:
//   bench.keys

#include <benchmark/benchmark.h>

#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>

#include "timecontrol/policies/keyed_limiter.hpp"
#include "timecontrol/policies/sliding_window.hpp"

using namespace tc;

namespace {

size_t heap_in_use() {
  ::malloc_trim(0);
  auto info = ::mallinfo2();
  return info.uordblks + info.hblkhd; // blocks of the heap and mmapped ones
}

size_t rss_bytes() {
  std::ifstream in{"/proc/self/statm"};
  size_t pages = 0;
  size_t resident = 0;
  in >> pages >> resident;
  return resident * static_cast<size_t>(::sysconf(_SC_PAGESIZE));
}

constexpr const char* specs[] = {"5/s burst 10", "min 1s", "10 per 1min"};

/// Key number i, `size` bytes long ("user-" then digits, zero-padded).
std::string key_of(uint64_t i, size_t size) {
  auto digits = std::to_string(i);
  std::string key = "user-";
  key.append(size - key.size() - digits.size(), '0');
  key += digits;
  return key;
}

void keyed_memory(benchmark::State& state) {
  auto spec = parse_limiter_spec(specs[state.range(0)]);
  if (!spec.ok())
    std::abort();
  auto size = static_cast<size_t>(state.range(1));
  constexpr uint64_t n = 1'000'000;
  for (auto _ : state) {
    // Keys made before the measurement (the caller's strings).
    auto t = from_nanos(1'795'680'000'000'000'000);
    std::optional<keyed_limiter> lim;
    auto heap0 = heap_in_use();
    auto rss0 = rss_bytes();
    lim.emplace(spec.value());
    auto t0 = std::chrono::steady_clock::now();
    std::string key;
    for (uint64_t i = 0; i < n; ++i) {
      key = key_of(i, size);
      if (!lim->admit(key, t).admitted)
        std::abort();
    }
    auto t1 = std::chrono::steady_clock::now();
    if (lim->size() != n)
      std::abort();
    auto heap1 = heap_in_use();
    auto rss1 = rss_bytes();
    // An hour later every key is as good as new.
    auto later = t + std::chrono::hours{1};
    auto t2 = std::chrono::steady_clock::now();
    auto evicted = lim->evict(later);
    auto t3 = std::chrono::steady_clock::now();
    if (evicted != n || lim->size() != 0)
      std::abort();
    auto heap2 = heap_in_use();
    auto rss2 = rss_bytes();
    lim.reset();
    auto ns = [](auto d) {
      return std::chrono::duration<double, std::nano>(d).count();
    };
    auto dn = static_cast<double>(n);
    auto per = [&](size_t a, size_t b) {
      return (static_cast<double>(a) - static_cast<double>(b)) / dn;
    };
    state.counters["active_heap_per_key"] = per(heap1, heap0);
    state.counters["active_rss_per_key"] = per(rss1, rss0);
    state.counters["idle_heap_per_key"] = per(heap2, heap0);
    state.counters["idle_rss_per_key"] = per(rss2, rss0);
    state.counters["admit_ns"] = ns(t1 - t0) / dn;
    state.counters["evict_ns"] = ns(t3 - t2) / dn;
  }
}

void one_key_window(benchmark::State& state) {
  auto n = static_cast<uint64_t>(state.range(0));
  auto spec = parse_limiter_spec(std::to_string(n) + " per 1h");
  if (!spec) {
    state.SkipWithError("bad spec");
    return;
  }
  using clock = std::chrono::steady_clock;
  auto ns = [](clock::duration d) {
    return static_cast<double>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
  };
  for (auto _ : state) {
    auto t = time_point{std::chrono::hours{1000}};
    sliding_window plain{n, std::chrono::hours{1}};
    keyed_limiter keyed{*spec};
    uint64_t admitted = 0;
    auto t0 = clock::now();
    for (uint64_t i = 0; i < 2 * n; ++i)
      admitted += plain.admit(t + std::chrono::microseconds{i}).admitted;
    auto t1 = clock::now();
    for (uint64_t i = 0; i < 2 * n; ++i)
      admitted += keyed.admit("k", t + std::chrono::microseconds{i}).admitted;
    auto t2 = clock::now();
    benchmark::DoNotOptimize(admitted);
    auto calls = static_cast<double>(2 * n);
    state.counters["plain_ns"] = ns(t1 - t0) / calls;
    state.counters["keyed_ns"] = ns(t2 - t1) / calls;
    state.counters["keyed_over_plain"] = ns(t2 - t1) / ns(t1 - t0);
  }
}

BENCHMARK(one_key_window)
    ->Arg(1000)
    ->Arg(20000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

BENCHMARK(keyed_memory)
    ->ArgsProduct({{0, 1, 2}, {12, 32}})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
