#include "timecontrol/tools/signals.hpp"

#include <cerrno>
#include <chrono>
#include <poll.h>
#include <unistd.h>

namespace tc::tool {

volatile std::sig_atomic_t interrupted = 0;
volatile std::sig_atomic_t output_closed = 0;

namespace {

// The handler writes a byte to it to wake wait_unless_stopped().
int wakeup_pipe[2] = {-1, -1};

extern "C" void on_stop_signal(int signal) {
  interrupted = 1;
  if (signal == SIGPIPE)
    output_closed = 1;
  if (wakeup_pipe[1] >= 0) {
    auto saved = errno;
    [[maybe_unused]] auto n = ::write(wakeup_pipe[1], "x", 1);
    errno = saved;
  }
}

} // namespace

bool catch_stop_signals(bool pipe) {
  if (wakeup_pipe[0] < 0 && ::pipe(wakeup_pipe) != 0)
    return false;
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  for (int signal : {SIGINT, SIGTERM, SIGHUP})
    if (::sigaction(signal, &action, nullptr) != 0)
      return false;
  return !pipe || ::sigaction(SIGPIPE, &action, nullptr) == 0;
}

bool wait_unless_stopped(duration interval) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(interval);
  pollfd fd{wakeup_pipe[0], POLLIN, 0};
  while (!interrupted) {
    auto rc = ::poll(&fd, 1, static_cast<int>(ms.count()));
    if (rc == 0)
      return true;
    if (rc < 0 && errno != EINTR)
      return true; // cannot wait for the signal: the flag still stops us
  }
  return false;
}

} // namespace tc::tool
