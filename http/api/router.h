// Routing: from a parsed HTTP request to a handler, with authentication and scope checks on the
// way, and every failure rendered as the JSON error of the route's dialect. The router never
// touches a socket; the server hands it a request and writes what it returns.
//
// What the router does for every route, so handlers need not (RFC 9110):
// - the most specific pattern wins, whatever the method: a fixed segment beats a {placeholder}
//   at the first place they differ (PUT /v1/contacts/merge is a 405, not a contact "merge");
//   a method the winning pattern lacks is a 405 whose Allow lists the pattern's methods;
// - HEAD is served by the GET route, with GET's headers and no body;
// - a trailing slash names the same route ("/events/" is "/events");
// - every answer carries Date; answers of token-protected routes carry Cache-Control
//   ("private, no-cache" on GET successes, "no-store" otherwise) unless the handler set one;
// - a GET success of a tenant's route (token-protected, not the operator's) that is not streamed
//   carries an ETag made of the read models' position, the tenant, the target and (when the
//   answer depends on the clock at a day's granularity) the day; If-None-Match with a matching
//   tag is answered 304 before the handler runs. An answer that depends on the clock more finely
//   gets no ETag.
// - min_position is taken on a tenant's GET routes only (elsewhere it is an unknown parameter).
// - a route added with add_token_optional() is served without a token too (Route::token_optional).
// - mounts: an operator may serve a dialect under a path prefix as well (eventsd --mount), so a
//   client keeps its URL with only the host changed; errors under a mount are in its dialect.
//
// Matching is route_match.h, mounts and dialects by path mounts.h, conditional GET
// conditional_get.h, authentication auth.h, CORS cors.h.
//
// Thread safety: add() and mount() before the router serves; then it is not changed, and
// handle() may run on any number of threads at once.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/api/api.h"
#include "http/api/mounts.h"
#include "http/api/route_match.h"

namespace eventsd::http {

struct Access;  // http/api/auth.h

class Router {
 public:
  void add(bhttp::verb method, std::string pattern, Dialect dialect, std::string scope,
           Handler handler);
  // A route whose handler submits commands to the writer (Route::writes_log).
  void add_log_write(bhttp::verb method, std::string pattern, Dialect dialect, std::string scope,
                     Handler handler);
  // A route served without a token too (Route::token_optional): GET /healthz.
  void add_token_optional(bhttp::verb method, std::string pattern, Dialect dialect, std::string scope,
                          Handler handler);
  // Serves every route of `mount.dialect` under `mount.prefix` too. Throws std::invalid_argument
  // when the prefix is already mounted.
  void mount(Mount mount);
  // The answer to `raw`. `forwarded`: the node that forwarded it and the principal that node
  // authenticated (cluster mode, cluster/forward.h, which checked its seal): the request is not
  // authenticated again. A client's request has none, whatever its headers say.
  boost::asio::awaitable<Reply> handle(App& app, const RawRequest& raw,
                                       std::optional<Forwarded> forwarded = std::nullopt) const;
  // The answer to `raw` from a client whose TCP peer is `peer` (what the server hands over).
  boost::asio::awaitable<Reply> handle(App& app, const RawRequest& raw, const boost::asio::ip::address& peer) const;
  const std::vector<Route>& routes() const { return routes_; }
  const std::vector<Mount>& mounts() const { return mounts_; }
  // The dialect whose error shape a request to `target` gets (before or without a matching
  // route), mounts included.
  Dialect dialect_of(std::string_view target) const;

 private:
  boost::asio::awaitable<Reply> dispatch(App& app, const RawRequest& raw, std::optional<Forwarded> forwarded,
                                         std::optional<boost::asio::ip::address> peer, Access& access) const;

  std::vector<Route> routes_;
  std::vector<Mount> mounts_;
};

}  // namespace eventsd::http
