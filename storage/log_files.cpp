#include "timecontrol/storage/detail/log_files.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <random>
#include <unistd.h>

#include "timecontrol/core/crc32c.hpp"

namespace tc::detail {

namespace {

std::string hex32(uint32_t x) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", x);
  return buf;
}

// `body` followed by its checksum line.
std::string sealed(std::string body) {
  body += "crc32c " + hex32(crc32c(body)) + "\n";
  return body;
}

// The body of a sealed text, or nullopt if the checksum line is missing or
// does not match.
std::optional<std::string_view> unseal(std::string_view text) {
  constexpr std::string_view tag = "crc32c ";
  auto at = text.rfind(tag);
  if (at == std::string_view::npos || (at != 0 && text[at - 1] != '\n'))
    return std::nullopt;
  auto body = text.substr(0, at);
  auto line = text.substr(at + tag.size());
  if (line.size() != 9 || line.back() != '\n' ||
      line.substr(0, 8) != hex32(crc32c(body)))
    return std::nullopt;
  return body;
}

[[nodiscard]] caf::error failure(const std::string& file, const char* doing) {
  return make_error(errc::storage_failure,
                    file + ": " + doing + " (" + std::strerror(errno) + ")");
}

} // namespace

caf::error sync_folder(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return failure(dir, "cannot open the folder to sync it");
  if (::fsync(fd) != 0) {
    auto err = failure(dir, "cannot sync the folder");
    ::close(fd);
    return err;
  }
  ::close(fd);
  return caf::none;
}

caf::error write_file_atomically(const std::string& dir, std::string_view name,
                                 std::string_view content) {
  auto path = dir + "/" + std::string{name};
  auto temp = path + ".tmp";
  int fd = ::open(temp.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0)
    return failure(temp, "cannot create");
  size_t done = 0;
  while (done < content.size()) {
    auto n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      auto err = failure(temp, "cannot write");
      ::close(fd);
      ::unlink(temp.c_str());
      return err;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    auto err = failure(temp, "cannot sync");
    ::close(fd);
    ::unlink(temp.c_str());
    return err;
  }
  ::close(fd);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    auto err = failure(path, "cannot replace");
    ::unlink(temp.c_str());
    return err;
  }
  return sync_folder(dir);
}

small_file read_small_file(const std::string& path) {
  small_file result;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) {
      result.exists = true;
      result.error = std::strerror(errno);
    }
    return result;
  }
  result.exists = true;
  char buf[4096];
  for (;;) {
    auto n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      result.error = std::strerror(errno);
      break;
    }
    if (n == 0)
      break;
    result.content.append(buf, static_cast<size_t>(n));
    if (result.content.size() > (1 << 20)) {
      result.error = "larger than 1 MiB";
      break;
    }
  }
  ::close(fd);
  return result;
}

std::string make_marker() {
  std::random_device entropy;
  std::string id;
  for (int i = 0; i < 4; ++i)
    id += hex32(entropy());
  return sealed("timecontrol log\nid " + id + "\n");
}

std::optional<std::string> check_marker(std::string_view content) {
  auto body = unseal(content);
  if (!body)
    return std::string{"checksum mismatch"};
  if (!body->starts_with("timecontrol log\nid "))
    return std::string{"not a timecontrol marker"};
  return std::nullopt;
}

std::string encode_lease(seq_t high, bool clean) {
  return sealed("timecontrol lease\nhigh " + std::to_string(high) + "\n" +
                (clean ? "clean\n" : ""));
}

std::optional<lease_state> decode_lease(std::string_view content) {
  auto body = unseal(content);
  constexpr std::string_view head = "timecontrol lease\nhigh ";
  constexpr std::string_view clean = "\nclean\n";
  if (!body || !body->starts_with(head) || !body->ends_with("\n"))
    return std::nullopt;
  lease_state result;
  auto rest = body->substr(head.size());
  if (rest.ends_with(clean)) {
    result.clean = true;
    rest.remove_suffix(clean.size() - 1);
  }
  auto digits = rest.substr(0, rest.size() - 1);
  if (digits.empty() || digits.size() > 20)
    return std::nullopt;
  seq_t high = 0;
  for (char c : digits) {
    if (c < '0' || c > '9')
      return std::nullopt;
    if (__builtin_mul_overflow(high, 10, &high) ||
        __builtin_add_overflow(high, static_cast<seq_t>(c - '0'), &high))
      return std::nullopt;
  }
  result.high = high;
  return result;
}

std::string make_repair_flag(const std::string& kept) {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return sealed(
      "timecontrol repair\npid " + std::to_string(::getpid()) + "\nstarted " +
      std::to_string(
          std::chrono::duration_cast<std::chrono::seconds>(now).count()) +
      "\n" + (kept.empty() ? std::string{} : "kept " + kept + "\n"));
}

std::string kept_by_repair(std::string_view flag) {
  auto body = unseal(flag);
  if (!body)
    return {};
  auto at = body->find("\nkept ");
  if (at == std::string_view::npos)
    return {};
  auto rest = body->substr(at + 6);
  return std::string{rest.substr(0, rest.find('\n'))};
}

} // namespace tc::detail
