// A TCP relay on loopback for cutting connections: it listens on a port of
// its own and forwards each connection to 127.0.0.1:`to`, byte for byte,
// until cut() closes every connection it carries (the listener stays, so a
// peer can connect again).

#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace tc::test {

class relay {
public:
  explicit relay(uint16_t to) : to_(to) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int yes = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    sockaddr_in at{};
    at.sin_family = AF_INET;
    at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&at), sizeof at) != 0 ||
        ::listen(listener_, 16) != 0)
      throw std::runtime_error("relay: cannot listen");
    socklen_t len = sizeof at;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&at), &len);
    port_ = ntohs(at.sin_port);
    acceptor_ = std::thread{[this] { accept_loop(); }};
  }

  ~relay() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    cut();
    acceptor_.join();
    std::lock_guard guard{mutex_};
    for (auto& t : pumps_)
      t.join();
  }

  relay(const relay&) = delete;
  relay& operator=(const relay&) = delete;

  uint16_t port() const noexcept { return port_; }

  /// Closes every connection the relay carries now.
  void cut() {
    std::lock_guard guard{mutex_};
    for (int fd : open_)
      ::shutdown(fd, SHUT_RDWR);
  }

private:
  void accept_loop() {
    while (!stopping_) {
      int client = ::accept(listener_, nullptr, nullptr);
      if (client < 0)
        return;
      int server = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in to{};
      to.sin_family = AF_INET;
      to.sin_port = htons(to_);
      to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (::connect(server, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
        ::close(client);
        ::close(server);
        continue;
      }
      std::lock_guard guard{mutex_};
      open_.push_back(client);
      open_.push_back(server);
      pumps_.emplace_back([this, client, server] { pump(client, server); });
    }
  }

  // Copies both ways until either side ends, then closes both.
  void pump(int a, int b) {
    pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
    char buf[65536];
    for (;;) {
      if (::poll(fds, 2, -1) < 0)
        break;
      bool done = false;
      for (int i = 0; i < 2 && !done; ++i) {
        if (fds[i].revents == 0)
          continue;
        auto n = ::read(fds[i].fd, buf, sizeof buf);
        if (n <= 0 || !write_all(fds[1 - i].fd, buf, static_cast<size_t>(n)))
          done = true;
      }
      if (done)
        break;
    }
    std::lock_guard guard{mutex_};
    std::erase(open_, a);
    std::erase(open_, b);
    ::close(a);
    ::close(b);
  }

  static bool write_all(int fd, const char* p, size_t n) {
    while (n > 0) {
      auto k = ::send(fd, p, n, MSG_NOSIGNAL);
      if (k <= 0)
        return false;
      p += k;
      n -= static_cast<size_t>(k);
    }
    return true;
  }

  uint16_t to_;
  uint16_t port_ = 0;
  int listener_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<int> open_;
  std::vector<std::thread> pumps_;
};

} // namespace tc::test
