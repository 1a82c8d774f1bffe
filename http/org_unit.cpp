// The organizational-unit dialect (seeds 000 and 002, API.md §4): GET /events,
// GET /leads/{id}/events, POST /ingest. (DELETE /events/batch is the native handler.)
#include "commands/event_input.h"
#include "http/filters.h"
#include "http/render.h"
#include "http/router.h"
#include "http/view.h"

namespace eventsd::http {

namespace asio = boost::asio;

namespace {

void write_ou_event(JsonWriter& w, const StoredEvent& e) {
  w.begin_object();
  w.key("id").string(e.id);
  w.key("lead_id").optional_string(e.contact_id);
  w.key("event_type").string(e.event);
  w.key("metadata").raw(e.data);
  w.key("suppression_reason").optional_string(suppression_name(e.suppression));
  w.key("original_lead_id").optional_string(e.original_contact_id);
  w.key("created_at").string(format_iso8601(e.timestamp));
  w.end_object();
}

// GET /events and GET /leads/{id}/events: page, limit (default 25, max 100), event_type, range.
Response list(App& app, Request& req, std::optional<std::string> lead) {
  const auto& q = req.query;
  ListRequest lr;
  lr.filter.contact_id = std::move(lead);
  if (!lr.filter.contact_id) lr.filter.contact_id = text_param(q, "lead_id", 128);
  lr.filter.event_type = text_param(q, "event_type", 128);
  if (auto range = q.get("range")) apply_range("range", *range, req, lr.filter);
  const std::int64_t page = int_param(q, "page", 1, std::numeric_limits<std::int32_t>::max()).value_or(1);
  lr.limit = static_cast<std::uint32_t>(int_param(q, "limit", 1, 100).value_or(25));
  lr.offset = static_cast<std::uint64_t>(page - 1) * lr.limit;
  lr.max_skip = kMaxSkip;
  ListResult result;
  {
    TenantView view(app, req.principal.tenant);
    if (auto tno = view.tno()) {
      result = list_events(view.read(), *tno, lr);
    }
  }
  if (result.too_deep) throw too_deep("page");
  std::string body;
  JsonWriter w(body);
  w.begin_object().key("events").begin_array();
  for (const auto& e : result.events) write_ou_event(w, e);
  w.end_array();
  w.key("total").number(result.total);
  w.key("page").number(page);
  w.key("limit").number(lr.limit);
  w.end_object();
  return json_response(200, std::move(body));
}

asio::awaitable<Reply> list_events_route(App& app, Request& req) {
  req.query.only({"page", "limit", "event_type", "lead_id", "range"});
  co_return list(app, req, std::nullopt);
}

asio::awaitable<Reply> lead_events(App& app, Request& req) {
  req.query.only({"page", "limit", "event_type", "range"});
  const std::string& lead = req.captures.at(0);
  if (!is_clean_text(lead, 128)) throw bad_param("lead_id", "lead id must be 1-128 bytes");
  co_return list(app, req, lead);
}

asio::awaitable<Reply> ingest(App& app, Request& req) {
  co_return co_await ingest_events(app, req, kOrgUnitFieldNames);
}

}  // namespace

void add_org_unit_routes(Router& r) {
  r.add(bhttp::verb::get, "/events", Dialect::org_unit, "events:read", list_events_route);
  r.add(bhttp::verb::get, "/leads/{id}/events", Dialect::org_unit, "events:read", lead_events);
  r.add(bhttp::verb::post, "/ingest", Dialect::org_unit, "events:write", ingest);
}

}  // namespace eventsd::http
