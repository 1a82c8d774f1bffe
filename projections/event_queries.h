// Queries over the events read model. Every function reads inside the caller's snapshot and
// copies what it returns, so results outlive the transaction.
//
// How each query is answered, and at what cost, is written down in docs/queries.md.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "eventlog/lmdb.h"
#include "common/time.h"
#include "projections/read_models.h"
#include "projections/stored_event.h"

namespace eventsd {

enum class SuppressedFilter { include, exclude, only };
enum class SortBy { timestamp, event, created_at };

struct EventFilter {
  std::optional<std::string> event_type;
  std::optional<std::string> contact_id;
  std::optional<std::string> domain;
  std::optional<std::string> campaign_id;
  std::optional<std::string> url_contains;  // case-sensitive substring of url
  std::optional<std::string> search;        // case-insensitive substring of event, url or domain
  std::optional<Millis> after;              // timestamp >= after
  std::optional<Millis> before;             // timestamp <= before
  bool identified_only = false;
  SuppressedFilter suppressed = SuppressedFilter::include;
};

// Where a listing stopped, for keyset pagination: the sort values of the last event returned.
// `event` is only meaningful for SortBy::event.
struct ListPosition {
  std::string event;
  Millis timestamp = 0;
  std::uint64_t seq = 0;
};

// A scan of a listing or a count holds one snapshot for at most this many index entries (a few
// milliseconds), then moves to the newest (ReadView::renew) and goes on from where it was, so
// that no request keeps the projector from reusing pages however many events it walks.
inline constexpr std::uint64_t kEntriesPerSnapshot = 4096;

struct ListRequest {
  EventFilter filter;
  SortBy sort_by = SortBy::timestamp;
  bool descending = true;
  std::uint64_t offset = 0;
  std::uint32_t limit = 20;
  std::optional<ListPosition> after;  // start strictly after this position (offset still applies)
  bool count_total = true;
  // The most entries a page may skip to reach its offset (see docs/queries.md: an offset past
  // the end costs nothing, one nearer the end is walked from there).
  std::uint64_t max_skip = std::numeric_limits<std::uint64_t>::max();
};

struct ListResult {
  std::vector<StoredEvent> events;
  std::uint64_t total = 0;              // all matches, whatever the page (if count_total)
  std::optional<ListPosition> next;     // where the next page starts; unset on the last page
  bool too_deep = false;                // the offset needs more than max_skip skipped: no events
};

ListResult list_events(const ReadView& view, std::uint32_t tno,
                       const ListRequest& request);

std::uint64_t count_events(const ReadView& view, std::uint32_t tno,
                           const EventFilter& filter);

std::optional<StoredEvent> find_event(const ReadView& view,
                                      std::uint32_t tno, std::string_view id);

// Encodes a list position as an opaque URL-safe cursor string, and back (nullopt if malformed).
std::string encode_cursor(SortBy sort_by, bool descending, const ListPosition& position);
std::optional<ListPosition> decode_cursor(std::string_view cursor, SortBy sort_by,
                                          bool descending);

}  // namespace eventsd
