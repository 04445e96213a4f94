// What both stores do with each stored record a replay reaches: decode it
// into a reused envelope, apply the query's filters, hand it to the handler,
// and turn bad records into the handler's stop-or-skip choice.

#pragma once

#include <array>
#include <string_view>

#include "timecontrol/storage/event_store.hpp"

namespace tc::detail {

class replay_sink {
public:
  replay_sink(const replay_query& query, replay_handler& handler)
      : query_(query), handler_(handler) {}

  /// Delivers the record stored under `seq`. False: the replay ends here.
  bool record(seq_t seq, std::string_view bytes);

  /// Reports that no record is stored under `seq` although one must be.
  bool missing(seq_t seq, std::string_view why);

  /// Reports a problem found at `seq`. False: the replay ends here.
  bool problem(seq_t seq, caf::error err);

  /// Ends the replay with a storage failure.
  void fail(caf::error err) { result_ = std::move(err); }

  [[nodiscard]] caf::error result() && { return std::move(result_); }

private:
  const replay_query& query_;
  replay_handler& handler_;
  // One envelope per event type, so that decoding a run of mixed types
  // reuses each type's strings instead of reallocating them.
  std::array<envelope, std::variant_size_v<event> + 1> scratch_;
  caf::error result_;
};

} // namespace tc::detail
