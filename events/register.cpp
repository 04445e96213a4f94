#include "timecontrol/events/register.hpp"

#include <caf/actor_system_config.hpp>

#include "timecontrol/events/event.hpp"

namespace tc {

namespace {

template <size_t... Is>
void add_event_types(caf::actor_system_config& cfg,
                     std::index_sequence<Is...>) {
  (cfg.add_message_type<std::variant_alternative_t<Is, event>>(
       std::string{event_traits<std::variant_alternative_t<Is, event>>::name}),
   ...);
}

} // namespace

void register_types(caf::actor_system_config& cfg) {
  add_event_types(cfg, std::make_index_sequence<std::variant_size_v<event>>{});
  cfg.add_message_type<envelope>("tc::envelope");
  cfg.add_error_category(
      error_category(),
      [](uint8_t code, caf::atom_value category, const caf::message& context) {
        return render(caf::error{code, category, context});
      });
}

} // namespace tc
