// Console sessions (docs/api.md "Sessions"): POST /api/auth/login, POST /api/auth/logout,
// GET /api/auth/session, POST /api/auth/tenant (switch the active tenant).
#include <boost/beast/http/field.hpp>

#include "common/json_writer.h"
#include "http/api/auth.h"
#include "http/api/router.h"
#include "http/dialects/routes.h"

namespace eventsd::http {

namespace asio = boost::asio;

namespace {

Auth& need_auth(App& app) {
  if (!app.auth) throw ApiError(404, "not_found", "this server has no console users");
  return *app.auth;
}

// The cookie. Secure is always set: browsers keep Secure cookies from http://localhost and
// http://127.0.0.1 (potentially trustworthy origins), so local development works over plain
// http, and anywhere else the console must be served over HTTPS. SameSite=Lax, unless web apps
// on other origins were named (--console-origins): a browser sends a Lax cookie on no cross-site
// fetch, so such an app could never use its session; the Origin check and the CSRF token never
// relied on SameSite (docs/security.md, "Web apps on other origins").
std::string session_cookie(const Auth& auth, std::string_view secret, Millis max_age_ms) {
  std::string out(kSessionCookie);
  out.append("=").append(secret).append("; Path=/; Max-Age=").append(std::to_string(max_age_ms / 1000));
  out.append(auth.options.web_app_origins.empty() ? "; HttpOnly; Secure; SameSite=Lax" : "; HttpOnly; Secure; SameSite=None");
  return out;
}

Response session_response(const SessionInfo& s, const UserInfo& user) {
  std::string body;
  JsonWriter w(body);
  w.begin_object().key("status").string("success");
  w.key("user").begin_object().key("id").string(user.id).key("email").string(user.email);
  w.key("role").string(user.role).key("tenants").begin_array();
  for (const auto& t : user.tenants) w.string(t);
  w.end_array().end_object();
  w.key("tenant").string(s.tenant);
  w.key("csrf_token").string(s.csrf);
  w.key("expires_at").string(format_iso8601_ms(s.expires_at));
  w.end_object();
  Response res = json_response(200, std::move(body));
  res.set(bhttp::field::cache_control, "no-store");
  return res;
}

// A string field of a JSON object body: required or optional, 1..max bytes.
std::optional<std::string> string_field(const JsonValue& obj, std::string_view name, bool required,
                                        std::size_t max) {
  auto* v = obj.find(name);
  if (!v || v->is_null()) {
    if (required) throw bad_param(std::string(name), std::string(name) + " is required");
    return std::nullopt;
  }
  if (!v->is_string() || v->get_string().empty() || v->get_string().size() > max) {
    throw bad_param(std::string(name), std::string(name) + " must be a string of 1-" + std::to_string(max) + " bytes");
  }
  return std::string(v->get_string());
}

ApiError too_many_logins(unsigned wait, const char* message) {
  ApiError limited(429, "rate_limited", message);
  limited.retry_after = wait;
  return limited;
}

ApiError checks_busy() {
  ApiError busy(503, "unavailable", "too many logins at once; retry shortly");
  busy.retry_after = 1;
  return busy;
}

asio::awaitable<Reply> login(App& app, Request& req) {
  Auth& auth = need_auth(app);
  req.query.only({});
  // Login CSRF: a form on another site must not log the browser into an account of its choosing.
  if (req.raw.find(bhttp::field::origin) != req.raw.end()) {
    auto origin = request_origin(req.raw);
    if (!origin || !is_session_origin(app, req.raw, *origin, Dialect::workspace)) {
      throw ApiError(403, "csrf_failed", "log in from the console's own origin (or a web app's: --console-origins)");
    }
  }
  // A full queue is answered before anything else is done: a flood of logins costs little more.
  if (auth.password_checks.full()) throw checks_busy();
  const JsonValue body = object_body(req, {"email", "password", "tenant"});
  const std::string email = *string_field(body, "email", true, 254);
  std::string password = *string_field(body, "password", true, kMaxPasswordBytes);
  const auto tenant = string_field(body, "tenant", false, 64);

  // Slowed per client address, and per address and e-mail: one address cannot guess across many
  // e-mails, and a stranger's guesses at a user's e-mail do not lock the user out of their own.
  const auto& o = auth.options;
  const std::string address = client_address(app, req);
  if (auto wait = auth.login_limiter.take("", address, "", o.login_address_rate, o.login_address_burst)) {
    throw too_many_logins(*wait, "too many logins from this address; retry later");
  }
  if (auto wait = auth.login_limiter.take("", address, lower_ascii(email), o.login_rate, o.login_burst)) {
    throw too_many_logins(*wait, "too many logins for this e-mail; retry later");
  }
  std::optional<UserInfo> user;
  {
    auto snapshot = app.store.read();
    user = auth.users.find_user(snapshot.txn(), email);
  }
  // The check runs on a worker; this I/O thread serves other requests meanwhile.
  auto check = [&auth, hash = user ? user->password_hash : auth.dummy_hash, password = std::move(password)] {
    return auth.options.check_password(hash, password);
  };
  const std::optional<bool> ok = co_await auth.password_checks.run(std::move(check));
  if (!ok) throw checks_busy();
  if (!*ok) user.reset();
  if (!user) throw ApiError(401, "invalid_credentials", "wrong e-mail or password");
  const std::string active = tenant.value_or(user->tenants.front());
  if (!user->has_tenant(active)) throw ApiError(403, "insufficient_permissions", "no access to tenant " + active);

  const Millis now = app.clock->now_millis();
  SessionInfo session;
  std::string secret;
  write_beside_log(app, [&](lmdb::Txn& txn) {
    auth.users.purge_expired(txn, now);
    secret = auth.users.create_session(txn, *user, active, now, auth.options.session_lifetime, &session);
  });
  Response res = session_response(session, *user);
  res.set(bhttp::field::set_cookie, session_cookie(auth, secret, auth.options.session_lifetime));
  co_return res;
}

asio::awaitable<Reply> logout(App& app, Request& req) {
  Auth& auth = need_auth(app);
  req.query.only({});
  if (auto ctx = current_session(app, req.raw)) {
    check_csrf(app, req.raw, ctx->session, Dialect::workspace);
    write_beside_log(app, [&](lmdb::Txn& txn) { auth.users.delete_session(txn, ctx->secret); });
  }
  Response res = json_response(200, R"({"status":"success"})");
  res.set(bhttp::field::set_cookie, session_cookie(auth, "", 0));
  co_return res;
}

SessionContext need_session(App& app, const Request& req) {
  need_auth(app);
  auto ctx = current_session(app, req.raw);
  if (!ctx) throw ApiError(401, "unauthorized", "not logged in, or the session expired or was ended");
  return std::move(*ctx);
}

asio::awaitable<Reply> get_session(App& app, Request& req) {
  req.query.only({});
  const auto ctx = need_session(app, req);
  co_return session_response(ctx.session, ctx.user);
}

asio::awaitable<Reply> switch_tenant(App& app, Request& req) {
  req.query.only({});
  auto ctx = need_session(app, req);
  check_csrf(app, req.raw, ctx.session, Dialect::workspace);
  const JsonValue body = object_body(req, {"tenant"});
  const std::string tenant = *string_field(body, "tenant", true, 64);
  if (!ctx.user.has_tenant(tenant)) throw ApiError(403, "insufficient_permissions", "no access to tenant " + tenant);
  bool live = false;
  write_beside_log(app, [&](lmdb::Txn& txn) {
    live = app.auth->users.set_session_tenant(txn, ctx.secret, tenant);
  });
  if (!live) throw ApiError(401, "unauthorized", "the session ended");
  ctx.session.tenant = tenant;
  co_return session_response(ctx.session, ctx.user);
}

}  // namespace

void add_console_login_routes(Router& r) {
  using V = bhttp::verb;
  r.add(V::post, "/api/auth/login", Dialect::workspace, "", login);
  r.add(V::post, "/api/auth/logout", Dialect::workspace, "", logout);
  r.add(V::get, "/api/auth/session", Dialect::workspace, "", get_session);
  r.add(V::post, "/api/auth/tenant", Dialect::workspace, "", switch_tenant);
}

}  // namespace eventsd::http
