#include "timecontrol/tools/reading.hpp"

namespace tc::tool {

void complain(std::string_view command, std::string_view message) {
  std::fprintf(stderr, "timecontrol %.*s: %.*s\n",
               static_cast<int>(command.size()), command.data(),
               static_cast<int>(message.size()), message.data());
}

namespace {

std::unique_ptr<event_store> open_or_complain(std::string_view command,
                                              const std::string& path,
                                              store_options options) {
  options.create_if_missing = false;
  auto opened = event_store::open(path, options);
  if (!opened) {
    complain(command, render(opened.error()));
    return nullptr;
  }
  return std::move(*opened);
}

} // namespace

std::unique_ptr<event_store> open_for_reading(std::string_view command,
                                              const std::string& path) {
  return open_or_complain(command, path, {.read_only = true});
}

std::unique_ptr<event_store> open_for_following(std::string_view command,
                                                const std::string& path) {
  return open_or_complain(command, path, {.follow = true});
}

} // namespace tc::tool
