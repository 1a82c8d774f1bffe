// Operators' routes (the operator scope: they span every tenant, docs/security.md "Operators and
// tenants"): the read-model rebuild, started and watched over HTTP as `eventctl rebuild` does
// from a shell.
#include "common/json_writer.h"
#include "http/api/router.h"
#include "http/dialects/routes.h"

namespace eventsd::http {

namespace asio = boost::asio;

namespace {

// One engine's rebuild and read models, as fields of an object the caller opened.
void write_rebuild(JsonWriter& w, const Engine& engine) {
  const RebuildStatus r = engine.projector.rebuild_status();
  auto live = engine.projector.current();
  w.key("rebuild").begin_object();
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
}

// This node's rebuild: its engine's on a single node; in cluster mode, one entry per shard.
Response rebuild_status(const App& app, unsigned status) {
  std::string body;
  JsonWriter w(body);
  w.begin_object().key("status").string("success");
  if (app.engines.size() == 1) {
    write_rebuild(w, *app.engines.front());
  } else {
    w.key("shards").begin_array();
    for (std::size_t i = 0; i < app.engines.size(); ++i) {
      w.begin_object().key("shard").number(static_cast<std::uint64_t>(i));
      write_rebuild(w, *app.engines[i]);
      w.end_object();
    }
    w.end_array();
  }
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
  co_return rebuild_status(app, 202);
}

asio::awaitable<Reply> get_rebuild(App& app, Request& req) {
  req.query.only({});
  co_return rebuild_status(app, 200);
}

}  // namespace

void add_admin_routes(Router& r) {
  const std::string scope(kOperatorScope);
  r.add(bhttp::verb::post, "/v1/admin/rebuild", Dialect::native, scope, start_rebuild);
  r.add(bhttp::verb::get, "/v1/admin/rebuild", Dialect::native, scope, get_rebuild);
}

}  // namespace eventsd::http
