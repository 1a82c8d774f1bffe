// What a scan of events is asked (ScanSpec), and how it is driven (ScanPlan): which index it
// walks, over which of its ranges, and whether it must read the events from the log. Used by
// event_scan.h, which walks the plan; internal to projections/ but for ScanSpec, which the
// aggregates and funnels fill.
//
// Plan. Each index key holds the timestamp, so a date range is a key range of any of them; beyond
// that, the field indexes (field_indexes.h) hold the event name, the domain, the campaign or the
// contact. The scan walks either one range (a condition `field eq value` on one of those fields;
// the cheapest, a contact always), a few ranges (`event one_of [...]`), every range of rm_by_type
// (when the event name is all it needs), every range of rm_by_contact (identified events only, no
// date range), rm_by_time, or rm_events in log order. Each way is costed at one unit per index
// entry, four when the events must be read from the log (three in log order, which needs neither
// sorting nor overlay lookups), scaled by the share of the tenant's events in the date range (from
// the per-day counters). field_indexes.h says why listings plan apart.
//
// Thread safety: plain values; planning reads inside the caller's snapshot.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "projections/event_fields.h"
#include "projections/event_queries.h"
#include "projections/field_indexes.h"
#include "projections/read_models.h"

namespace eventsd {

inline constexpr std::uint64_t kMaxExamined = 2'000'000;

struct ScanSpec {
  std::optional<Millis> after, before;  // inclusive bounds on the timestamp
  bool identified_only = false;
  SuppressedFilter suppressed = SuppressedFilter::exclude;
  std::vector<Condition> where;         // every one must hold
  std::vector<FieldRef> reads;          // the fields the visitor reads (time buckets need none)
  std::uint64_t max_examined = kMaxExamined;
};

struct ScanPlan {
  // time: rm_by_time's tenant range; prefixes: `values`' ranges of `index`; all_values: every
  // range of `index`; seq: rm_events in sequence (log) order, every event read from the log with
  // its overlay.
  enum class Kind { time, prefixes, all_values, seq } kind = Kind::time;
  MDB_dbi db = 0;
  const char* name = "rm_by_time";
  std::optional<FieldIndex> index;  // prefixes, all_values
  std::vector<std::string> values;  // prefixes
  int guaranteed = -1;              // the condition of ScanSpec::where the ranges answer
  std::uint64_t estimate = 0;       // index entries to walk
  bool reads_log = false;           // a field the scan needs is not in the index
  bool needs_contact = false;       // a field the scan needs is, or comes from, the contact

  // The field of the name after the tenant number in the walked keys (prefixes, all_values).
  Field key_field() const { return index ? index->field : Field::event; }
  // rm_by_contact: its values hold the event name.
  bool contact_values() const { return index && index->values_hold_event_name(); }
  // Whether an entry of the walked index holds field `f`.
  bool supplies(Field f) const {
    if (kind == Kind::time || kind == Kind::seq) return false;
    return f == key_field() || (contact_values() && f == Field::event);
  }
  // Which index, and whether events are read from the log (the plan aggregates report).
  std::string text() const;
};

ScanPlan plan_scan(const ReadView& view, std::uint32_t tno, const ScanSpec& spec);

}  // namespace eventsd
