// Who may call a route, and how (docs/api.md "Authentication"):
//  * a bearer token (Authorization: Bearer ...) on every route that needs a scope;
//  * a publishable key (Authorization: Bearer edp_..., or ?key=edp_... so that a page can send
//    CORS-simple requests and beacons) on the browser ingest routes only, from one of its origins,
//    with only the fields a browser may set, rate-limited per key and per client address;
//  * a console session (the eventsd_session cookie) on the native, organizational-unit and
//    workspace routes, with the active tenant (seeds 000/002's "active organizational unit") as
//    the request's tenant and CSRF protection (Origin check plus the session's
//    X-CSRF-Token) on every state-changing request.
// authenticate() decides; the router calls it where a route needs a scope. Failures are thrown as
// ApiError and rendered in the route's dialect like any other.
//
// Thread safety: authenticate() and the functions below run on any I/O thread at once; Auth's
// limiters and its pool are thread-safe, its UserStore follows its own header.
#pragma once

#include <algorithm>
#include <functional>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/time.h"
#include "accounts/tokens.h"
#include "accounts/users.h"
#include "http/api/api.h"
#include "http/api/rate_limit.h"
#include "http/api/router.h"
#include "http/api/work_pool.h"

namespace eventsd::http {

inline constexpr std::string_view kSessionCookie = "eventsd_session";
inline constexpr std::string_view kCsrfHeader = "X-CSRF-Token";

// A password check: whether `password` matches the stored `hash` (accounts/passwords.h).
using PasswordCheck = std::function<bool(std::string_view hash, std::string_view password)>;

struct AuthOptions {
  Millis session_lifetime = 12 * 3600 * 1000;  // absolute: a session ends this long after login
  double publishable_rate = 50;                // requests/s per publishable key (key's own wins)
  double publishable_address_rate = 10;        // requests/s per client address and key
  double login_burst = 10;                     // logins per client address and e-mail in a burst,
  double login_rate = 0.2;                     // then one every 5 s
  double login_address_burst = 20;             // logins per client address, any e-mails, in a burst,
  double login_address_rate = 0.5;             // then one every 2 s
  TokenBuckets::Bounds limits;                 // the limiters' tables (eventsd --limiter-*-buckets)
  std::size_t login_threads = 0;               // password checks at once, each on a worker (64 MiB);
                                               // 0: one per four cores, at least one
  std::size_t login_queue = 32;                // checks waiting for a worker; more: 503
  PasswordCheck check_password = verify_password;  // what a worker runs (tests pass a gate)
  // The console's origin is https://<Host> only; with this, http://<Host> too when Host is a
  // loopback address (127.0.0.0/8, [::1], localhost): a developer's machine without TLS
  // (eventsd --console-http-loopback).
  bool console_http_loopback = false;
  // The origins of web apps that may use a session on the workspace routes (seed 004's web app
  // on an origin of its own), each web_app_origin()-normalized (eventsd --console-origins).
  // When there are any, the session cookie is SameSite=None (docs/security.md, "Web apps on other
  // origins").
  std::vector<std::string> web_app_origins;
};

// The server's authentication state. Owned by main(); outlives the server.
class Auth {
 public:
  Auth(UserStore& users, AuthOptions options, const Clock& clock = system_clock())
      : users(users), options(std::move(options)), key_limiter(clock, this->options.limits),
        login_limiter(clock, this->options.limits),
        password_checks(this->options.login_threads ? this->options.login_threads
                                                    : std::max(1u, std::thread::hardware_concurrency() / 4),
                        this->options.login_queue),
        dummy_hash(hash_password("not a password")) {}
  UserStore& users;
  const AuthOptions options;
  // Publishable keys: owner the key's tenant, group the key, with the key's own bucket ("") and
  // one per client address.
  TokenBuckets key_limiter;
  // Logins: owner the server (""), group the client address, with the address's own bucket ("")
  // and one per e-mail tried from it (slows password guessing without letting a stranger lock
  // a user out: the user's own address has its own buckets).
  TokenBuckets login_limiter;
  WorkPool password_checks;  // Argon2id, off the I/O threads
  // Checked when the e-mail is unknown, so that a failed login takes as long either way.
  const std::string dummy_hash;
};

// What authentication learnt about a request, for the CORS headers of its answer (cors.h).
struct Access {
  const Route* route = nullptr;  // null: no route matched
  std::optional<TokenInfo> key;  // the publishable key that authenticated it
};

// The request's client address, as per-address limits key it (client_address.h), with the
// app's trusted proxies.
std::string client_address(const App& app, const Request& request);

// Checks the request's credentials against what `route` needs and sets request.principal.
// Throws ApiError (401, 403, 400 for a field a browser may not set, 429).
void authenticate(App& app, const Route& route, Request& request, Access& access);

// The routes a publishable key may call: POST /v1/events and POST /v1/identify.
bool accepts_publishable(const Route& route);
// The routes a console session may call: the native, organizational-unit and workspace dialects.
bool accepts_session(const Route& route);

// Whether the request's `Authorization: Bearer <token>` names `secret` (compared in constant
// time): a secret that is not a stored token (eventsd --metrics-token-file).
bool bearer_is(const RawRequest& raw, std::string_view secret);

// The request's Origin header, normalized; nullopt when absent or not an origin.
std::optional<std::string> request_origin(const RawRequest& raw);
// Whether `origin` is the console's own: https://<Host> (eventsd sits behind a TLS proxy that
// passes the browser's Host on), or, when `http_loopback`, http://<Host> with Host a loopback
// address. The second form reads the flag from app.auth (none: https only).
bool is_console_origin(const RawRequest& raw, std::string_view origin, bool http_loopback);
bool is_console_origin(const App& app, const RawRequest& raw, std::string_view origin);
// `text` as an entry of --console-origins: normalized (normalize_origin), and https, or http
// with a loopback host (over plain http anyone on the way could act as the app); nullopt else.
std::optional<std::string> web_app_origin(std::string_view text);
// Whether a page of `origin` may use a session on a route of `dialect`: the console's own origin
// on every session route, and the web apps' origins (AuthOptions::web_app_origins) on the
// workspace routes (`/api/...`, the session's own routes included). What the CSRF check, the
// login's Origin check and the credentialed CORS answers ask.
bool is_session_origin(const App& app, const RawRequest& raw, std::string_view origin, Dialect dialect);

// The value of cookie `name` in the request's Cookie headers.
std::optional<std::string_view> cookie(const RawRequest& raw, std::string_view name);

// The live session the request's cookie names, with its user (nullopt: none, expired, revoked,
// or the user is gone).
struct SessionContext {
  std::string secret;
  SessionInfo session;
  UserInfo user;
};
std::optional<SessionContext> current_session(App& app, const RawRequest& raw);
// The scopes a console role grants: admin every tenant scope, member all but admin; neither
// the operator scope (console users belong to tenants).
bool role_grants(std::string_view role, std::string_view scope);
// Throws 403 csrf_failed unless a state-changing request to a route of `dialect` comes from an
// origin that may use the session there (is_session_origin) with the session's CSRF token. Safe
// methods (GET, HEAD, OPTIONS) pass.
void check_csrf(const App& app, const RawRequest& raw, const SessionInfo& session, Dialect dialect);

// Runs f(txn) in a write transaction beside the log (sessions, tokens) from a request handler.
// On one node: in the log's environment, which LMDB serialises with the writer's; a full volume
// is 507 storage_full, as for events. In cluster mode (App::accounts set): through it, so that
// every node gets the change; it returns once this node applied it (503 when it was not taken in
// time).
void write_beside_log(App& app, const std::function<void(lmdb::Txn&)>& f);

}  // namespace eventsd::http
