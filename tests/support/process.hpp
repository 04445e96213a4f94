// Programs run as child processes, for the storage tests that kill, starve
// or race real writers (tests/support/child.hpp is the actor tests' kin,
// which reads lines with a time limit).

#pragma once

#include <boost/test/unit_test.hpp>

#include <csignal>
#include <cstdlib>
#include <optional>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace tc::test {

/// A program running as a child process, its standard output piped here
/// (standard error goes where the test's goes, or to a file).
class program {
public:
  explicit program(const std::vector<std::string>& argv,
                   const std::string& stderr_file = {}) {
    int out[2];
    BOOST_REQUIRE(::pipe(out) == 0);
    pid_ = ::fork();
    BOOST_REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::dup2(out[1], STDOUT_FILENO);
      ::close(out[0]);
      ::close(out[1]);
      if (!stderr_file.empty())
        if (std::freopen(stderr_file.c_str(), "w", stderr) == nullptr)
          ::_exit(126);
      std::vector<char*> args;
      for (auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(out[1]);
    out_ = out[0];
  }

  program(const program&) = delete;
  program& operator=(const program&) = delete;

  ~program() {
    if (pid_ > 0 && !status_) {
      ::kill(pid_, SIGKILL);
      wait();
    }
    if (out_ >= 0)
      ::close(out_);
  }

  /// The next line of its standard output (without the newline), or
  /// nullopt at its end.
  std::optional<std::string> line() {
    for (;;) {
      if (auto at = pending_.find('\n'); at != std::string::npos) {
        auto result = pending_.substr(0, at);
        pending_.erase(0, at + 1);
        return result;
      }
      char buf[4096];
      auto n = ::read(out_, buf, sizeof buf);
      if (n <= 0)
        return std::nullopt;
      pending_.append(buf, static_cast<size_t>(n));
    }
  }

  /// The rest of its standard output.
  std::string rest() {
    std::string result = std::move(pending_);
    pending_.clear();
    char buf[4096];
    for (;;) {
      auto n = ::read(out_, buf, sizeof buf);
      if (n <= 0)
        return result;
      result.append(buf, static_cast<size_t>(n));
    }
  }

  void kill(int sig = SIGKILL) { ::kill(pid_, sig); }

  /// Waits for it to end; its wait status.
  int wait() {
    if (!status_) {
      int status = 0;
      ::waitpid(pid_, &status, 0);
      status_ = status;
    }
    return *status_;
  }

  pid_t pid() const { return pid_; }

private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string pending_;
  std::optional<int> status_;
};

/// Runs a program to its end: its wait status and standard output.
inline std::pair<int, std::string>
run_program(const std::vector<std::string>& argv,
            const std::string& stderr_file = {}) {
  program c{argv, stderr_file};
  auto out = c.rest();
  return {c.wait(), out};
}

/// "exit 3", "killed by signal 9": a wait status for messages.
inline std::string describe_status(int status) {
  if (WIFEXITED(status))
    return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return "killed by signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

} // namespace tc::test
