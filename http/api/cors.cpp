#include "http/api/cors.h"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>

namespace eventsd::http {

namespace {

constexpr std::string_view kConsoleHeaders = "Content-Type, X-CSRF-Token, Last-Event-ID, Authorization";
constexpr std::string_view kKeyHeaders = "Content-Type, Authorization";
constexpr std::string_view kMaxAge = "600";

bool publishable_origin(App& app, std::string_view origin) {
  auto snapshot = app.store.read();
  return app.tokens.any_publishable_allows(snapshot.txn(), origin);
}

// Every name of a comma-separated Access-Control-Request-Headers is in `allowed`.
bool headers_allowed(std::string_view requested, std::string_view allowed) {
  while (!requested.empty()) {
    auto comma = requested.find(',');
    std::string_view name = requested.substr(0, comma);
    requested = comma == std::string_view::npos ? std::string_view() : requested.substr(comma + 1);
    while (!name.empty() && (name.front() == ' ' || name.front() == '\t')) name.remove_prefix(1);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    if (name.empty()) continue;
    bool found = false;
    std::string_view rest = allowed;
    while (!rest.empty() && !found) {
      auto c = rest.find(',');
      std::string_view a = rest.substr(0, c);
      rest = c == std::string_view::npos ? std::string_view() : rest.substr(c + 1);
      while (!a.empty() && a.front() == ' ') a.remove_prefix(1);
      found = boost::beast::iequals(a, name);
    }
    if (!found) return false;
  }
  return true;
}

}  // namespace

Reply preflight(App& app, const RawRequest& raw, const std::vector<const Route*>& at_path, Dialect dialect) {
  std::string allow = "OPTIONS";
  for (const Route* r : at_path) {
    const std::string m(bhttp::to_string(r->method));
    if (allow.find(m) == std::string::npos) allow += ", " + m;
  }
  Response res{bhttp::status::no_content, 11};
  const auto origin_field = raw.find(bhttp::field::origin);
  const auto method_field = raw.find(bhttp::field::access_control_request_method);
  if (origin_field == raw.end() || method_field == raw.end()) {
    res.set(bhttp::field::allow, allow);  // a plain OPTIONS request, not a preflight
    res.prepare_payload();
    return res;
  }
  auto refuse = [&](std::string message) {
    Response r = error_response(dialect, ApiError(403, "cors_refused", std::move(message)));
    r.set(bhttp::field::vary, "Origin");
    return Reply(std::move(r));
  };
  const auto origin = request_origin(raw);
  if (!origin) return refuse("the Origin is not an origin");
  const bhttp::verb method = bhttp::string_to_verb(method_field->value());
  const Route* route = nullptr;
  for (const Route* r : at_path) {
    if (r->method == method) route = r;
  }
  if (!route) return refuse("no such method on this route");
  std::string_view headers;
  bool credentials = false;
  if (accepts_session(*route) && is_session_origin(app, raw, *origin, route->dialect)) {
    headers = kConsoleHeaders;
    credentials = true;
  } else if (accepts_publishable(*route) && publishable_origin(app, *origin)) {
    headers = kKeyHeaders;
  } else {
    return refuse("origin " + *origin + " may not call " + route->name);
  }
  if (auto req_headers = raw.find(bhttp::field::access_control_request_headers);
      req_headers != raw.end() && !headers_allowed(req_headers->value(), headers)) {
    return refuse("request headers not allowed: " + std::string(req_headers->value()));
  }
  res.set(bhttp::field::access_control_allow_origin, *origin);
  res.set(bhttp::field::access_control_allow_methods, std::string(bhttp::to_string(method)));
  res.set(bhttp::field::access_control_allow_headers, headers);
  res.set(bhttp::field::access_control_max_age, kMaxAge);
  if (credentials) res.set(bhttp::field::access_control_allow_credentials, "true");
  res.set(bhttp::field::vary, "Origin");
  res.prepare_payload();
  return res;
}

void allow_origin(App& app, const RawRequest& raw, const Access& access, Response& response) {
  if (!access.route || raw.find(bhttp::field::origin) == raw.end()) return;
  const Route& route = *access.route;
  const bool session_route = accepts_session(route), key_route = accepts_publishable(route);
  if (!session_route && !key_route) return;
  response.set(bhttp::field::vary, "Origin");
  const auto origin = request_origin(raw);
  if (!origin) return;
  if (session_route && is_session_origin(app, raw, *origin, route.dialect)) {
    response.set(bhttp::field::access_control_allow_origin, *origin);
    response.set(bhttp::field::access_control_allow_credentials, "true");
    return;
  }
  if (!key_route) return;
  // The key that authenticated the request decides; before one is known (an error), any key's.
  const bool allowed = access.key ? access.key->allows_origin(*origin) : publishable_origin(app, *origin);
  if (!allowed) return;
  response.set(bhttp::field::access_control_allow_origin, *origin);
  response.set(bhttp::field::access_control_expose_headers, "Retry-After");
}

}  // namespace eventsd::http
