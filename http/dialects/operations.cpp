// The routes operators and tools call, outside every dialect: GET /healthz (positions and, in
// cluster mode, shards), GET /metrics (Prometheus) and GET /openapi.yaml (docs/openapi.yaml,
// compiled into the binary).
#include "common/json_writer.h"
#include "http/api/metrics.h"
#include "http/api/router.h"
#include "http/dialects/routes.h"

namespace eventsd::http {

extern const std::string_view kOpenApiYaml;

namespace {

namespace asio = boost::asio;

asio::awaitable<Reply> healthz(App& app, Request&) {
  // Positions for operators and scripts: a read with min_position=log_position sees everything.
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

boost::asio::awaitable<Reply> metrics_route(App& app, Request& req) {
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
  r.add(bhttp::verb::get, "/healthz", Dialect::native, "", healthz);
  r.add(bhttp::verb::get, "/metrics", Dialect::native, "", metrics_route);
  r.add(bhttp::verb::get, "/openapi.yaml", Dialect::native, "", openapi);
}

}  // namespace eventsd::http
