#include "timecontrol/core/deadline_status.hpp"

namespace tc {

std::string_view to_string(deadline_status s) noexcept {
  switch (s) {
    case deadline_status::never_called:
      return "new";
    case deadline_status::up:
      return "up";
    case deadline_status::late:
      return "late";
    case deadline_status::down:
      return "down";
    case deadline_status::paused:
      return "paused";
  }
  return {};
}

} // namespace tc
