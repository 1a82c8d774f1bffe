// A lead's sessions (projections/visitor_sessions.h): GET /v1/contacts/{id}/sessions (native) and
// GET /leads/{id}/sessions (organizational unit), newest first, paged like each dialect's events.
#include "commands/event_input.h"
#include "common/json_writer.h"
#include "http/api/router.h"
#include "http/dialects/routes.h"
#include "http/api/view.h"
#include "projections/visitor_sessions.h"

namespace eventsd::http {

namespace asio = boost::asio;

namespace {

struct Paged {
  std::string contact;  // resolved: a merged contact answers as the one it was merged into
  SessionPage page;
};

Paged read_sessions(App& app, const Request& req, const std::string& id, std::int64_t page,
                    std::uint32_t limit) {
  Paged out;
  TenantView view(app, req.principal.tenant);
  out.contact = id;
  if (auto tno = view.tno()) {
    out.contact = view.models().resolve_contact(view.txn(), *tno, id);
    out.page = contact_sessions(view.read(), *tno, out.contact,
                                static_cast<std::uint64_t>(page - 1) * limit, limit);
  }
  return out;
}

void write_session(JsonWriter& w, const Session& s, std::string (*format)(Millis)) {
  w.key("started_at").string(format(s.started_at));
  w.key("ended_at").string(format(s.ended_at));
  w.key("duration_seconds").number((s.ended_at - s.started_at) / 1000);
  w.key("event_count").number(s.event_count);
}

asio::awaitable<Reply> native_sessions(App& app, Request& req) {
  const auto& q = req.query;
  q.only({"page", "limit"});
  const std::string& id = path_id(req, "not_found", "no contact with this id");
  const std::int64_t page = int_param(q, "page", 1, std::numeric_limits<std::int32_t>::max()).value_or(1);
  const auto limit = static_cast<std::uint32_t>(int_param(q, "limit", 1, 100).value_or(20));
  const Paged found = read_sessions(app, req, id, page, limit);
  std::string body;
  JsonWriter w(body);
  w.begin_object().key("status").string("success");
  w.key("contact_id").string(found.contact);
  w.key("sessions").begin_array();
  for (const auto& s : found.page.sessions) {
    w.begin_object();
    write_session(w, s, format_iso8601_ms);
    w.end_object();
  }
  w.end_array();
  w.key("pagination").begin_object();
  w.key("page").number(page).key("limit").number(limit);
  w.key("total_pages").number((found.page.total + limit - 1) / limit);
  w.key("total_items").number(found.page.total);
  w.end_object().end_object();
  co_return json_response(200, std::move(body));
}

asio::awaitable<Reply> org_unit_sessions(App& app, Request& req) {
  const auto& q = req.query;
  q.only({"page", "limit"});
  const std::string& lead = req.captures.at(0);
  if (!is_clean_text(lead, 128)) throw bad_param("lead_id", "lead id must be 1-128 bytes");
  const std::int64_t page = int_param(q, "page", 1, std::numeric_limits<std::int32_t>::max()).value_or(1);
  const auto limit = static_cast<std::uint32_t>(int_param(q, "limit", 1, 100).value_or(25));
  const Paged found = read_sessions(app, req, lead, page, limit);
  std::string body;
  JsonWriter w(body);
  w.begin_object().key("sessions").begin_array();
  for (const auto& s : found.page.sessions) {
    w.begin_object().key("lead_id").string(found.contact);
    write_session(w, s, format_iso8601_s);  // the dialect's whole seconds
    w.end_object();
  }
  w.end_array();
  w.key("total").number(found.page.total);
  w.key("page").number(page);
  w.key("limit").number(limit);
  w.end_object();
  co_return json_response(200, std::move(body));
}

}  // namespace

void add_visitor_session_routes(Router& r) {
  r.add(bhttp::verb::get, "/v1/contacts/{id}/sessions", Dialect::native, "events:read", native_sessions);
  r.add(bhttp::verb::get, "/leads/{id}/sessions", Dialect::org_unit, "events:read", org_unit_sessions);
}

}  // namespace eventsd::http
