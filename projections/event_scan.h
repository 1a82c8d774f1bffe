// The scan under aggregates and funnels: every live event of a tenant that meets a set of
// conditions (ScanSpec), handed to a visitor one by one, read from the narrowest index and from
// the log only when a field the index does not hold is needed. scan_plan.h chooses the index.
//
// Walk. Index walks go newest first within each range. Entries whose flags fail
// `identified_only`/`suppressed` are dropped from the index alone. When the plan reads the log,
// matching entries are gathered in chunks of at most kScanChunk, sorted by sequence number and
// read from the log in that order (neighbouring events share a log record, which is decoded
// once), with the overlay of rm_events only for identified events when the contact is needed (a
// merge may have moved them).
//
// Bound. At most `max_examined` index entries are looked at; a scan that stops there with entries
// left says so (`truncated`). Memory is O(kScanChunk) plus the contact lookups' cache (one entry
// per distinct contact examined).
//
// Thread safety: a scan is a function call inside the caller's snapshot; nothing is shared.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "projections/event_queries.h"
#include "projections/profile_cache.h"
#include "projections/read_models.h"
#include "projections/scan_plan.h"
#include "projections/scanned_event.h"

namespace eventsd {

inline constexpr std::size_t kScanChunk = 256 * 1024;

// The list route's filters (event_type, contact_id, domain, campaign_id, url_contains, search,
// dates, identified_only, suppressed) as a scan's conditions.
void add_list_filter(const EventFilter& filter, ScanSpec& spec);

struct ScanOutcome {
  std::uint64_t examined = 0;  // index entries looked at
  bool truncated = false;      // stopped at max_examined with entries left
  std::string plan;            // which index, and whether events were read from the log
};

// Whether the scan of `spec` would read events from the log (an index lacks a field it needs).
bool scan_reads_log(const ReadView& view, std::uint32_t tno, const ScanSpec& spec);

// Calls visit for each matching event until it returns false. The visitor may not write.
using ScanVisitor = std::function<bool(ScannedEvent&)>;
ScanOutcome scan_events(const ReadView& view, std::uint32_t tno, const ScanSpec& spec,
                        const ScanVisitor& visit);

}  // namespace eventsd
