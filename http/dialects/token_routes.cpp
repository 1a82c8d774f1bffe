// Tokens of the caller's tenant, for the console and for scripts with an admin token
// (docs/api.md "Tokens"): GET /v1/tokens, POST /v1/tokens, DELETE /v1/tokens/{id}. A secret is
// shown once, in the answer that creates it.

#include "common/json_writer.h"
#include "common/text.h"
#include "http/api/auth.h"
#include "http/api/router.h"
#include "http/dialects/routes.h"

namespace eventsd::http {

namespace asio = boost::asio;

namespace {

void write_token(JsonWriter& w, const TokenInfo& t) {
  w.begin_object().key("id").string(t.id).key("scopes").begin_array();
  for (const auto& s : t.scopes) w.string(s);
  w.end_array();
  w.key("publishable").boolean(t.publishable);
  w.key("origins").begin_array();
  for (const auto& o : t.origins) w.string(o);
  w.end_array();
  w.key("created_at").string(format_iso8601_ms(t.created_at));
  w.end_object();
}

asio::awaitable<Reply> list_tokens(App& app, Request& req) {
  req.query.only({});
  std::vector<TokenInfo> tokens;
  {
    auto snapshot = app.store.read();
    tokens = app.tokens.list(snapshot.txn());
  }
  std::string body;
  JsonWriter w(body);
  w.begin_object().key("status").string("success").key("tokens").begin_array();
  for (const auto& t : tokens) {
    if (t.tenant == req.principal.tenant) write_token(w, t);
  }
  w.end_array().end_object();
  co_return json_response(200, std::move(body));
}

// An array of strings; how many, and what they may be, TokenStore checks (accounts/tokens.h).
std::vector<std::string> strings(const JsonValue& obj, std::string_view name, std::size_t max_items,
                                 std::size_t max_bytes) {
  std::vector<std::string> out;
  const JsonValue* v = obj.find(name);
  if (!v) return out;
  const std::string field(name);
  if (!v->is_array() || v->items().size() > max_items) {
    throw bad_param(field, field + " must be an array of at most " + std::to_string(max_items) + " strings");
  }
  for (const auto& s : v->items()) {
    if (!s.is_string() || s.get_string().size() > max_bytes) {
      throw bad_param(field, field + " must be an array of strings of at most " + std::to_string(max_bytes) + " bytes");
    }
    // Stored text an operator lists (eventctl token list): never a control character.
    if (has_control_characters(s.get_string())) {
      throw bad_param(std::string(name) + "[" + std::to_string(out.size()) + "]",
                      std::string(name) + " must not hold control characters");
    }
    out.emplace_back(s.get_string());
  }
  return out;
}

double rate(const JsonValue& obj, std::string_view name) {
  const JsonValue* v = obj.find(name);
  if (!v || v->is_null()) return 0;
  const auto n = v->to_double();  // exact (json_reader.h)
  if (!n) throw bad_param(std::string(name), std::string(name) + " must be a number");
  return *n;
}

// {"scopes":[...]} for a token, or {"publishable":true,"origins":[...],"rate","address_rate"}.
asio::awaitable<Reply> create_token(App& app, Request& req) {
  req.query.only({});
  const JsonValue body = object_body(req, {"scopes", "publishable", "origins", "rate", "address_rate"});
  bool publishable = false;
  if (const JsonValue* p = body.find("publishable"); p && !p->is_null()) {
    if (!p->is_bool()) throw bad_param("publishable", "publishable must be true or false");
    publishable = p->get_bool();
  }
  std::string secret;
  try {
    if (publishable) {
      if (body.find("scopes")) throw bad_param("scopes", "a publishable key has the events:write scope only");
      PublishableSpec spec{strings(body, "origins", kMaxOrigins, kMaxOriginBytes), rate(body, "rate"),
                           rate(body, "address_rate")};
      write_beside_log(app, [&](lmdb::Txn& txn) {
        secret = app.tokens.create_publishable(txn, req.principal.tenant, spec);
      });
    } else {
      if (body.find("origins")) throw bad_param("origins", "origins are for publishable keys");
      if (body.find("rate") || body.find("address_rate")) {
        throw bad_param(body.find("rate") ? "rate" : "address_rate", "rates are for publishable keys");
      }
      const auto scopes = strings(body, "scopes", std::size(kScopes), 64);
      write_beside_log(app, [&](lmdb::Txn& txn) {
        secret = app.tokens.create(txn, req.principal.tenant, scopes);
      });
    }
  } catch (const InvalidTokenField& e) {
    throw bad_param(e.field, e.what());
  }
  std::optional<TokenInfo> info;
  {
    auto snapshot = app.store.read();
    info = app.tokens.find(snapshot.txn(), secret);
  }
  if (!info) throw ApiError(500, "internal_error", "the token was created but cannot be read back");
  std::string out;
  JsonWriter w(out);
  w.begin_object().key("status").string("success").key("secret").string(secret).key("token");
  write_token(w, *info);
  w.end_object();
  co_return json_response(201, std::move(out));
}

asio::awaitable<Reply> revoke_token(App& app, Request& req) {
  req.query.only({});
  const std::string& id = path_id(req, "not_found", "no token with this id");
  bool found = false;
  {
    auto snapshot = app.store.read();
    for (const auto& t : app.tokens.list(snapshot.txn())) {
      if (t.id == id && t.tenant == req.principal.tenant) found = true;
    }
  }
  if (!found) throw ApiError(404, "not_found", "no token with this id");
  write_beside_log(app, [&](lmdb::Txn& txn) { found = app.tokens.revoke(txn, id); });
  if (!found) throw ApiError(404, "not_found", "no token with this id");
  co_return json_response(200, R"({"status":"success"})");
}

}  // namespace

void add_token_routes(Router& r) {
  using V = bhttp::verb;
  r.add(V::get, "/v1/tokens", Dialect::native, "admin", list_tokens);
  r.add(V::post, "/v1/tokens", Dialect::native, "admin", create_token);
  r.add(V::delete_, "/v1/tokens/{id}", Dialect::native, "admin", revoke_token);
}

}  // namespace eventsd::http
