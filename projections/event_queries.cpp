// Listings, counts and single events (event_queries.h): the pages, placed by the counters where
// they can be, walked by list_walker.h.
#include "projections/event_queries.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>

#include "projections/list_walker.h"

namespace eventsd {

using listing::Walker;

namespace {

// A page whose place is known from the counters: none past the end, and one nearer the end than
// the start is walked from the end, so a page costs at most half the matches skipped. Nullopt
// when the page is not answered that way.
std::optional<ListResult> counted_page(const ReadView& view, std::uint32_t tno,
                                       const ListRequest& request, std::uint64_t total) {
  ListResult result;
  result.total = total;
  if (request.offset >= total) return result;  // past the end: an empty page
  const std::uint64_t remaining = total - request.offset;
  const std::uint64_t take = std::min<std::uint64_t>(request.limit, remaining);
  const std::uint64_t skip_from_end = remaining - take;
  if (std::min(request.offset, skip_from_end) > request.max_skip) {
    result.too_deep = true;
    return result;
  }
  if (request.offset <= skip_from_end) return std::nullopt;
  ListRequest reversed = request;
  reversed.descending = !request.descending;
  Walker walker(view, tno, reversed, skip_from_end + take);
  std::uint64_t to_skip = skip_from_end;
  std::optional<ListPosition> last;  // the page's last event in the requested order
  walker.walk([&](std::uint64_t seq, const ListPosition& pos) {
    if (to_skip > 0) {
      --to_skip;
      return true;
    }
    if (auto doc = walker.fetch(seq)) result.events.push_back(to_stored_event(seq, *doc));
    if (!last) {
      last = pos;
      if (!result.events.empty()) last->event = result.events.back().event;
    }
    return result.events.size() < take;
  });
  std::reverse(result.events.begin(), result.events.end());
  if (request.offset + take < total) result.next = last;
  return result;
}

}  // namespace

ListResult list_events(const ReadView& view, std::uint32_t tno,
                       const ListRequest& request) {
  ListResult result;
  // The walk takes the page and one more (to know whether a next page exists).
  const std::uint64_t keep = request.offset + request.limit + 1;
  Walker walker(view, tno, request, keep);
  // A page deeper than max_skip is placed by the total: past the end, walked from the nearer
  // end, or too deep.
  const bool placed = !request.after && request.offset > request.max_skip;
  auto counted = request.count_total || placed ? walker.plan().counted_total() : std::nullopt;
  // From a cursor the walk sees only what follows it, and a createdAt walk only the page: count
  // the whole listing apart.
  if (!counted && (placed || (request.count_total && (request.after || request.sort_by == SortBy::created_at)))) {
    counted = count_events(view, tno, request.filter);
  }
  if (counted && !request.after) {
    if (auto page = counted_page(view, tno, request, *counted)) return std::move(*page);
  }
  const bool scan_for_total = request.count_total && !counted;
  std::uint64_t matched = 0;
  std::uint64_t to_skip = request.offset;
  bool more = false;
  ListPosition last;
  walker.walk([&](std::uint64_t seq, const ListPosition& pos) {
    ++matched;
    if (to_skip > 0) {
      --to_skip;
      return true;
    }
    if (result.events.size() < request.limit) {
      auto doc = walker.fetch(seq);
      if (doc) result.events.push_back(to_stored_event(seq, *doc));
      last = pos;
      if (!result.events.empty()) last.event = result.events.back().event;
      return true;
    }
    more = true;
    return scan_for_total;
  });
  result.total = counted ? *counted : matched;
  if (more) result.next = last;
  return result;
}

std::uint64_t count_events(const ReadView& view, std::uint32_t tno,
                           const EventFilter& filter) {
  ListRequest request;
  request.filter = filter;
  Walker walker(view, tno, request);
  if (auto counted = walker.plan().counted_total()) return *counted;
  std::uint64_t matched = 0;
  walker.walk([&](std::uint64_t, const ListPosition&) {
    ++matched;
    return true;
  });
  return matched;
}

std::optional<StoredEvent> find_event(const ReadView& view, std::uint32_t tno, std::string_view id) {
  const ReadModels& models = view.models;
  const lmdb::Txn& txn = view.txn;
  auto seq = models.find_seq(txn, tno, id);
  if (!seq) return std::nullopt;
  std::string_view overlay;
  if (!txn.get(models.dbs().events, rm::events_key(tno, *seq), overlay)) return std::nullopt;
  LogEvents events(view.log_txn, models.log());
  auto base = events.get(*seq);
  if (!base) return std::nullopt;
  return to_stored_event(*seq, EventView{*base, EventOverlay::decode(overlay)});
}

}  // namespace eventsd
