// Routing: from a parsed HTTP request to a handler, with authentication and scope checks on the
// way, and every failure rendered as the JSON error of the route's dialect. The router never
// touches a socket; the server hands it a request and writes what it returns.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "http/api.h"

namespace eventsd::http {

struct Route {
  bhttp::verb method;
  std::string pattern;  // "/v1/events/{id}": a {placeholder} matches one segment
  Dialect dialect;
  std::string scope;    // the scope a token needs; empty: no token needed
  Handler handler;
  std::vector<std::string> segments;  // the pattern split at '/'
  std::string name;                   // "GET /v1/events/{id}"
};

class Router {
 public:
  void add(bhttp::verb method, std::string pattern, Dialect dialect, std::string scope,
           Handler handler);
  boost::asio::awaitable<Reply> handle(App& app, const RawRequest& raw) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

// The dialect whose error shape a request to `target` gets (before or without a matching route).
Dialect dialect_of_target(std::string_view target);

// Every route of every dialect (the native API and the seeds' shapes).
Router make_router();

void add_native_routes(Router& router);
void add_native_stats_routes(Router& router);
void add_native_aggregate_routes(Router& router);
void add_native_contact_routes(Router& router);
void add_native_rule_routes(Router& router);
void add_org_unit_routes(Router& router);
void add_campaign_routes(Router& router);
void add_workspace_routes(Router& router);
void add_openapi_route(Router& router);
void add_stream_routes(Router& router);
void add_audit_routes(Router& router);
void add_metrics_route(Router& router);
void add_admin_routes(Router& router);

}  // namespace eventsd::http
