// POST /v1/identify (the tracker's identify(contactId, traits)): {"contact_id", "traits":
// {firstname, lastname, email, company:{name, domain}}}. Unlike PUT /v1/contacts/{id}, which
// replaces a profile, the traits given are merged into the stored profile (a trait set to null
// clears it), and the answer carries no data: a publishable key may call it and reads nothing.
#include "commands/contact_input.h"
#include "http/api/render.h"
#include "http/api/router.h"
#include "http/dialects/routes.h"
#include "http/api/submit.h"
#include "http/api/view.h"
#include "projections/contacts.h"

namespace eventsd::http {

namespace asio = boost::asio;

namespace {

// The stored profile as a PUT /v1/contacts body, with `traits` laid over it.
JsonValue merged_profile(App& app, const std::string& tenant, const std::string& contact,
                         const JsonValue& traits) {
  JsonValue::Object out;
  auto set = [&out](std::string_view key, JsonValue v) {
    for (auto& [k, old] : out) {
      if (k == key) {
        old = std::move(v);
        return;
      }
    }
    out.emplace_back(std::string(key), std::move(v));
  };
  {
    TenantView view(app, tenant);
    if (auto tno = view.tno()) {
      if (auto p = find_profile(view.read(), *tno, contact)) {
        if (p->firstname) set("firstname", JsonValue::string(*p->firstname));
        if (p->lastname) set("lastname", JsonValue::string(*p->lastname));
        if (p->email) set("email", JsonValue::string(*p->email));
        if (p->company_key) {
          if (auto c = find_company(view.read(), *tno, *p->company_key)) {
            JsonValue::Object company;
            if (c->name) company.emplace_back("name", JsonValue::string(*c->name));
            if (c->domain) company.emplace_back("domain", JsonValue::string(*c->domain));
            set("company", JsonValue::object(std::move(company)));
          }
        }
      }
    }
  }
  for (const auto& [k, v] : traits.members()) set(k, v);
  return JsonValue::object(std::move(out));
}

asio::awaitable<Reply> identify(App& app, Request& req) {
  req.query.only({});
  const JsonValue body = json_body(req);
  if (!body.is_object()) throw bad_param("body", "the body must be a JSON object {contact_id, traits}");
  only_fields(body, {"contact_id", "traits"});
  const JsonValue* id = body.find("contact_id");
  if (!id || !id->is_string()) throw bad_param("contact_id", "contact_id is required (a string)");
  const std::string contact(id->get_string());
  const JsonValue* traits = body.find("traits");
  if (traits && !traits->is_object() && !traits->is_null()) {
    throw bad_param("traits", "traits must be an object {firstname, lastname, email, company}");
  }
  // Validate the traits alone first, so that errors name what the client sent.
  const JsonValue given = traits && traits->is_object() ? *traits : JsonValue::object();
  const auto alone = parse_contact_upsert(contact, given);
  if (auto* e = std::get_if<FieldError>(&alone)) {
    throw bad_param(e->field == "id" ? "contact_id" : "traits." + e->field, e->message);
  }
  if (!given.members().empty()) {
    auto parsed = parse_contact_upsert(contact, merged_profile(app, req.principal.tenant, contact, given));
    Command command = command_from(req, std::move(parsed));
    expect<Recorded>(co_await async_submit(app.engine(req.principal.tenant).writer, std::move(command)));
  }
  co_return json_response(200, R"({"status":"success"})");
}

}  // namespace

void add_identify_route(Router& r) {
  r.add_log_write(bhttp::verb::post, "/v1/identify", Dialect::native, "events:write", identify);
}

}  // namespace eventsd::http
