// The workspace dialect (seed 004, API.md §4): GET and POST /api/workspaces/{workspaceId}/events.
// The workspace id is the tenant id; a token of another tenant is told the workspace does not
// exist.
#include "http/render.h"
#include "projections/event_queries.h"
#include "http/router.h"
#include "http/submit.h"
#include "http/view.h"

namespace eventsd::http {

namespace asio = boost::asio;

namespace {

void check_workspace(const Request& req) {
  if (req.captures.at(0) != req.principal.tenant) {
    throw ApiError(404, "not_found", "no such workspace");
  }
}

void write_workspace_event(JsonWriter& w, const StoredEvent& e, Enricher& enricher) {
  w.begin_object();
  w.key("id").string(e.id);
  w.key("type").string(e.event);
  w.key("metadata").raw(e.data);
  w.key("timestamp").string(format_iso8601_ms(e.timestamp));
  w.key("contact");
  if (!e.contact_id) {
    w.null();
  } else {
    const auto& found = enricher.lookup(*e.contact_id);
    w.begin_object().key("id").string(*e.contact_id);
    if (found.profile) {
      w.key("email").optional_string(found.profile->email);
      w.key("firstName").optional_string(found.profile->firstname);
      w.key("lastName").optional_string(found.profile->lastname);
    } else {
      w.key("email").null().key("firstName").null().key("lastName").null();
    }
    w.end_object();
  }
  w.end_object();
}

asio::awaitable<Reply> list(App& app, Request& req) {
  check_workspace(req);
  const auto& q = req.query;
  q.only({"contactId", "type", "limit"});
  ListRequest lr;
  lr.filter.contact_id = text_param(q, "contactId", 128);
  lr.filter.event_type = text_param(q, "type", 128);
  lr.limit = static_cast<std::uint32_t>(int_param(q, "limit", 1, 200).value_or(50));
  lr.count_total = false;
  std::string body;
  JsonWriter w(body);
  w.begin_array();
  TenantView view(app, req.principal.tenant);
  if (auto tno = view.tno()) {
    Enricher enricher(view.read(), *tno);
    for (const auto& e : list_events(view.read(), *tno, lr).events) {
      write_workspace_event(w, e, enricher);
    }
  }
  w.end_array();
  co_return json_response(200, std::move(body));
}

asio::awaitable<Reply> create(App& app, Request& req) {
  check_workspace(req);
  req.query.only({});
  const auto body = json_body(req);
  if (body.find("batch")) {
    throw bad_param("batch", "this endpoint takes one event");
  }
  auto parsed = parse_ingest(body, kWorkspaceFieldNames, req.received_at);
  Command command = command_from(req, std::move(parsed));
  auto result = expect<Ingested>(co_await async_submit(app.writer, std::move(command), req.raw.body().size()));
  TenantView view(app, req.principal.tenant);
  const auto tno = view.tno();
  auto event = tno ? find_event(view.read(), *tno, result.ids.at(0)) : std::nullopt;
  if (!event) throw ApiError(500, "internal_error", "the event was recorded but cannot be read back");
  Enricher enricher(view.read(), *tno);
  std::string out;
  JsonWriter w(out);
  write_workspace_event(w, *event, enricher);
  co_return with_position(json_response(201, std::move(out)), result.position);
}

}  // namespace

void add_workspace_routes(Router& r) {
  r.add(bhttp::verb::get, "/api/workspaces/{workspaceId}/events", Dialect::workspace, "events:read", list);
  r.add(bhttp::verb::post, "/api/workspaces/{workspaceId}/events", Dialect::workspace, "events:write", create);
}

}  // namespace eventsd::http
