#include "http/router.h"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/url/parse.hpp>

#include <cstdio>

#include "http/view.h"

namespace eventsd::http {

namespace {

std::vector<std::string> split(std::string_view pattern) {
  std::vector<std::string> out;
  std::size_t start = 1;
  while (start <= pattern.size()) {
    std::size_t end = pattern.find('/', start);
    if (end == std::string_view::npos) end = pattern.size();
    out.emplace_back(pattern.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool matches(const Route& route, const std::vector<std::string>& path,
             std::vector<std::string>& captures) {
  if (route.segments.size() != path.size()) return false;
  captures.clear();
  for (std::size_t i = 0; i < path.size(); ++i) {
    const auto& seg = route.segments[i];
    if (seg.size() > 1 && seg.front() == '{' && seg.back() == '}') {
      if (path[i].empty()) return false;
      captures.push_back(path[i]);
    } else if (seg != path[i]) {
      return false;
    }
  }
  return true;
}

Dialect dialect_of_path(const std::vector<std::string>& path) {
  if (!path.empty() && path[0] == "api") return Dialect::workspace;
  if (path.size() >= 2 && path[0] == "v1" && path[1] == "campaigns") return Dialect::campaign;
  if (!path.empty() && path[0] == "v1") return Dialect::native;
  return Dialect::org_unit;
}

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
  return ApiError(401, dialect == Dialect::campaign ? "invalid_key" : "unauthorized",
                  std::move(message));
}

}  // namespace

Dialect dialect_of_target(std::string_view target) {
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) return Dialect::org_unit;
  std::vector<std::string> path;
  for (auto seg : parsed->segments()) {
    path.push_back(seg);
    if (path.size() == 2) break;
  }
  return dialect_of_path(path);
}

void Router::add(bhttp::verb method, std::string pattern, Dialect dialect, std::string scope,
                 Handler handler) {
  std::string name = std::string(bhttp::to_string(method)) + " " + pattern;
  Route route{method, pattern, dialect, std::move(scope), std::move(handler), split(pattern), std::move(name)};
  routes_.push_back(std::move(route));
}

boost::asio::awaitable<Reply> Router::handle(App& app, const RawRequest& raw) const {
  Request request{raw, {}, {}, {}, {}, now_millis()};
  Dialect dialect = Dialect::native;
  const Route* route = nullptr;
  try {
    auto target = boost::urls::parse_origin_form(raw.target());
    if (!target) throw ApiError(400, "invalid_request", "the request target is not a valid path");
    for (auto seg : target->segments()) request.path.push_back(seg);
    if (request.path.size() == 1 && request.path[0].empty()) request.path.clear();
    dialect = dialect_of_path(request.path);
    for (auto param : target->params()) {
      if (param.key.empty() && !param.has_value) continue;  // "?" alone, or "&&"
      request.query.add(param.key, param.has_value ? param.value : std::string());
    }

    // The most specific pattern wins: /v1/events/stats before /v1/events/{id}.
    bool path_known = false;
    std::string allow;
    std::size_t best_literals = 0;
    std::vector<std::string> captures;
    for (const auto& r : routes_) {
      if (!matches(r, request.path, captures)) continue;
      path_known = true;
      const std::size_t literals = r.segments.size() - captures.size();
      if (r.method == raw.method()) {
        if (!route || literals > best_literals) {
          route = &r;
          best_literals = literals;
          request.captures = captures;
        }
        continue;
      }
      if (allow.find(bhttp::to_string(r.method)) == std::string::npos) {
        if (!allow.empty()) allow += ", ";
        allow += std::string(bhttp::to_string(r.method));
      }
    }
    if (!route) {
      if (!path_known) throw ApiError(404, "not_found", "no such route");
      Response res = error_response(dialect, ApiError(405, "method_not_allowed",
                                                      "method not allowed on this route"));
      res.set(bhttp::field::allow, allow);
      co_return Reply(std::move(res));
    }
    dialect = route->dialect;

    if (!route->scope.empty()) {
      auto token = bearer_token(raw);
      if (!token) throw unauthorized(dialect, "missing bearer token");
      std::optional<TokenInfo> info;
      {
        auto snapshot = app.store.read();
        info = app.tokens.find(snapshot.txn(), *token);
      }
      if (!info) throw unauthorized(dialect, "unknown or revoked token");
      if (!info->has_scope(route->scope)) {
        throw ApiError(403, "insufficient_permissions", "this token lacks the " + route->scope + " scope");
      }
      request.principal = {info->id, info->tenant};
      if (app.limiter) {
        if (auto wait = app.limiter->take(info->id)) {
          ApiError limited(429, "rate_limited", "rate limit exceeded; retry later");
          limited.retry_after = *wait;
          throw limited;
        }
      }
    }
    if (raw.method() == bhttp::verb::get) {
      if (auto min = request.query.take("min_position")) co_await await_min_position(app, *min);
    } else if (!route->scope.empty() && !app.writer.admits(raw.body().size())) {
      // Before the body is parsed: a full queue costs the server nothing more.
      throw overloaded();
    }
    Reply reply = co_await route->handler(app, request);
    reply.route = route->name;
    co_return reply;
  } catch (const ApiError& e) {
    Reply reply = error_response(dialect, e);
    if (route) reply.route = route->name;
    co_return reply;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "eventsd: %s %s: %s\n", std::string(raw.method_string()).c_str(),
                 std::string(raw.target()).c_str(), e.what());
    Reply reply = error_response(dialect, ApiError(500, "internal_error", "internal error"));
    if (route) reply.route = route->name;
    co_return reply;
  }
}

Router make_router() {
  Router router;
  add_native_routes(router);
  add_native_stats_routes(router);
  add_native_aggregate_routes(router);
  add_native_contact_routes(router);
  add_native_rule_routes(router);
  add_org_unit_routes(router);
  add_campaign_routes(router);
  add_workspace_routes(router);
  add_openapi_route(router);
  add_stream_routes(router);
  add_audit_routes(router);
  add_metrics_route(router);
  add_admin_routes(router);
  return router;
}

}  // namespace eventsd::http
