#include "timecontrol/storage/detail/folder.hpp"

#include <fcntl.h>
#include <filesystem>
#include <mutex>
#include <set>
#include <unistd.h>

#include "timecontrol/storage/detail/log_files.hpp"

namespace tc::detail {

namespace {

namespace fs = std::filesystem;

std::mutex writers_mutex;
std::multiset<std::string> writers_here; // logs this process writes

std::string canonical(const std::string& path) {
  std::error_code ec;
  auto result = fs::weakly_canonical(path, ec);
  return ec ? path : result.string();
}

} // namespace

caf::expected<folder_kind> look_at(const std::string& path) {
  std::error_code ec;
  auto status = fs::status(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory)
    return make_error(errc::not_writable, path + ": " + ec.message());
  if (!fs::exists(status))
    return folder_kind::missing;
  if (!fs::is_directory(status))
    return folder_kind::file;
  auto empty = fs::is_empty(path, ec);
  if (ec)
    return make_error(errc::not_writable, path + ": " + ec.message());
  return empty ? folder_kind::empty : folder_kind::filled;
}

bool exists(const std::string& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

bool rocksdb_files_say_ours(const std::string& path) {
  std::error_code ec;
  for (auto& entry : fs::directory_iterator{path, ec}) {
    auto name = entry.path().filename().string();
    if (!name.starts_with("OPTIONS-") && name != "LOG" &&
        !name.starts_with("LOG.old."))
      continue;
    auto file = read_small_file(entry.path().string());
    if (file.content.find("timecontrol.ascending_runs") != std::string::npos)
      return true;
  }
  return false;
}

bool writer_active(const std::string& path) {
  {
    std::lock_guard guard{writers_mutex};
    if (writers_here.count(canonical(path)) > 0)
      return true;
  }
  int fd = ::open((path + "/LOCK").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  auto asked = ::fcntl(fd, F_GETLK, &lock);
  ::close(fd);
  return asked == 0 && lock.l_type != F_UNLCK;
}

void register_writer(const std::string& path, bool open) {
  std::lock_guard guard{writers_mutex};
  if (open)
    writers_here.insert(canonical(path));
  else if (auto i = writers_here.find(canonical(path)); i != writers_here.end())
    writers_here.erase(i);
}

} // namespace tc::detail
