// The organizational-unit dialect (seeds 000 and 002; docs/api.md, "Organizational-unit dialect"): GET /events,
// GET /leads/{id}/events, POST /ingest, and the documents' related endpoints in the same names:
// GET /events/export (CSV), GET /events/stream (SSE), GET /events/analytics (counts by type and
// day). (DELETE /events/batch is the native handler; GET /leads/{id}/sessions is in sessions.cpp.)
#include "commands/event_input.h"
#include "http/api/filters.h"
#include "http/api/render.h"
#include "http/api/router.h"
#include "http/dialects/routes.h"
#include "http/api/streams.h"
#include "projections/stats.h"
#include "http/api/view.h"

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
  w.key("created_at").string(format_iso8601_s(e.timestamp));
  w.end_object();
}

void write_ou_event_json(JsonWriter& w, const StoredEvent& e, Enricher&) { write_ou_event(w, e); }

// The filter of every listing of the dialect: event_type, lead_id (or the path's lead), range.
EventFilter ou_filter(const Request& req, std::optional<std::string> lead) {
  const auto& q = req.query;
  EventFilter f;
  f.contact_id = std::move(lead);
  if (!f.contact_id) f.contact_id = text_param(q, "lead_id", 128);
  f.event_type = text_param(q, "event_type", 128);
  if (auto range = q.get("range")) apply_range("range", *range, req, f);
  return f;
}

// GET /events and GET /leads/{id}/events: page, limit (default 25, max 100), event_type, range.
Response list(App& app, Request& req, std::optional<std::string> lead) {
  const auto& q = req.query;
  ListRequest lr;
  lr.filter = ou_filter(req, std::move(lead));
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

// The export's columns: the list's fields, metadata as its JSON text.
constexpr const char* kCsvColumns[] = {"id", "lead_id", "event_type", "metadata", "suppression_reason",
                                       "original_lead_id", "created_at"};

void csv_row(std::string& out, const StoredEvent& e, Enricher&) {
  auto opt = [](const std::optional<std::string>& v) { return v ? std::string_view(*v) : std::string_view(); };
  const std::string created = format_iso8601_s(e.timestamp);  // as the list: whole seconds
  const std::string_view fields[] = {e.id, opt(e.contact_id), e.event, e.data,
                                     suppression_name(e.suppression).value_or(""),
                                     opt(e.original_contact_id), created};
  for (std::size_t i = 0; i < std::size(fields); ++i) {
    if (i) out.push_back(',');
    csv_field(out, fields[i]);
  }
  out.append("\r\n");
}

// GET /events/export: every event the filter matches, newest first, as CSV.
asio::awaitable<Reply> export_route(App& app, Request& req) {
  req.query.only({"event_type", "lead_id", "range", "format"});
  if (auto format = req.query.get("format"); format && *format != "csv") {
    throw bad_param("format", "format must be csv");
  }
  ListRequest lr;
  lr.filter = ou_filter(req, std::nullopt);
  ExportShape shape{"text/csv; charset=utf-8", "events.csv", {}, csv_row};
  for (std::size_t i = 0; i < std::size(kCsvColumns); ++i) {
    if (i) shape.header.push_back(',');
    shape.header.append(kCsvColumns[i]);
  }
  shape.header.append("\r\n");
  co_return event_export(app, req.principal.tenant, std::move(lr), std::move(shape));
}

// GET /events/stream: newly committed events as Server-Sent Events, in this dialect's names.
asio::awaitable<Reply> stream_route(App& app, Request& req) {
  req.query.only({"event_type", "last_event_id"});
  co_return event_stream(app, req, Dialect::org_unit, text_param(req.query, "event_type", 128), write_ou_event_json);
}

// GET /events/analytics: unsuppressed events counted by type and by day (the 90 days ending
// today, or the range's last day), suppressed ones apart, and sessions started in the range.
asio::awaitable<Reply> analytics_route(App& app, Request& req) {
  const auto& q = req.query;
  q.only({"event_type", "range"});
  StatsQuery sq;
  sq.event_type = text_param(q, "event_type", 128);
  EventFilter bounds;
  if (auto range = q.get("range")) apply_range("range", *range, req, bounds);
  sq.after = bounds.after;
  sq.before = bounds.before;
  sq.now = req.now(kMillisPerDay);
  Stats s;
  {
    TenantView view(app, req.principal.tenant);
    if (auto tno = view.tno()) s = compute_stats(view.read(), *tno, sq);
  }
  std::string body;
  JsonWriter w(body);
  w.begin_object();
  w.key("total").number(s.total);
  w.key("suppressed").number(s.suppressed);
  w.key("sessions").number(s.sessions);
  w.key("by_type").begin_array();
  for (const auto& [type, n] : s.by_type) {
    w.begin_object().key("event_type").string(type).key("count").number(n).end_object();
  }
  w.end_array();
  w.key("by_day").begin_array();
  for (const auto& [day, n] : s.by_day) {
    w.begin_object().key("date").string(format_date(day)).key("count").number(n).end_object();
  }
  w.end_array();
  w.end_object();
  co_return json_response(200, std::move(body));
}

asio::awaitable<Reply> ingest(App& app, Request& req) {
  co_return co_await ingest_events(app, req, kOrgUnitFieldNames);
}

}  // namespace

void add_org_unit_routes(Router& r) {
  r.add(bhttp::verb::get, "/events", Dialect::org_unit, "events:read", list_events_route);
  r.add(bhttp::verb::get, "/leads/{id}/events", Dialect::org_unit, "events:read", lead_events);
  r.add_log_write(bhttp::verb::post, "/ingest", Dialect::org_unit, "events:write", ingest);
  r.add(bhttp::verb::get, "/events/export", Dialect::org_unit, "events:read", export_route);
  r.add(bhttp::verb::get, "/events/stream", Dialect::org_unit, "events:read", stream_route);
  r.add(bhttp::verb::get, "/events/analytics", Dialect::org_unit, "events:read", analytics_route);
}

}  // namespace eventsd::http
