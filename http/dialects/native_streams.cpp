// The native dialect's streamed routes (docs/api.md, "Streams and exports"): GET /v1/events/stream
// (Server-Sent Events of newly committed events) and GET /v1/events/export (every matching event,
// as CSV or JSON lines), over the bodies http/api/streams.h makes.
#include <boost/asio/use_awaitable.hpp>

#include "common/json_writer.h"
#include "http/api/filters.h"
#include "http/api/render.h"
#include "http/api/router.h"
#include "http/api/streams.h"
#include "http/dialects/routes.h"

namespace eventsd::http {

namespace asio = boost::asio;

namespace {

asio::awaitable<Reply> stream(App& app, Request& req) {
  req.query.only({"event_type", "last_event_id"});
  co_return event_stream(app, req, Dialect::native, text_param(req.query, "event_type", 128),
                         [](JsonWriter& w, const StoredEvent& e, Enricher& enricher) {
                           write_native_event(w, e, &enricher, false);
                         });
}

constexpr const char* kCsvColumns[] = {
    "id", "event", "timestamp", "created_at", "contact_id", "original_contact_id", "url", "domain",
    "referrer", "session_id", "utm_source", "utm_medium", "utm_campaign", "campaign_id", "step_id",
    "email", "suppression_reason", "data"};

void csv_row(std::string& out, const StoredEvent& e) {
  auto opt = [](const std::optional<std::string>& v) { return v ? std::string_view(*v) : std::string_view(); };
  const std::string ts = format_iso8601_ms(e.timestamp), created = format_iso8601_ms(e.created_at);
  const std::string_view fields[] = {
      e.id, e.event, ts, created, opt(e.contact_id), opt(e.original_contact_id), opt(e.url), opt(e.domain),
      opt(e.referrer), opt(e.session_id), opt(e.utm_source), opt(e.utm_medium), opt(e.utm_campaign),
      opt(e.campaign_id), opt(e.step_id), opt(e.email), suppression_name(e.suppression).value_or(""), e.data};
  for (std::size_t i = 0; i < std::size(fields); ++i) {
    if (i) out.push_back(',');
    csv_field(out, fields[i]);
  }
  out.append("\r\n");
}

void jsonl_row(std::string& out, const StoredEvent& e, Enricher& enricher) {
  JsonWriter w(out);
  write_native_event(w, e, &enricher, true);
  out.push_back('\n');
}

void native_csv_row(std::string& out, const StoredEvent& e, Enricher&) { csv_row(out, e); }

asio::awaitable<Reply> export_events(App& app, Request& req) {
  req.query.only({"format", "event_type", "contact_id", "domain", "url_contains", "date_after",
                  "date_before", "range", "identified_only", "search", "suppressed", "sort_dir"});
  const auto format = req.query.get("format").value_or("jsonl");
  if (format != "csv" && format != "jsonl") throw bad_param("format", "format must be csv or jsonl");
  const bool csv = format == "csv";
  ListRequest request;
  parse_list_filter(req, request.filter);
  if (auto dir = req.query.get("sort_dir")) {
    if (*dir != "asc" && *dir != "desc") throw bad_param("sort_dir", "sort_dir must be asc or desc");
    request.descending = *dir == "desc";
  }
  ExportShape shape;
  if (csv) {
    shape = {"text/csv; charset=utf-8", "events.csv", {}, native_csv_row};
    for (std::size_t i = 0; i < std::size(kCsvColumns); ++i) {
      if (i) shape.header.push_back(',');
      shape.header.append(kCsvColumns[i]);
    }
    shape.header.append("\r\n");
  } else {
    shape = {"application/x-ndjson", "events.jsonl", {}, jsonl_row};
  }
  co_return event_export(app, req.principal.tenant, std::move(request), std::move(shape));
}

}  // namespace

void add_native_stream_routes(Router& r) {
  r.add(bhttp::verb::get, "/v1/events/stream", Dialect::native, "events:read", stream);
  r.add(bhttp::verb::get, "/v1/events/export", Dialect::native, "events:read", export_events);
}

}  // namespace eventsd::http
