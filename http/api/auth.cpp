#include "http/api/auth.h"

#include "http/api/rate_limit.h"

#include <openssl/crypto.h>

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>

namespace eventsd::http {

namespace json = boost::json;

namespace {

// "Bearer <token>": the scheme in any case, then spaces or tabs (RFC 9110 §11.1).
std::optional<std::string_view> bearer_token(const RawRequest& raw) {
  auto it = raw.find(bhttp::field::authorization);
  if (it == raw.end()) return std::nullopt;
  std::string_view v = it->value();
  constexpr std::string_view scheme = "bearer";
  if (v.size() <= scheme.size() || !boost::beast::iequals(v.substr(0, scheme.size()), scheme) ||
      (v[scheme.size()] != ' ' && v[scheme.size()] != '\t')) {
    return std::nullopt;
  }
  v.remove_prefix(scheme.size());
  auto blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!v.empty() && blank(v.front())) v.remove_prefix(1);
  while (!v.empty() && blank(v.back())) v.remove_suffix(1);
  if (v.empty()) return std::nullopt;
  return v;
}

ApiError unauthorized(Dialect dialect, std::string message) {
  return ApiError(401, dialect == Dialect::campaign ? "invalid_key" : "unauthorized", std::move(message));
}

ApiError limited(unsigned wait) {
  ApiError e(429, "rate_limited", "rate limit exceeded; retry later");
  e.retry_after = wait;
  return e;
}

// Rate limits are taken where a request arrives: a write forwarded to its shard's owner (cluster
// mode) was counted by the node that forwarded it.
bool counted_elsewhere(const Request& req) { return req.forwarded_by.has_value(); }

void take_token_rate(App& app, const Request& req, const std::string& id) {
  if (!app.limiter || counted_elsewhere(req)) return;
  if (auto wait = app.limiter->take(req.principal.tenant, id)) throw limited(*wait);
}

bool is_safe_method(bhttp::verb v) {
  return v == bhttp::verb::get || v == bhttp::verb::head || v == bhttp::verb::options;
}

// The origin of an absolute URL (its scheme and authority), normalized.
std::optional<std::string> origin_of_url(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || !parsed->has_authority()) return std::nullopt;
  return normalize_origin(std::string(parsed->scheme()) + "://" + std::string(parsed->encoded_authority()));
}

constexpr Millis kBrowserPast = 7 * kMillisPerDay;  // a queued event may wait this long
constexpr Millis kBrowserFuture = 10 * 60 * 1000;   // clock skew

// One event object from a browser: only the fields a page may set (docs/api.md).
void check_browser_event(const json::object& e, const std::string& path, std::string_view origin,
                         Millis received_at) {
  for (const char* refused : {"created_at", "campaign_id", "step_id", "email"}) {
    if (e.contains(refused)) {
      throw bad_param(path + refused, std::string("a publishable key may not set ") + refused);
    }
  }
  if (auto* ts = e.if_contains("timestamp"); ts && ts->is_string()) {
    if (auto t = parse_iso8601(ts->get_string()); t && (*t < received_at - kBrowserPast || *t > received_at + kBrowserFuture)) {
      throw bad_param(path + "timestamp",
                      "a publishable key may set a timestamp from 7 days before to 10 minutes after now");
    }
  }
  if (auto* url = e.if_contains("url"); url && url->is_string() && !url->get_string().empty()) {
    if (origin_of_url(url->get_string()) != origin) {
      throw bad_param(path + "url", "a publishable key may only send urls of the page's own origin");
    }
  }
}

void check_browser_body(const Route& route, const Request& req, std::string_view origin) {
  if (route.name != "POST /v1/events") return;
  boost::system::error_code ec;
  const json::value body = json::parse(req.raw.body(), ec);
  if (ec || !body.is_object()) return;  // the handler answers malformed bodies
  const auto& obj = body.get_object();
  if (auto* batch = obj.if_contains("batch"); batch && batch->is_array()) {
    std::size_t i = 0;
    for (const auto& e : batch->get_array()) {
      if (e.is_object()) check_browser_event(e.get_object(), "batch[" + std::to_string(i) + "].", origin, req.received_at);
      ++i;
    }
    return;
  }
  check_browser_event(obj, "", origin, req.received_at);
}

void as_publishable(App& app, const Route& route, Request& req, const TokenInfo& key, Access& access) {
  access.key = key;
  if (!accepts_publishable(route)) {
    throw ApiError(403, "insufficient_permissions",
                   "a publishable key may only send events (POST /v1/events) and identify contacts "
                   "(POST /v1/identify)");
  }
  const auto origin = request_origin(req.raw);
  if (!origin || !key.allows_origin(*origin)) {
    throw ApiError(403, "origin_not_allowed",
                   origin ? "this publishable key is not allowed from origin " + *origin
                          : "a publishable key is accepted only from a web page on one of its origins "
                            "(the Origin header)");
  }
  if (Auth* auth = app.auth; auth && !counted_elsewhere(req)) {
    // In the key's tenant's table: a flood through one tenant's key never evicts another's.
    const auto& o = auth->options;
    if (auto wait = auth->key_limiter.take(key.tenant, key.id, "", key.rate > 0 ? key.rate : o.publishable_rate)) {
      throw limited(*wait);
    }
    const double rate = key.address_rate > 0 ? key.address_rate : o.publishable_address_rate;
    if (auto wait = auth->key_limiter.take(key.tenant, key.id, client_address(app, req), rate)) throw limited(*wait);
  }
  check_browser_body(route, req, *origin);
  req.principal = {key.id, key.tenant, true};
}

// Whether a normalized origin's host is a loopback address: 127.0.0.0/8, [::1] or localhost.
bool is_loopback_origin(std::string_view origin) {
  auto url = boost::urls::parse_absolute_uri(origin);
  if (!url) return false;
  switch (url->host_type()) {
    case boost::urls::host_type::ipv4: return url->host_ipv4_address().to_bytes()[0] == 127;
    case boost::urls::host_type::ipv6: return url->host_ipv6_address().is_loopback();
    case boost::urls::host_type::name: return url->encoded_host() == "localhost";
    default: return false;
  }
}

}  // namespace

bool bearer_is(const RawRequest& raw, std::string_view secret) {
  const auto token = bearer_token(raw);
  return token && token->size() == secret.size() && CRYPTO_memcmp(token->data(), secret.data(), secret.size()) == 0;
}

std::string client_address(const App& app, const Request& request) {
  return client_address(request.raw, request.peer, app.options.trusted_proxies);
}

bool accepts_publishable(const Route& route) {
  return route.name == "POST /v1/events" || route.name == "POST /v1/identify";
}

bool accepts_session(const Route& route) {
  return route.dialect == Dialect::native || route.dialect == Dialect::workspace || route.dialect == Dialect::org_unit;
}

std::optional<std::string> request_origin(const RawRequest& raw) {
  auto it = raw.find(bhttp::field::origin);
  if (it == raw.end()) return std::nullopt;
  return normalize_origin(it->value());
}

bool is_console_origin(const RawRequest& raw, std::string_view origin, bool http_loopback) {
  auto host = raw.find(bhttp::field::host);
  if (host == raw.end() || host->value().empty()) return false;
  const std::string h(host->value());
  if (normalize_origin("https://" + h) == origin) return true;
  return http_loopback && normalize_origin("http://" + h) == origin && is_loopback_origin(origin);
}

bool is_console_origin(const App& app, const RawRequest& raw, std::string_view origin) {
  return is_console_origin(raw, origin, app.auth && app.auth->options.console_http_loopback);
}

std::optional<std::string> web_app_origin(std::string_view text) {
  auto origin = normalize_origin(text);
  if (!origin || (!origin->starts_with("https://") && !is_loopback_origin(*origin))) return std::nullopt;
  return origin;
}

bool is_session_origin(const App& app, const RawRequest& raw, std::string_view origin, Dialect dialect) {
  if (is_console_origin(app, raw, origin)) return true;
  if (dialect != Dialect::workspace || !app.auth) return false;
  const auto& apps = app.auth->options.web_app_origins;
  return std::find(apps.begin(), apps.end(), origin) != apps.end();
}

std::optional<std::string_view> cookie(const RawRequest& raw, std::string_view name) {
  for (auto [it, end] = raw.equal_range(bhttp::field::cookie); it != end; ++it) {
    std::string_view v = it->value();
    while (!v.empty()) {
      auto end = v.find(';');
      std::string_view pair = v.substr(0, end);
      v = end == std::string_view::npos ? std::string_view() : v.substr(end + 1);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      const auto eq = pair.find('=');
      if (eq != std::string_view::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
    }
  }
  return std::nullopt;
}

std::optional<SessionContext> current_session(App& app, const RawRequest& raw) {
  if (!app.auth) return std::nullopt;
  auto secret = cookie(raw, kSessionCookie);
  if (!secret || secret->empty() || secret->size() > 128) return std::nullopt;
  auto snapshot = app.store.read();
  auto session = app.auth->users.find_session(snapshot.txn(), *secret, app.clock->now_millis());
  if (!session) return std::nullopt;
  auto user = app.auth->users.find_user(snapshot.txn(), session->email);
  if (!user || user->id != session->user_id) return std::nullopt;
  return SessionContext{std::string(*secret), std::move(*session), std::move(*user)};
}

bool role_grants(std::string_view role, std::string_view scope) {
  if (!is_known_scope(scope)) return false;
  if (role == "admin") return true;
  return role == "member" && scope != "admin";
}

void check_csrf(const App& app, const RawRequest& raw, const SessionInfo& session, Dialect dialect) {
  if (is_safe_method(raw.method())) return;
  // The Origin header (every browser sends it on these methods), else the Referer's origin.
  std::optional<std::string> origin = request_origin(raw);
  if (!origin) {
    if (auto ref = raw.find(bhttp::field::referer); ref != raw.end()) origin = origin_of_url(ref->value());
  }
  if (!origin || !is_session_origin(app, raw, *origin, dialect)) {
    throw ApiError(403, "csrf_failed", "a cookie-authenticated change must come from the console's own origin"
                                       " (or, on the workspace routes, a web app's: --console-origins)");
  }
  auto token = raw.find(kCsrfHeader);
  if (token == raw.end() || token->value().size() != session.csrf.size() ||
      CRYPTO_memcmp(token->value().data(), session.csrf.data(), session.csrf.size()) != 0) {
    throw ApiError(403, "csrf_failed", "missing or wrong X-CSRF-Token header");
  }
}

void authenticate(App& app, const Route& route, Request& request, Access& access) {
  const RawRequest& raw = request.raw;
  if (auto token = bearer_token(raw)) {
    std::optional<TokenInfo> info;
    {
      auto snapshot = app.store.read();
      info = app.tokens.find(snapshot.txn(), *token);
    }
    if (!info) throw unauthorized(route.dialect, "unknown or revoked token");
    if (info->publishable) return as_publishable(app, route, request, *info, access);
    if (!info->has_scope(route.scope)) {
      throw ApiError(403, "insufficient_permissions", "this token lacks the " + route.scope + " scope");
    }
    request.principal = {info->id, info->tenant};
    request.credential = {Credential::Kind::token, std::string(*token), info->tenant, route.scope};
    take_token_rate(app, request, info->id);
    return;
  }
  if (accepts_publishable(route)) {
    // Taken out of the query: the handlers accept only their own parameters.
    if (auto key = request.query.take("key")) {
      std::optional<TokenInfo> info;
      {
        auto snapshot = app.store.read();
        info = app.tokens.find(snapshot.txn(), *key);
      }
      if (!info) throw unauthorized(route.dialect, "unknown or revoked key");
      if (!info->publishable) {
        throw unauthorized(route.dialect, "only a publishable key may be given as ?key=; send tokens in "
                                          "the Authorization header");
      }
      return as_publishable(app, route, request, *info, access);
    }
  }
  if (accepts_session(route) && cookie(raw, kSessionCookie)) {
    auto ctx = current_session(app, raw);
    if (!ctx) throw unauthorized(route.dialect, "the session expired or was ended; log in again");
    if (!role_grants(ctx->user.role, route.scope)) {
      throw ApiError(403, "insufficient_permissions", "your role lacks the " + route.scope + " scope");
    }
    check_csrf(app, raw, ctx->session, route.dialect);
    std::string tenant = ctx->session.tenant;
    // Seed 004's routes name the workspace: any of the user's tenants.
    if (route.dialect == Dialect::workspace && !request.captures.empty() &&
        ctx->user.has_tenant(request.captures[0])) {
      tenant = request.captures[0];
    }
    if (!ctx->user.has_tenant(tenant)) throw ApiError(403, "insufficient_permissions", "no access to this tenant");
    request.principal = {ctx->user.id, tenant};
    request.credential = {Credential::Kind::session, ctx->secret, tenant, route.scope, ctx->session.expires_at};
    take_token_rate(app, request, ctx->user.id);
    return;
  }
  throw unauthorized(route.dialect, "missing bearer token");
}

void write_beside_log(App& app, const std::function<void(lmdb::Txn&)>& f) {
  try {
    if (app.accounts) {
      app.accounts->write(f);
    } else {
      app.store.write(f);
    }
  } catch (const lmdb::Error& e) {
    if (!e.map_full() && e.code() != ENOSPC && e.code() != EDQUOT && e.code() != EFBIG && !app.store.out_of_space()) throw;
    throw ApiError(507, "storage_full", "the data volume is full; nothing was recorded");
  }
}

}  // namespace eventsd::http
