// Query parameters that several dialects share: date ranges and the list filter.
#pragma once

#include <optional>
#include <string_view>

#include "http/api/api.h"
#include "projections/event_queries.h"

namespace eventsd::http {

// Narrows [after, before] by a named range (today, yesterday, last_7d, last_30d, last_90d; UTC),
// relative to the request's clock. Throws ApiError naming `param` for anything else.
void apply_range(std::string_view param, std::string_view range, const Request& req, EventFilter& filter);

// The filter parameters of GET /v1/events (event_type, contact_id, domain, url_contains, search,
// date_after, date_before, range, identified_only, suppressed), shared by the export.
void parse_list_filter(const Request& req, EventFilter& filter);

// The most events a page may skip to reach its offset, counted from whichever end of the listing
// is nearer (docs/queries.md); a page past the end skips nothing.
inline constexpr std::uint64_t kMaxSkip = 10'000'000;
// The error for a page that would skip more (ListResult::too_deep).
ApiError too_deep(std::string field);

// Narrows the filter to [from, to] (either may be absent), intersecting what is there.
void narrow(EventFilter& filter, std::optional<Millis> from, std::optional<Millis> to);

}  // namespace eventsd::http
