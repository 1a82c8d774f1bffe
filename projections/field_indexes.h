// The indexes whose keys hold an event field after the tenant number — rm_by_type (the event
// name), rm_by_domain, rm_by_campaign and rm_by_contact — and how many entries one name's range
// holds. Both planners choose their driving index from these: the listings' (list_plan.h) and
// the aggregates' and funnels' (scan_plan.h). Internal to projections/.
//
// Why two planners over this one catalogue: a listing answers in a requested order and resumes
// from a keyset cursor, so it walks one range in timestamp order, the narrowest its filter names,
// counted with the filter's flags (the same counters give its total without a walk). An aggregate
// or a funnel keeps no order and has no total to give, so it may walk several ranges, every range
// of an index or the log itself, and it picks by cost, an event read from the log costing several
// index entries.
//
// Thread safety: plain values, and reads inside the caller's snapshot.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "projections/event_fields.h"
#include "projections/read_models.h"

namespace eventsd {

struct FieldIndex {
  Field field;                     // the field the name after the tenant number is
  MDB_dbi db;
  const char* name;                // the database's name, for the plans aggregates report
  std::optional<CountKind> count;  // the counters of one name's range; none for rm_by_contact

  // rm_by_contact: its values hold the event's name (and points) besides the flags.
  bool values_hold_event_name() const { return field == Field::contact_id; }
  // One contact's events are few next to a type's or a domain's: a contact's range always drives
  // (and a scan per contact costs no planning).
  bool always_drives() const { return field == Field::contact_id; }
};

// The index whose keys hold `field`, if there is one.
std::optional<FieldIndex> field_index(const ReadModelDbs& dbs, Field field);

// The counters of `name`'s range of `index` (nullopt: the index has no counters).
std::optional<Counters> range_counters(const ReadView& view, std::uint32_t tno, const FieldIndex& index,
                                       std::string_view name);

}  // namespace eventsd
