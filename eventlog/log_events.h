// Events as the log holds them: sequence numbers, and reading an event back by its number.
//
// Thread safety: a LogEvents reader belongs to the thread of its transaction; StoredEvent is a
// plain value.
#pragma once

#include <capnp/list.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "eventlog/lmdb.h"
#include "eventlog/log.capnp.h"
#include "eventlog/log.h"
#include "common/time.h"

namespace eventsd {

// Sequence numbers order events by the time eventsd recorded them: log position in the high bits,
// index inside the record's event list in the low 12 (a batch holds at most 1000 events).
inline std::uint64_t event_seq(std::uint64_t position, std::uint32_t index) {
  return (position << 12) | index;
}
inline std::uint64_t seq_position(std::uint64_t seq) { return seq >> 12; }
inline std::uint32_t seq_index(std::uint64_t seq) { return static_cast<std::uint32_t>(seq & 0xFFF); }

// Reads events out of the log by sequence number inside one transaction, keeping the last
// record decoded (neighbouring events usually share one).
class LogEvents {
 public:
  LogEvents(const lmdb::Txn& txn, const Log& log) : txn_(txn), log_(log) {}
  // The event as ingested; nullopt when the log holds no such event.
  std::optional<schema::Event::Reader> get(std::uint64_t seq);
  // Forgets the record it read last (call it when the transaction moved to a newer snapshot).
  void forget() {
    events_.reset();
    view_.reset();
  }

 private:
  const lmdb::Txn& txn_;
  const Log& log_;
  std::uint64_t position_ = 0;
  std::optional<RecordView> view_;
  // The record's event list, read once: Cap'n Proto counts every traversal of a reader.
  std::optional<capnp::List<schema::Event>::Reader> events_;
};

inline std::string_view text_view(capnp::Text::Reader t) { return {t.cStr(), t.size()}; }
// An optional text field of a record (`has`: whether it is set).
inline std::optional<std::string_view> text_if(bool has, capnp::Text::Reader t) {
  return has ? std::optional<std::string_view>(text_view(t)) : std::nullopt;
}

// A copy of an event, for rendering after the transaction ends (or, for the events an ingest
// decided, for answering with them: Ingested::events).
struct StoredEvent {
  std::uint64_t seq = 0;
  std::string id;
  std::string event;
  std::optional<std::string> contact_id;
  std::optional<std::string> original_contact_id;
  Millis timestamp = 0;
  Millis created_at = 0;
  std::optional<std::string> url, referrer, domain, session_id, utm_source, utm_medium,
      utm_campaign, campaign_id, step_id, email;
  std::string data = "{}";  // a JSON object, compact
  schema::SuppressionReason suppression = schema::SuppressionReason::NONE;
  std::int32_t points = 0;
};

// The event as the log recorded it (the read side applies what changed since: to_stored_event).
StoredEvent copy_event(std::uint64_t seq, schema::Event::Reader e);

}  // namespace eventsd
