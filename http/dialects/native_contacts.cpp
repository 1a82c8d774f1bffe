// Contacts (leads): PUT /v1/contacts/{id} records a profile; GET /v1/contacts/{id} answers the
// lead (docs/api.md, "Contacts").
#include "commands/contact_input.h"
#include "commands/rules_input.h"
#include "http/api/render.h"
#include "http/api/router.h"
#include "http/dialects/routes.h"
#include "http/api/submit.h"
#include "http/api/view.h"

namespace eventsd::http {

namespace asio = boost::asio;

namespace {

Response lead_response(App& app, const std::string& tenant, const std::string& id) {
  std::optional<Lead> lead;
  {
    TenantView view(app, tenant);
    if (auto tno = view.tno()) {
      lead = find_lead(view.read(), *tno, id);
    }
  }
  if (!lead) throw ApiError(404, "not_found", "no contact with this id");
  std::string body;
  JsonWriter w(body);
  w.begin_object().key("status").string("success").key("contact");
  write_lead(w, *lead);
  w.end_object();
  return json_response(200, std::move(body));
}

asio::awaitable<Reply> put_contact(App& app, Request& req) {
  req.query.only({});
  auto recorded = co_await submit<Recorded>(app, req, parse_contact_upsert(req.captures.at(0), json_body(req)));
  co_return with_position(lead_response(app, req.principal.tenant, req.captures.at(0)), recorded.position);
}

asio::awaitable<Reply> get_contact(App& app, Request& req) {
  req.query.only({});
  co_return lead_response(app, req.principal.tenant, path_id(req, "not_found", "no contact with this id"));
}

asio::awaitable<Reply> merge(App& app, Request& req) {
  req.query.only({});
  auto merged = co_await submit<Merged>(app, req, parse_merge(json_body(req)));
  std::string body;
  JsonWriter w(body);
  w.begin_object().key("status").string("success").key("into").string(merged.into);
  w.key("moved").number(merged.moved).key("position").number(merged.position).end_object();
  co_return with_position(json_response(200, std::move(body)), merged.position);
}

}  // namespace

void add_native_contact_routes(Router& r) {
  r.add_log_write(bhttp::verb::post, "/v1/contacts/merge", Dialect::native, "events:write", merge);
  r.add_log_write(bhttp::verb::put, "/v1/contacts/{id}", Dialect::native, "events:write", put_contact);
  r.add(bhttp::verb::get, "/v1/contacts/{id}", Dialect::native, "events:read", get_contact);
}

}  // namespace eventsd::http
