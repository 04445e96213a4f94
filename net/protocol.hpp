// The wire interface of a node: what one process of a service asks of
// another's runtime over CAF's network layer (its middleman, BASP). The
// serving process publishes one actor of type node_actor (net/node.hpp,
// serve_node); remote_node speaks to it. Exposed so that a program may talk
// to a node with its own actors; remote_node is the usual way.
//
// Every type here crosses the network: both sides register them with
// configure_node(), under the same names, or a connection is refused with
// CAF's unexpected_actor_messaging_interface.
//
// Rules of the entry actor (every answer follows "persist, then act": an
// append is answered once the serving node's Log has written it):
//   join      (join_atom, node, pid) -> (server node, last seq published).
//             Names the connecting process. Its node name must be 1..64
//             bytes; otherwise errc::bad_request.
//   append    (append_atom, producer, first, events) -> last seq written.
//             `producer` names one recording process (its node name and a
//             random id, fixed for the life of a remote_node), `first` the
//             producer sequence number of events[0] (1, 2, 3, ... per
//             producer, without gaps). Events the node has already taken
//             from this producer (a resend after a lost answer) are not
//             written again; a batch that starts past the next expected
//             number is errc::bad_request (something was lost). At most
//             65 536 events per batch. The events' seq is ignored; their
//             time and source are kept.
//   attach    (attach_atom, observer, filter) -> subscription id. The
//             observer (an actor of the calling process) then receives the
//             Bus's (deliver_atom, id, envelope) and acknowledges with
//             (ack_atom, id, last) sent to the entry (actors/bus.hpp).
//   detach    (detach_atom, id).
//   call      (call_atom, command, key, args, cost, max_wait) -> answer:
//             a call of the named command as actors/command.hpp describes
//             (key "" is the command's own limiter); a command in front of
//             an actor hands that actor (call_atom, args), whose answer
//             must be a string; errc::not_found if no command has that
//             name.
//   commands  (commands_atom) -> the names of the registered commands.
//   schedule  (schedule_atom, intent) -> id; (cancel_atom, id) -> bool: the
//             node's Scheduler (actors/scheduler.hpp).
//   flush     (flush_atom) -> the last seq the node's Log has written.
// A message of any other shape is answered errc::unexpected_message and
// changes nothing.

#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/timespan.hpp>
#include <caf/typed_actor.hpp>

#include "timecontrol/actors/atoms.hpp"
#include "timecontrol/actors/scheduler.hpp"
#include "timecontrol/events/event.hpp"
#include "timecontrol/storage/event_store.hpp"

namespace tc {

/// A process introduces itself to a node.
using join_atom = caf::atom_constant<caf::atom("join")>;
/// Ask a node for its commands' names.
using commands_atom = caf::atom_constant<caf::atom("commands")>;

/// The most events one append may carry.
inline constexpr size_t max_remote_batch = 65536;

using node_actor = caf::typed_actor<
    caf::replies_to<join_atom, std::string, uint32_t>::with<std::string, seq_t>,
    caf::replies_to<append_atom, std::string, uint64_t,
                    std::vector<envelope>>::with<seq_t>,
    caf::replies_to<attach_atom, caf::actor, replay_query>::with<uint64_t>,
    caf::reacts_to<detach_atom, uint64_t>,
    caf::reacts_to<ack_atom, uint64_t, seq_t>,
    caf::replies_to<call_atom, std::string, std::string, std::string, uint64_t,
                    caf::timespan>::with<std::string>,
    caf::replies_to<commands_atom>::with<std::vector<std::string>>,
    caf::replies_to<schedule_atom, intent>::with<uint64_t>,
    caf::replies_to<cancel_atom, uint64_t>::with<bool>,
    caf::replies_to<flush_atom>::with<seq_t>>;

} // namespace tc
