// Cursors (decode_cursor), then listings that start from them, on a real store with a history.
//
// Input: one byte choosing the sort (by / dir) and a filter, then the cursor text as a client
// sends it in ?cursor=. A cursor that decodes encodes back to one that decodes to the same
// position; a listing from it holds at most `limit` events; and the next page (from the
// listing's own next cursor) repeats none of them.
#include <cstdint>
#include <set>
#include <string>

#include "http/api/view.h"
#include "projections/event_queries.h"
#include "tests/fuzz/checks.h"

namespace {

using namespace eventsd;
using fuzz::check;

bool same(const ListPosition& a, const ListPosition& b) {
  return a.event == b.event && a.timestamp == b.timestamp && a.seq == b.seq;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const unsigned choice = data[0];
  const std::string_view cursor = fuzz::as_text(data + 1, size - 1);
  ListRequest lr;
  lr.sort_by = static_cast<SortBy>(choice % 3);
  lr.descending = (choice / 3) % 2 == 0;
  switch ((choice / 6) % 4) {
    case 1: lr.filter.event_type = "view"; break;
    case 2: lr.filter.contact_id = "ct_1"; break;
    case 3: lr.filter.suppressed = SuppressedFilter::exclude; break;
    default: break;
  }
  lr.limit = 1 + (choice / 24) % 4;

  lr.after = decode_cursor(cursor, lr.sort_by, lr.descending);
  if (!lr.after) return 0;
  const std::string again = encode_cursor(lr.sort_by, lr.descending, *lr.after);
  const auto back = decode_cursor(again, lr.sort_by, lr.descending);
  check(back && same(*back, *lr.after), "a decoded cursor, encoded again, decodes to another position",
        std::string(cursor) + " -> " + again);

  auto& app = fuzz::live_app();
  http::TenantView view(app.app(), fuzz::kTenant);
  check(view.tno().has_value(), "the fuzz tenant has no history");
  const ListResult page = list_events(view.read(), *view.tno(), lr);
  check(page.events.size() <= lr.limit, "a listing from a cursor holds more than limit events", cursor);
  if (!page.next) return 0;
  const std::string next = encode_cursor(lr.sort_by, lr.descending, *page.next);
  ListRequest second = lr;
  second.after = decode_cursor(next, lr.sort_by, lr.descending);
  check(second.after.has_value(), "a listing's next cursor does not decode", next);
  std::set<std::uint64_t> seen;
  for (const auto& e : page.events) seen.insert(e.seq);
  for (const auto& e : list_events(view.read(), *view.tno(), second).events) {
    check(!seen.count(e.seq), "the page after a cursor repeats an event of the page before: " + e.id, cursor);
  }
  return 0;
}
