// The router's one path through a request: the target parsed, the route matched, the caller
// authenticated, then what a route's request waits for or where it goes (min_position, the
// tenant's owner, the writer's room), conditional GET, the handler, and every failure rendered as
// the JSON error of the dialect.
#include "http/api/router.h"

#include "http/api/auth.h"
#include "http/api/cors.h"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "http/api/conditional_get.h"
#include "http/api/view.h"

namespace eventsd::http {

namespace {

// The decoded path segments of an origin-form target, with trailing slashes dropped ("/events/"
// is "/events"; "/" is no segment at all).
std::vector<std::string> path_of(const boost::urls::url_view& target) {
  std::vector<std::string> path;
  for (auto seg : target.segments()) path.push_back(seg);
  while (!path.empty() && path.back().empty()) path.pop_back();
  return path;
}

// The request's path and query parameters, from its target; 400 when it is not a valid path.
void read_target(Request& request) {
  auto target = boost::urls::parse_origin_form(request.raw.target());
  if (!target) throw ApiError(400, "invalid_request", "the request target is not a valid path");
  request.path = path_of(*target);
  for (auto param : target->params()) {
    if (param.key.empty() && !param.has_value) continue;  // "?" alone, or "&&"
    request.query.add(param.key, param.has_value ? param.value : std::string());
  }
}

// What every answer gets: Date, and on a route, its name (for the metrics) and the Cache-Control
// of token-protected routes unless the handler set one.
Reply finish(Reply reply, const Request& request, const Route* route) {
  Response& res = reply.response;
  res.set(bhttp::field::date, format_http_date(request.received_at));
  if (route) {
    reply.route = route->name;
    if (!route->scope.empty() && res.find(bhttp::field::cache_control) == res.end()) {
      const bool fresh = res.result_int() < 300 && route->method == bhttp::verb::get;
      res.set(bhttp::field::cache_control, fresh ? "private, no-cache" : "no-store");
    }
  }
  // (HEAD gets GET's answer: the server sends its header alone, with the length GET's body has.)
  return reply;
}

// The answer when no route of the request's method matches its path: 404 (thrown) when no
// pattern does, the CORS preflight for OPTIONS, else 405 with the pattern's methods in Allow.
Reply unmatched(App& app, const RawRequest& raw, const RouteMatch& match, Dialect dialect) {
  if (!match.path_known) throw ApiError(404, "not_found", "no such route");
  if (raw.method() == bhttp::verb::options) return preflight(app, raw, match.at_path, dialect);
  Response res = error_response(dialect, ApiError(405, "method_not_allowed", "method not allowed on this route"));
  res.set(bhttp::field::allow, match.allow);
  return Reply(std::move(res));
}

// Cluster mode: whether the request writes to the log of a tenant whose shard another node owns
// (that node decides; its answer is relayed).
bool decided_elsewhere(const App& app, const Route& route, const Request& request) {
  return route.writes_log && app.routing && !app.routing->decides(request.principal.tenant);
}

// Whether the route reads or writes one tenant's log: it needs a token, of a tenant.
bool tenant_route(const Route& route) { return !route.scope.empty() && !route.spans_tenants(); }

// Whether the request is authenticated before its handler runs: on a route that needs a token
// (one that takes it optionally: when it carries one).
bool needs_authentication(const Route& route, const RawRequest& raw) {
  if (route.scope.empty()) return false;
  return !route.token_optional || raw.find(bhttp::field::authorization) != raw.end();
}

// A write to a writer whose queue is full is refused before its body is parsed: a full queue
// costs the server nothing more.
void check_writer_room(const App& app, const Route& route, const Request& request) {
  if (tenant_route(route) && !app.engine(request.principal.tenant).writer.admits(request.raw.body().size())) {
    throw overloaded();
  }
}

// The 500 of an unexpected failure (a bug), which is logged.
Reply internal_error(const RawRequest& raw, Dialect dialect, const std::exception& e) {
  std::fprintf(stderr, "eventsd: %s %s: %s\n", std::string(raw.method_string()).c_str(),
               std::string(raw.target()).c_str(), e.what());
  return Reply(error_response(dialect, ApiError(500, "internal_error", "internal error")));
}

}  // namespace

Dialect Router::dialect_of(std::string_view target) const {
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) return Dialect::org_unit;
  return dialect_of_path(path_of(*parsed), mounts_);
}

void Router::add(bhttp::verb method, std::string pattern, Dialect dialect, std::string scope,
                 Handler handler) {
  std::string name = std::string(bhttp::to_string(method)) + " " + pattern;
  Route route{method, pattern, dialect, std::move(scope), std::move(handler), pattern_segments(pattern),
              std::move(name)};
  routes_.push_back(std::move(route));
}

void Router::add_log_write(bhttp::verb method, std::string pattern, Dialect dialect, std::string scope,
                           Handler handler) {
  add(method, std::move(pattern), dialect, std::move(scope), std::move(handler));
  routes_.back().writes_log = true;
}

void Router::add_token_optional(bhttp::verb method, std::string pattern, Dialect dialect, std::string scope,
                                Handler handler) {
  add(method, std::move(pattern), dialect, std::move(scope), std::move(handler));
  routes_.back().token_optional = true;
}

void Router::mount(Mount mount) {
  for (const auto& m : mounts_) {
    if (m.prefix == mount.prefix) throw std::invalid_argument("--mount: prefix " + mount.prefix + " is mounted twice");
  }
  mounts_.push_back(std::move(mount));
  // The longest prefix is tried first.
  std::stable_sort(mounts_.begin(), mounts_.end(),
                   [](const Mount& a, const Mount& b) { return a.segments.size() > b.segments.size(); });
}

boost::asio::awaitable<Reply> Router::handle(App& app, const RawRequest& raw,
                                             std::optional<Forwarded> forwarded) const {
  Access access;
  Reply reply = co_await dispatch(app, raw, std::move(forwarded), std::nullopt, access);
  allow_origin(app, raw, access, reply.response);
  co_return reply;
}

boost::asio::awaitable<Reply> Router::handle(App& app, const RawRequest& raw, const boost::asio::ip::address& peer) const {
  Access access;
  Reply reply = co_await dispatch(app, raw, std::nullopt, peer, access);
  allow_origin(app, raw, access, reply.response);
  co_return reply;
}

boost::asio::awaitable<Reply> Router::dispatch(App& app, const RawRequest& raw, std::optional<Forwarded> forwarded,
                                               std::optional<boost::asio::ip::address> peer, Access& access) const {
  Request request{raw, {}, {}, {}, {}, app.clock->now_millis(), std::nullopt, std::move(peer)};
  if (forwarded) request.forwarded_by = forwarded->node;
  Dialect dialect = Dialect::native;
  const Route* route = nullptr;
  try {
    read_target(request);
    dialect = dialect_of_path(request.path, mounts_);

    RouteMatch match = match_route(routes_, mounts_, raw.method(), request.path);
    if (match.path_known) dialect = match.dialect;
    if (!match.route) co_return finish(unmatched(app, raw, match, dialect), request, nullptr);
    route = match.route;
    request.captures = std::move(match.captures);
    dialect = route->dialect;

    access.route = route;
    if (forwarded) {
      request.principal = std::move(forwarded->principal);  // authenticated where it arrived
    } else if (needs_authentication(*route, raw)) {
      authenticate(app, *route, request, access);
    }
    if (route->method == bhttp::verb::get) {  // GET, or HEAD served by the GET route
      // min_position waits for the tenant's read models; elsewhere it is an unknown parameter
      // (anonymous requests never learn a position from it).
      auto min = tenant_route(*route) ? request.query.take("min_position") : std::nullopt;
      if (min) co_await await_min_position(app.engine(request.principal.tenant), *min);
    } else if (decided_elsewhere(app, *route, request)) {
      co_return finish(Reply(co_await app.routing->forward(request)), request, route);
    } else {
      check_writer_room(app, *route, request);
    }

    std::optional<ConditionalGet> conditional;
    if (route->method == bhttp::verb::get && tenant_route(*route)) {
      conditional.emplace(app, request);
      if (auto res = conditional->not_modified()) co_return finish(Reply(std::move(*res)), request, route);
    }
    Reply reply = co_await route->handler(app, request);
    if (conditional) conditional->tag(reply);
    co_return finish(std::move(reply), request, route);
  } catch (const ApiError& e) {
    co_return finish(Reply(error_response(dialect, e)), request, route);
  } catch (const std::exception& e) {
    co_return finish(internal_error(raw, dialect, e), request, route);
  }
}

}  // namespace eventsd::http
