// Events as the read side sees them. The event itself is read from the log record that ingested
// it (its sequence number says where: log position and index in the record), so the read model
// does not keep a second copy; rm_events holds, per live event, only what has changed since: the
// contact a merge moved it to.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "eventlog/lmdb.h"
#include "eventlog/log.h"
#include "eventlog/log_events.h"
#include "eventlog/log.capnp.h"
#include "common/time.h"

namespace eventsd {

// What changed about a live event since ingest: the rm_events value. Empty: nothing. Otherwise
// 0x02, a byte of bits (1: moved by a merge, 2: suppression changed), the new suppression reason
// (bit 2), then the contact it now belongs to and the contact it was ingested for, each closed by
// 0x00 (bit 1).
struct EventOverlay {
  std::optional<std::string> contact_id;           // set when a merge moved the event
  std::optional<std::string> original_contact_id;  // set with contact_id
  std::optional<schema::SuppressionReason> suppression;  // set when a later burst regrouped it
  static EventOverlay decode(std::string_view value);
  std::string encode() const;
};

// One event: the log's Event plus its overlay, valid while the transaction and the LogEvents
// that produced it are.
struct EventView {
  schema::Event::Reader base;
  EventOverlay overlay;

  std::optional<std::string_view> contact_id() const;
  std::optional<std::string_view> original_contact_id() const;
  schema::SuppressionReason suppression() const {
    return overlay.suppression ? *overlay.suppression : base.getSuppression();
  }
  bool identified() const { return contact_id().has_value(); }
  bool suppressed() const { return suppression() != schema::SuppressionReason::NONE; }
};


// The event as it is now: as ingested (copy_event), with its overlay applied.
StoredEvent to_stored_event(std::uint64_t seq, const EventView& view);

// The API spelling of a suppression reason, or nullopt for none.
std::optional<std::string_view> suppression_name(schema::SuppressionReason reason);


}  // namespace eventsd
