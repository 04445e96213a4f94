// any_response(f): a response handler that takes any answer -- a value of
// any type, or an error -- as one caf::message. Not installed.
//
// Why: a proxy Command forwards calls it knows nothing about, so it cannot
// name the types of the answers. CAF 0.17's response handlers (then(),
// add_multiplexed_response_handler) match answers by type only and have no
// "anything" case; the one way to take any message is a behavior of our own
// that matches everything. That means deriving from caf::detail::
// behavior_impl, CAF's internal base of behaviors: its invoke() gets the
// current mailbox element, whose content we take. This is the only place
// the library touches a CAF internal; CAF 0.18 and later change this
// interface, and a port replaces this file (e.g. with a type-erased
// response handler that CAF then offers).

#pragma once

#include <utility>

#include <caf/behavior.hpp>
#include <caf/detail/behavior_impl.hpp>
#include <caf/local_actor.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/message.hpp>

namespace tc::detail {

template <class F>
class any_response_impl final : public caf::detail::behavior_impl {
public:
  any_response_impl(caf::local_actor* self, F f)
      : self_(self), f_(std::move(f)) {
    // nop
  }

  caf::match_case::result invoke(caf::detail::invoke_result_visitor&,
                                 caf::type_erased_tuple&) override {
    auto* x = self_->current_mailbox_element();
    f_(x ? x->move_content_to_message() : caf::message{});
    return caf::match_case::match;
  }

private:
  caf::local_actor* self_;
  F f_;
};

/// A behavior for add_multiplexed_response_handler() that hands any answer
/// to `f(caf::message)` (a value, or a caf::error for a failure).
template <class F>
caf::behavior any_response(caf::local_actor* self, F f) {
  return caf::behavior{caf::behavior::impl_ptr{
      caf::make_counted<any_response_impl<F>>(self, std::move(f))}};
}

} // namespace tc::detail
