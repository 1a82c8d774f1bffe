// Sources of the caller's tenant (docs/api.md "Sources", docs/integrations.md): PUT, GET and
// DELETE /v1/sources/{id}, GET /v1/sources. A source's secret (a Mailgun signing key, a Postmark
// password) is never shown back; SendGrid's verification key and Postmark's user name are public
// material and are.
#include <algorithm>
#include <initializer_list>

#include "common/encoding.h"
#include "common/hash.h"
#include "common/json_writer.h"
#include "common/text.h"
#include "http/api/auth.h"
#include "http/api/hook_activity.h"
#include "http/api/router.h"
#include "http/dialects/hook_signatures.h"
#include "http/dialects/routes.h"

namespace eventsd::http {

namespace asio = boost::asio;

namespace {

ApiError no_source() { return ApiError(404, "not_found", "no source with this id"); }

SourceStore& sources_of(App& app) {
  if (!app.sources) throw ApiError(404, "not_found", "this server keeps no sources");
  return *app.sources;
}

void write_source(JsonWriter& w, const App& app, const SourceInfo& s) {
  w.begin_object().key("id").string(s.id).key("kind").string(kind_name(s.kind));
  w.key("hook_path").string("/hooks/" + s.id);
  if (s.kind == SourceKind::sendgrid) w.key("verification_key").string(s.verification_key);
  if (s.kind == SourceKind::postmark) w.key("username").string(s.username);
  w.key("created_at").string(format_iso8601_ms(s.created_at));
  w.key("updated_at").string(format_iso8601_ms(s.updated_at));
  const auto a = app.hooks ? app.hooks->activity(s.tenant, s.id) : std::nullopt;
  const SourceActivity none;
  const SourceActivity& act = a ? *a : none;
  w.key("last_delivery_at");
  if (act.last_delivery_at) w.string(format_iso8601_ms(*act.last_delivery_at));
  else w.null();
  w.key("deliveries").number(act.deliveries).key("events_created").number(act.events_created);
  w.key("events_duplicate").number(act.events_duplicate).key("events_skipped").number(act.events_skipped);
  w.key("refused").begin_object();
  for (const auto& [reason, n] : act.refused) w.key(reason).number(n);
  w.end_object().end_object();
}

// The source id of the path: 400 naming source_id when it could never be one.
std::string source_id(const Request& req) {
  const std::string& id = req.captures.at(0);
  if (!is_valid_source_id(id)) throw bad_param("source_id", "a source id is 1-64 characters of A-Z a-z 0-9 _ . -");
  return id;
}

std::string text_field(const JsonValue& body, std::string_view name, std::size_t min, std::size_t max) {
  const JsonValue* v = body.find(name);
  const std::string field(name);
  if (!v || !v->is_string()) throw bad_param(field, field + " is required and must be a string");
  const std::string_view s = v->get_string();
  if (s.size() < min || s.size() > max || has_control_characters(s)) {
    throw bad_param(field, field + " must be " + std::to_string(min) + "-" + std::to_string(max) +
                               " bytes without control characters");
  }
  return std::string(s);
}

// The fields a kind takes; any other kind's is a 400 naming it.
void only_kind_fields(const JsonValue& body, std::initializer_list<std::string_view> allowed) {
  for (std::string_view f : {"verification_key", "signing_key", "username", "password"}) {
    if (body.find(f) && std::find(allowed.begin(), allowed.end(), f) == allowed.end()) {
      throw bad_param(std::string(f), std::string(f) + " is not a field of this kind of source");
    }
  }
}

// {"kind": "sendgrid", "verification_key"} | {"kind": "mailgun", "signing_key"} |
// {"kind": "postmark", "username", "password"}
asio::awaitable<Reply> put_source(App& app, Request& req) {
  req.query.only({});
  SourceStore& store = sources_of(app);
  SourceInfo info;
  info.id = source_id(req);
  info.tenant = req.principal.tenant;
  const JsonValue body = object_body(req, {"kind", "verification_key", "signing_key", "username", "password"});
  const JsonValue* kind = body.find("kind");
  const auto k = kind && kind->is_string() ? parse_kind(kind->get_string()) : std::nullopt;
  if (!k) throw bad_param("kind", "kind must be one of sendgrid, mailgun, postmark");
  info.kind = *k;
  switch (info.kind) {
    case SourceKind::sendgrid:
      only_kind_fields(body, {"verification_key"});
      info.verification_key = text_field(body, "verification_key", 1, kMaxSourceSecretBytes);
      if (!is_sendgrid_key(info.verification_key)) {
        throw bad_param("verification_key", "verification_key must be SendGrid's verification key: base64 of a "
                                            "P-256 public key (DER SubjectPublicKeyInfo)");
      }
      break;
    case SourceKind::mailgun:
      only_kind_fields(body, {"signing_key"});
      info.signing_key = text_field(body, "signing_key", 16, kMaxSourceSecretBytes);
      break;
    case SourceKind::postmark: {
      only_kind_fields(body, {"username", "password"});
      info.username = text_field(body, "username", 1, 128);
      if (info.username.find(':') != std::string::npos) throw bad_param("username", "username must not hold ':'");
      info.password_sha256 = to_hex(sha256(text_field(body, "password", 16, kMaxSourceSecretBytes)));
      break;
    }
  }
  const Millis now = req.now();
  bool created = false;
  write_beside_log(app, [&](lmdb::Txn& txn) {
    const auto existing = store.find(txn, info.id);
    if (existing && existing->tenant != info.tenant) {
      throw ApiError(409, "source_id_taken", "this source id is taken; choose another");
    }
    if (!existing && store.list(txn, info.tenant).size() >= kMaxSourcesPerTenant) {
      throw ApiError(409, "too_many_sources", "a tenant has at most " + std::to_string(kMaxSourcesPerTenant) + " sources");
    }
    created = !existing;
    info.created_at = existing ? existing->created_at : now;
    info.updated_at = now;
    store.put(txn, info);
  });
  std::string out;
  JsonWriter w(out);
  w.begin_object().key("status").string("success").key("source");
  write_source(w, app, info);
  w.end_object();
  co_return json_response(created ? 201 : 200, std::move(out));
}

asio::awaitable<Reply> list_sources(App& app, Request& req) {
  req.query.only({});
  req.now();  // the activity is this node's memory, not the read models': no ETag
  SourceStore& store = sources_of(app);
  std::vector<SourceInfo> sources;
  {
    auto snapshot = app.store.read();
    sources = store.list(snapshot.txn(), req.principal.tenant);
  }
  std::string body;
  JsonWriter w(body);
  w.begin_object().key("status").string("success").key("sources").begin_array();
  for (const auto& s : sources) write_source(w, app, s);
  w.end_array().end_object();
  co_return json_response(200, std::move(body));
}

std::optional<SourceInfo> tenant_source(App& app, const Request& req, const std::string& id) {
  auto snapshot = app.store.read();
  auto s = sources_of(app).find(snapshot.txn(), id);
  if (!s || s->tenant != req.principal.tenant) return std::nullopt;
  return s;
}

asio::awaitable<Reply> get_source(App& app, Request& req) {
  req.query.only({});
  req.now();
  const auto s = tenant_source(app, req, source_id(req));
  if (!s) throw no_source();
  std::string body;
  JsonWriter w(body);
  w.begin_object().key("status").string("success").key("source");
  write_source(w, app, *s);
  w.end_object();
  co_return json_response(200, std::move(body));
}

asio::awaitable<Reply> delete_source(App& app, Request& req) {
  req.query.only({});
  const std::string id = source_id(req);
  if (!tenant_source(app, req, id)) throw no_source();
  bool found = false;
  write_beside_log(app, [&](lmdb::Txn& txn) {
    const auto s = sources_of(app).find(txn, id);
    found = s && s->tenant == req.principal.tenant && sources_of(app).remove(txn, id);
  });
  if (!found) throw no_source();
  if (app.hooks) app.hooks->forget(req.principal.tenant, id);
  co_return json_response(200, R"({"status":"success"})");
}

}  // namespace

void add_source_routes(Router& r) {
  using V = bhttp::verb;
  r.add(V::get, "/v1/sources", Dialect::native, "admin", list_sources);
  r.add(V::put, "/v1/sources/{source_id}", Dialect::native, "admin", put_source);
  r.add(V::get, "/v1/sources/{source_id}", Dialect::native, "admin", get_source);
  r.add(V::delete_, "/v1/sources/{source_id}", Dialect::native, "admin", delete_source);
}

}  // namespace eventsd::http
