// Operators' routes (scope admin): the read-model rebuild, started and watched over HTTP as
// `eventctl rebuild` does from a shell.
#include "common/json_writer.h"
#include "http/api/router.h"
#include "http/dialects/routes.h"

namespace eventsd::http {

namespace asio = boost::asio;

namespace {

// The rebuild of the engine holding the tenant's log (the only one on a single node).
Response rebuild_status(const Engine& engine, unsigned status) {
  const RebuildStatus r = engine.projector.rebuild_status();
  auto live = engine.projector.current();
  std::string body;
  JsonWriter w(body);
  w.begin_object().key("status").string("success").key("rebuild").begin_object();
  w.key("running").boolean(r.running);
  w.key("generation").number(r.generation);
  w.key("folded_position").number(r.folded);
  w.key("target_position").number(r.target);
  w.key("events").number(r.events);
  w.end_object();
  w.key("serving_generation");
  if (live) w.number(live->number());
  else w.null();
  w.key("read_position").number(engine.projector.applied());
  w.key("log_position").number(engine.writer.stats().head.load());
  w.end_object();
  return json_response(status, std::move(body));
}

asio::awaitable<Reply> start_rebuild(App& app, Request& req) {
  req.query.only({});
  // Every engine's read models are rebuilt (in cluster mode: every shard's, on this node).
  for (const Engine* e : app.engines) {
    if (e->projector.rebuild_status().running) {
      throw ApiError(409, "rebuild_in_progress", "a rebuild of the read models is under way already");
    }
  }
  for (Engine* e : app.engines) e->projector.rebuild();
  co_return rebuild_status(app.engine(req.principal.tenant), 202);
}

asio::awaitable<Reply> get_rebuild(App& app, Request& req) {
  req.query.only({});
  co_return rebuild_status(app.engine(req.principal.tenant), 200);
}

}  // namespace

void add_admin_routes(Router& r) {
  r.add(bhttp::verb::post, "/v1/admin/rebuild", Dialect::native, "admin", start_rebuild);
  r.add(bhttp::verb::get, "/v1/admin/rebuild", Dialect::native, "admin", get_rebuild);
}

}  // namespace eventsd::http
