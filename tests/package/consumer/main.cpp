// Uses the installed headers and library the way a user's program would:
// the start header (so every installed header must compile on its own set)
// and the simulation helper beside it.
#include <timecontrol/actors/simulation.hpp>
#include <timecontrol/timecontrol.hpp>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 2)
    return 2;
  auto store = tc::event_store::open(argv[1], {});
  if (!store) {
    std::fprintf(stderr, "%s\n", tc::render(store.error()).c_str());
    return 1;
  }
  tc::token_bucket limiter{tc::token_rate::per_second(1), 1, tc::time_point{}};
  tc::envelope x{0, tc::time_point{}, "consumer", tc::call_requested{1}};
  if (!limiter.allow(tc::time_point{}) || !(*store)->append(x))
    return 1;
  auto back = tc::codec::decode(tc::codec::encode(x));
  std::printf("consumer: stored seq %llu\n",
              static_cast<unsigned long long>(back->seq));
  return back && back->seq == 1 ? 0 : 1;
}
