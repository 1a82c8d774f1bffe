#include "eventlog/log_events.h"

namespace eventsd {

std::optional<schema::Event::Reader> LogEvents::get(std::uint64_t seq) {
  const std::uint64_t position = seq_position(seq);
  if (!view_ || position != position_) {
    std::string_view bytes;
    if (!log_.read(txn_, position, bytes)) return std::nullopt;
    events_.reset();
    // In a write transaction the caller writes between reads: decode from a copy.
    view_.emplace(bytes, !txn_.read_only());
    position_ = position;
    auto fact = view_->root().getFact();
    if (fact.isEventsIngested()) events_ = fact.getEventsIngested().getEvents();
  }
  if (!events_ || seq_index(seq) >= events_->size()) return std::nullopt;
  return (*events_)[seq_index(seq)];
}

}  // namespace eventsd
