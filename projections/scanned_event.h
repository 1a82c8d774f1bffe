// One event as a scan's visitor sees it (event_scan.h): its time, sequence number and flags from
// the index entry, and any field, read from whichever source holds it — the index key (the name
// of the range walked), rm_by_contact's value (the event name), the log's copy of the event
// (read only when the scan needed it, ScanPlan::reads_log), its data members (parsed once, for
// the keys the scan was told about), or the contact's profile (ProfileCache).
//
// Thread safety: made and used during one visit, on the scan's thread; its views are valid
// during the visit only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "projections/event_fields.h"
#include "projections/profile_cache.h"
#include "projections/read_models.h"

namespace eventsd {

class ScannedEvent {
 public:
  Millis timestamp() const { return ts_; }
  std::uint64_t seq() const { return seq_; }
  bool suppressed() const { return (flags_ & kSuppressed) != 0; }
  // Any field but a time bucket; a field the scan was not told about (ScanSpec::reads) may be
  // missing.
  FieldValue value(const FieldRef& field);

 private:
  friend class EventScan;
  Millis ts_ = 0;
  std::uint64_t seq_ = 0;
  std::uint8_t flags_ = 0;
  const EventView* doc_ = nullptr;  // set when the event was read from the log
  Field key_field_ = Field::event;  // what key_value_ is, when set (the index key's string)
  std::optional<std::string_view> key_value_;
  std::optional<std::string_view> entry_event_;  // from an rm_by_contact value
  const std::vector<std::string>* data_keys_ = nullptr;
  std::vector<std::optional<std::string_view>>* data_values_ = nullptr;
  bool data_read_ = false;
  ProfileCache* profiles_ = nullptr;
};

}  // namespace eventsd
