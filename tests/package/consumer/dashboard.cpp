// Uses the installed dashboard component (find_package(timecontrol
// COMPONENTS http)): a dashboard fed by hand listens on a free port.
#include <timecontrol/core/error.hpp>
#include <timecontrol/http/dashboard.hpp>

#include <cstdio>

int main() {
  auto dash = tc::dashboard::create({.listen = "127.0.0.1:0"});
  if (!dash) {
    std::fprintf(stderr, "%s\n", tc::render(dash.error()).c_str());
    return 1;
  }
  (*dash)->fold({1, tc::time_point{}, "consumer", tc::call_admitted{1, {}}});
  auto port = (*dash)->listen();
  if (!port) {
    std::fprintf(stderr, "%s\n", tc::render(port.error()).c_str());
    return 1;
  }
  std::printf("consumer: dashboard at seq %llu\n",
              static_cast<unsigned long long>((*dash)->last_seq()));
  return (*dash)->stop() ? 0 : 1;
}
