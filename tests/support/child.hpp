// A child process for crash tests: started with arguments, read line by line
// from its standard output, and killed (SIGKILL) whenever the test says.

#pragma once

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <csignal>
#include <optional>
#include <poll.h>
#include <string>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace tc::test {

class child {
public:
  /// Starts `program` with `args` (stdout piped to us, stderr inherited).
  child(const std::string& program, const std::vector<std::string>& args) {
    int out[2];
    BOOST_REQUIRE(::pipe(out) == 0);
    pid_ = ::fork();
    BOOST_REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      // It dies with the test, also when the test is killed.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::dup2(out[1], STDOUT_FILENO);
      ::close(out[0]);
      ::close(out[1]);
      std::vector<char*> argv;
      argv.push_back(const_cast<char*>(program.c_str()));
      for (auto& x : args)
        argv.push_back(const_cast<char*>(x.c_str()));
      argv.push_back(nullptr);
      ::execv(program.c_str(), argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    fd_ = out[0];
  }

  ~child() {
    if (pid_ > 0)
      kill();
    if (fd_ >= 0)
      ::close(fd_);
  }

  child(const child&) = delete;
  child& operator=(const child&) = delete;

  /// The next line it printed, waiting at most `limit` (wall time: this
  /// reads a real process); nullopt at its end or when the time is up.
  std::optional<std::string> line(std::chrono::milliseconds limit) {
    auto end = std::chrono::steady_clock::now() + limit;
    for (;;) {
      if (auto pos = buffer_.find('\n'); pos != std::string::npos) {
        auto result = buffer_.substr(0, pos);
        buffer_.erase(0, pos + 1);
        return result;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      if (left.count() <= 0 || fd_ < 0)
        return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
        continue;
      char buf[4096];
      auto n = ::read(fd_, buf, sizeof buf);
      if (n <= 0) {
        ::close(fd_);
        fd_ = -1;
        continue;
      }
      buffer_.append(buf, static_cast<size_t>(n));
    }
  }

  /// Lets it run for `d` (wall time), reading and dropping what it prints.
  void run_for(std::chrono::milliseconds d) {
    auto end = std::chrono::steady_clock::now() + d;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !line(left))
        return;
    }
  }

  /// Kills it with SIGKILL and reaps it; true if it died of the signal
  /// (false if it had exited before).
  bool kill() {
    if (pid_ <= 0)
      return false;
    ::kill(pid_, SIGKILL);
    return reap() == -SIGKILL;
  }

  /// Sends it `sig` (SIGSTOP to hang it, SIGCONT to let it go on).
  void signal(int sig) {
    if (pid_ > 0)
      ::kill(pid_, sig);
  }

  /// Waits for it to end: its exit code, or minus the signal that ended it.
  int wait() { return reap(); }

private:
  int reap() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFSIGNALED(status) ? -WTERMSIG(status) : WEXITSTATUS(status);
  }

  pid_t pid_ = -1;
  int fd_ = -1;
  std::string buffer_;
};

} // namespace tc::test
