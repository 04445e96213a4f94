// analyse_log: a program that replays a log for its own analysis.
//
// It opens a log read-only (so it works while another process writes it),
// replays the calls of every command through the source index, and prints
// per command how many calls were admitted, throttled and failed, and the
// median and slowest duration of the finished ones.
//
//   analyse_log LOG-FOLDER

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "timecontrol/policies/spec.hpp"
#include "timecontrol/storage/event_store.hpp"

namespace {

struct figures {
  uint64_t admitted = 0;
  uint64_t throttled = 0;
  uint64_t failed = 0;
  std::vector<tc::duration> took;
};

} // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: analyse_log LOG-FOLDER\n");
    return 2;
  }
  auto store = tc::event_store::open(argv[1], {.read_only = true});
  if (!store) {
    std::fprintf(stderr, "analyse_log: %s\n",
                 tc::render(store.error()).c_str());
    return 1;
  }
  std::map<std::string, figures> commands;
  auto err = (*store)->replay({}, [&](const tc::envelope& x) {
    std::visit(
        [&](const auto& body) {
          using T = std::decay_t<decltype(body)>;
          if constexpr (std::is_same_v<T, tc::call_admitted>) {
            ++commands[x.source].admitted;
          } else if constexpr (std::is_same_v<T, tc::call_throttled>) {
            ++commands[x.source].throttled;
          } else if constexpr (std::is_same_v<T, tc::call_finished>) {
            auto& c = commands[x.source];
            c.took.push_back(body.took);
            c.failed += body.ok ? 0 : 1;
          }
        },
        x.body);
    return true;
  });
  if (err) {
    std::fprintf(stderr, "analyse_log: %s\n", tc::render(err).c_str());
    return 1;
  }
  std::printf("%-16s %9s %10s %7s %10s %10s\n", "command", "admitted",
              "throttled", "failed", "median", "slowest");
  for (auto& [name, c] : commands) {
    std::sort(c.took.begin(), c.took.end());
    auto median = c.took.empty() ? tc::duration{0} : c.took[c.took.size() / 2];
    auto slowest = c.took.empty() ? tc::duration{0} : c.took.back();
    std::printf("%-16s %9llu %10llu %7llu %10s %10s\n", name.c_str(),
                static_cast<unsigned long long>(c.admitted),
                static_cast<unsigned long long>(c.throttled),
                static_cast<unsigned long long>(c.failed),
                tc::duration_to_text(median).c_str(),
                tc::duration_to_text(slowest).c_str());
  }
  return 0;
}
