// POST /v1/identify (the tracker's identify(contactId, traits)): {"contact_id", "traits":
// {firstname, lastname, email, company:{name, domain}}}. Unlike PUT /v1/contacts/{id}, which
// replaces a profile, the traits given are merged into the stored profile (a trait set to null
// clears it), and the answer carries no data: a publishable key may call it and reads nothing.
#include <boost/json.hpp>

#include "commands/contact_input.h"
#include "http/render.h"
#include "http/router.h"
#include "http/submit.h"
#include "http/view.h"
#include "projections/contacts.h"

namespace eventsd::http {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// The stored profile as a PUT /v1/contacts body, with `traits` laid over it.
json::object merged_profile(App& app, const std::string& tenant, const std::string& contact,
                            const json::object& traits) {
  json::object out;
  {
    TenantView view(app, tenant);
    if (auto tno = view.tno()) {
      if (auto p = find_profile(view.read(), *tno, contact)) {
        if (p->firstname) out["firstname"] = *p->firstname;
        if (p->lastname) out["lastname"] = *p->lastname;
        if (p->email) out["email"] = *p->email;
        if (p->company_key) {
          if (auto c = find_company(view.read(), *tno, *p->company_key)) {
            json::object company;
            if (c->name) company["name"] = *c->name;
            if (c->domain) company["domain"] = *c->domain;
            out["company"] = std::move(company);
          }
        }
      }
    }
  }
  for (const auto& [k, v] : traits) out[k] = v;
  return out;
}

asio::awaitable<Reply> identify(App& app, Request& req) {
  req.query.only({});
  const json::value body = json_body(req);
  const json::object* obj = body.if_object();
  if (!obj) throw bad_param("body", "the body must be a JSON object {contact_id, traits}");
  for (const auto& [k, v] : *obj) {
    if (k != "contact_id" && k != "traits") throw bad_param(std::string(k), "unknown field '" + std::string(k) + "'");
  }
  const json::value* id = obj->if_contains("contact_id");
  if (!id || !id->is_string()) throw bad_param("contact_id", "contact_id is required (a string)");
  const std::string contact(id->get_string());
  const json::value* traits = obj->if_contains("traits");
  if (traits && !traits->is_object() && !traits->is_null()) {
    throw bad_param("traits", "traits must be an object {firstname, lastname, email, company}");
  }
  // Validate the traits alone first, so that errors name what the client sent.
  const json::object given = traits && traits->is_object() ? traits->get_object() : json::object();
  const auto alone = parse_contact_upsert(contact, given);
  if (auto* e = std::get_if<FieldError>(&alone)) {
    throw bad_param(e->field == "id" ? "contact_id" : "traits." + e->field, e->message);
  }
  if (!given.empty()) {
    auto parsed = parse_contact_upsert(contact, merged_profile(app, req.principal.tenant, contact, given));
    Command command = command_from(req, std::move(parsed));
    expect<Recorded>(co_await async_submit(app.writer, std::move(command)));
  }
  co_return json_response(200, R"({"status":"success"})");
}

}  // namespace

void add_identify_route(Router& r) {
  r.add(bhttp::verb::post, "/v1/identify", Dialect::native, "events:write", identify);
}

}  // namespace eventsd::http
