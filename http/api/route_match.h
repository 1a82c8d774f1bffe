// Routes and matching: which route a method and a decoded path go to (RFC 9110 semantics as
// router.h lists them). The most specific pattern wins, whatever the method — a fixed segment
// beats a {placeholder} at the first place they differ — and then the method picks the route of
// that pattern; HEAD is matched by GET routes. Under a mount (mounts.h), the mounted dialect's
// routes are tried on what follows the prefix first.
//
// Pure functions and plain values; thread-safe. A RouteMatch points into the routes it was
// matched against, which must outlive it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "http/api/errors.h"
#include "http/api/mounts.h"
#include "http/api/request.h"

namespace eventsd::http {

struct Route {
  bhttp::verb method;
  std::string pattern;  // "/v1/events/{id}": a {placeholder} matches one segment
  Dialect dialect;
  std::string scope;    // the scope a token needs; empty: no token needed
  Handler handler;
  std::vector<std::string> segments;  // the pattern split at '/'
  std::string name;                   // "GET /v1/events/{id}"
  // The handler submits commands to the tenant's writer. In cluster mode such a request is
  // served by the node that owns the tenant's shard (App::routing).
  bool writes_log = false;
  // A request without an Authorization header is served too, with no principal (the handler
  // answers less); a bearer token it carries must be good for `scope`.
  bool token_optional = false;

  // The route spans every tenant (the operator scope): it reads no one tenant's read models, so
  // it takes no min_position and gets no ETag.
  bool spans_tenants() const;
};

// The segments of a pattern or a mount's prefix, split at '/' ("/v1/events/{id}": "v1",
// "events", "{id}"); the leading '/' starts no segment.
std::vector<std::string> pattern_segments(std::string_view pattern);

// The route a method and path go to, or why none does.
struct RouteMatch {
  const Route* route = nullptr;       // null: no route of this method (see path_known)
  std::vector<const Route*> at_path;  // every route of the winning pattern (CORS preflights)
  std::vector<std::string> captures;  // the path's segments at the route's {placeholders}
  bool path_known = false;            // some pattern matches the path
  std::string allow;                  // the methods of the winning pattern, when the method is not one
  Dialect dialect = Dialect::native;  // the winning pattern's (when path_known)
};

RouteMatch match_route(const std::vector<Route>& routes, const std::vector<Mount>& mounts, bhttp::verb method,
                       const std::vector<std::string>& path);

}  // namespace eventsd::http
