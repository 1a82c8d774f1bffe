// An event as the read models keep it: a Cap'n Proto `Event` message (the same struct the log
// records) under its sequence number, decoded here into a plain value for the query side.
#pragma once

#include <capnp/message.h>
#include <capnp/serialize.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "eventlog/log.capnp.h"
#include "eventlog/time.h"

namespace eventsd {

// Sequence numbers order events by the time eventsd recorded them: log position in the high bits,
// index inside the record's event list in the low 12 (a batch holds at most 1000 events).
inline std::uint64_t event_seq(std::uint64_t position, std::uint32_t index) {
  return (position << 12) | index;
}
inline std::uint64_t seq_position(std::uint64_t seq) { return seq >> 12; }

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
};

// An rm_events value decoded from an aligned private copy, so it outlives the transaction and
// any later write.
class EventMessage {
 public:
  explicit EventMessage(std::string_view bytes);
  schema::Event::Reader get() { return reader_->getRoot<schema::Event>(); }

 private:
  kj::Array<capnp::word> words_;
  std::optional<capnp::FlatArrayMessageReader> reader_;
};

StoredEvent to_stored_event(std::uint64_t seq, schema::Event::Reader event);
// Decodes the value of an rm_events entry.
StoredEvent decode_stored_event(std::uint64_t seq, std::string_view bytes);
// Serializes one Event as a standalone message (the rm_events value).
std::string encode_event(schema::Event::Reader event);

// The API spelling of a suppression reason, or nullopt for none.
std::optional<std::string_view> suppression_name(schema::SuppressionReason reason);

}  // namespace eventsd
