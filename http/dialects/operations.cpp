// The routes operators and tools call, outside every dialect: GET /healthz (liveness for anyone;
// positions and, in cluster mode, shards for an operator's token), GET /metrics (Prometheus; with
// eventsd --metrics-token-file, for the bearer of that secret only) and GET /openapi.yaml
// (docs/openapi.yaml, compiled into the binary).
#include "common/json_writer.h"
#include "http/api/auth.h"
#include "http/api/metrics.h"
#include "http/api/router.h"
#include "http/dialects/routes.h"

namespace eventsd::http {

extern const std::string_view kOpenApiYaml;

namespace {

namespace asio = boost::asio;

asio::awaitable<Reply> healthz(App& app, Request& req) {
  req.query.only({});
  // Anyone (a load balancer, systemd) learns that the server is up; positions and shards span
  // every tenant: for an operator's token only (the router checked a token that was sent).
  if (req.principal.token_id.empty()) co_return json_response(200, R"({"status":"ok"})");
  std::string body;
  JsonWriter w(body);
  // In cluster mode every shard has a log of its own: its positions are listed per shard.
  auto positions = [&w](const Engine& e) {
    w.key("log_position").number(e.writer.stats().head.load());
    w.key("read_position").number(e.projector.applied());
    w.key("read_models").string(e.projector.current() ? "serving" : "rebuilding");
  };
  w.begin_object().key("status").string("ok");
  if (app.engines.size() == 1) {
    positions(*app.engines.front());
  } else {
    bool serving = true;
    for (const Engine* e : app.engines) serving = serving && e->projector.current();
    w.key("read_models").string(serving ? "serving" : "rebuilding");
    if (app.routing) w.key("node").string(app.routing->node());
    w.key("shards").begin_array();
    for (std::size_t i = 0; i < app.engines.size(); ++i) {
      w.begin_object();
      positions(*app.engines[i]);
      if (app.routing) {
        // The node that decides the shard's writes (null: none at the moment).
        const std::string owner = app.routing->owner(static_cast<unsigned>(i));
        w.key("owner");
        if (owner.empty()) w.null();
        else w.string(owner);
        // The node it is handed over to when another one owns it.
        w.key("preferred").string(app.routing->preferred(static_cast<unsigned>(i)));
      }
      w.end_object();
    }
    w.end_array();
  }
  w.end_object();
  co_return json_response(200, std::move(body));
}

// With eventsd --metrics-token-file, /metrics answers only `Authorization: Bearer <that secret>`
// (compared in constant time), as Prometheus' `authorization: credentials_file:` sends it.
void check_metrics_token(const App& app, const Request& req) {
  const std::string& secret = app.options.metrics_token;
  if (!secret.empty() && !bearer_is(req.raw, secret)) {
    throw ApiError(401, "unauthorized", "/metrics needs the bearer token of eventsd --metrics-token-file");
  }
}

boost::asio::awaitable<Reply> metrics_route(App& app, Request& req) {
  check_metrics_token(app, req);
  req.query.only({});
  if (!app.metrics) throw ApiError(404, "not_found", "metrics are not enabled");
  Response res{bhttp::status::ok, 11};
  res.set(bhttp::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
  res.body() = app.metrics->render(app);
  res.prepare_payload();
  co_return res;
}

boost::asio::awaitable<Reply> openapi(App&, Request& req) {
  req.query.only({});
  Response res{bhttp::status::ok, 11};
  res.set(bhttp::field::content_type, "application/yaml");
  res.body() = std::string(kOpenApiYaml);
  res.prepare_payload();
  co_return res;
}

}  // namespace

void add_operations_routes(Router& r) {
  r.add_token_optional(bhttp::verb::get, "/healthz", Dialect::native, std::string(kOperatorScope), healthz);
  r.add(bhttp::verb::get, "/metrics", Dialect::native, "", metrics_route);
  r.add(bhttp::verb::get, "/openapi.yaml", Dialect::native, "", openapi);
}

}  // namespace eventsd::http
