#include "timecontrol/core/error.hpp"

#include <caf/atom.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>
#include <caf/sec.hpp>
#include <caf/to_string.hpp>

namespace tc {

std::string to_string(errc code) {
  switch (code) {
    case errc::none:
      return "none";
    case errc::throttled:
      return "throttled";
    case errc::bad_config:
      return "bad_config";
    case errc::storage_failure:
      return "storage_failure";
    case errc::corrupt_record:
      return "corrupt_record";
    case errc::unknown_event_type:
      return "unknown_event_type";
    case errc::newer_format:
      return "newer_format";
    case errc::not_a_log:
      return "not_a_log";
    case errc::locked:
      return "locked";
    case errc::not_writable:
      return "not_writable";
    case errc::closed:
      return "closed";
    case errc::queue_full:
      return "queue_full";
    case errc::timed_out:
      return "timed_out";
    case errc::operation_failed:
      return "operation_failed";
    case errc::unexpected_message:
      return "unexpected_message";
    case errc::not_found:
      return "not_found";
    case errc::expired:
      return "expired";
    case errc::bad_request:
      return "bad_request";
    case errc::unreachable:
      return "unreachable";
  }
  return "errc(" + std::to_string(static_cast<int>(code)) + ")";
}

caf::atom_value error_category() noexcept {
  return caf::atom("tc");
}

caf::error make_error(errc code) {
  return caf::error{static_cast<uint8_t>(code), error_category()};
}

caf::error make_error(errc code, std::string what) {
  return caf::error{static_cast<uint8_t>(code), error_category(),
                    caf::make_message(std::move(what))};
}

bool is(const caf::error& err, errc code) noexcept {
  return err && err.category() == error_category() &&
         err.code() == static_cast<uint8_t>(code);
}

std::string context_of(const caf::error& err) {
  if (!err)
    return {};
  const auto& ctx = err.context();
  if (ctx.size() == 1 && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  return ctx.empty() ? std::string{} : caf::to_string(ctx);
}

std::string render(const caf::error& err) {
  if (!err)
    return "no error";
  if (err.category() != error_category())
    return caf::to_string(err);
  auto result = to_string(static_cast<errc>(err.code()));
  if (auto ctx = context_of(err); !ctx.empty()) {
    result += ": ";
    result += ctx;
  }
  return result;
}

} // namespace tc
