#include "http/metrics.h"

#include <cstdio>

#include "eventlog/lmdb.h"
#include "http/api.h"
#include "http/broadcaster.h"
#include "http/process_metrics.h"
#include "http/router.h"

namespace eventsd::http {

void Metrics::observe(std::string_view route, unsigned status, double seconds) {
  std::lock_guard lock(mutex_);
  auto it = routes_.find(route);
  if (it == routes_.end()) it = routes_.emplace(std::string(route), Route{}).first;
  Route& r = it->second;
  ++r.by_status[status];
  std::size_t b = 0;
  while (b < kLatencyBuckets.size() && seconds > kLatencyBuckets[b]) ++b;
  ++r.buckets[b];
  r.seconds += seconds;
  ++r.count;
}

namespace {

void header(std::string& out, const char* name, const char* type, const char* help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n# TYPE ").append(name)
      .append(" ").append(type).append("\n");
}

void sample(std::string& out, const char* name, double value, const std::string& labels = {}) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", value);
  out.append(name);
  if (!labels.empty()) out.append("{").append(labels).append("}");
  out.append(" ").append(buf).append("\n");
}

std::string le(double bound) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", bound);
  return buf;
}

}  // namespace

std::string Metrics::render(App& app) {
  std::string out;
  {
    std::lock_guard lock(mutex_);
    header(out, "eventsd_http_requests_total", "counter", "HTTP requests answered, by route and status.");
    for (const auto& [route, r] : routes_) {
      for (const auto& [status, n] : r.by_status) {
        sample(out, "eventsd_http_requests_total", static_cast<double>(n),
               "route=\"" + route + "\",status=\"" + std::to_string(status) + "\"");
      }
    }
    header(out, "eventsd_http_request_duration_seconds", "histogram",
           "Time from a request read to its response written (streams: to the header), by route.");
    for (const auto& [route, r] : routes_) {
      std::uint64_t cumulative = 0;
      for (std::size_t b = 0; b <= kLatencyBuckets.size(); ++b) {
        cumulative += r.buckets[b];
        const std::string bound = b < kLatencyBuckets.size() ? le(kLatencyBuckets[b]) : "+Inf";
        sample(out, "eventsd_http_request_duration_seconds_bucket", static_cast<double>(cumulative),
               "route=\"" + route + "\",le=\"" + bound + "\"");
      }
      sample(out, "eventsd_http_request_duration_seconds_sum", r.seconds, "route=\"" + route + "\"");
      sample(out, "eventsd_http_request_duration_seconds_count", static_cast<double>(r.count), "route=\"" + route + "\"");
    }
  }
  const WriterStats& w = app.writer.stats();
  header(out, "eventsd_ingested_events_total", "counter", "Events recorded by ingest commands.");
  sample(out, "eventsd_ingested_events_total", static_cast<double>(w.events_ingested.load()));
  header(out, "eventsd_commands_total", "counter", "Commands decided by the writer.");
  sample(out, "eventsd_commands_total", static_cast<double>(w.commands.load()));
  header(out, "eventsd_commits_total", "counter", "Write transactions committed (each one fsync).");
  sample(out, "eventsd_commits_total", static_cast<double>(w.commits.load()));
  header(out, "eventsd_events_per_commit", "histogram", "Events recorded per commit (group commit at work).");
  {
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b <= std::size(WriterStats::kEventBuckets); ++b) {
      cumulative += w.events_per_commit[b].load();
      const std::string bound = b < std::size(WriterStats::kEventBuckets)
                                    ? std::to_string(WriterStats::kEventBuckets[b]) : "+Inf";
      sample(out, "eventsd_events_per_commit_bucket", static_cast<double>(cumulative), "le=\"" + bound + "\"");
    }
    sample(out, "eventsd_events_per_commit_sum", static_cast<double>(w.events_ingested.load()));
    sample(out, "eventsd_events_per_commit_count", static_cast<double>(w.commits.load()));
  }
  header(out, "eventsd_writer_queued_events", "gauge", "Events waiting for the writer.");
  sample(out, "eventsd_writer_queued_events", static_cast<double>(w.queued_events.load()));
  header(out, "eventsd_writer_queued_bytes", "gauge", "Bytes of request bodies waiting for the writer.");
  sample(out, "eventsd_writer_queued_bytes", static_cast<double>(w.queued_bytes.load()));
  header(out, "eventsd_writer_refused_total", "counter", "Commands refused with 503 overloaded (queue full).");
  sample(out, "eventsd_writer_refused_total", static_cast<double>(w.refused.load()));
  header(out, "eventsd_log_position", "gauge", "Position of the last committed log record.");
  sample(out, "eventsd_log_position", static_cast<double>(w.head.load()));
  const std::uint64_t applied = app.projector.applied();
  header(out, "eventsd_projection_checkpoint", "gauge", "Last log position folded into the served read models.");
  sample(out, "eventsd_projection_checkpoint", static_cast<double>(applied));
  header(out, "eventsd_projection_lag_records", "gauge", "Log records committed but not yet folded into the served read models.");
  sample(out, "eventsd_projection_lag_records", static_cast<double>(w.head.load() > applied ? w.head.load() - applied : 0));
  header(out, "eventsd_projection_stalled", "gauge", "1 while folding waits for room on a full volume.");
  sample(out, "eventsd_projection_stalled", app.projector.stalled() ? 1 : 0);
  auto live = app.projector.current();
  header(out, "eventsd_read_generation", "gauge", "The read-model generation served (0: none, rebuilding).");
  sample(out, "eventsd_read_generation", live ? static_cast<double>(live->number()) : 0);
  const RebuildStatus rebuild = app.projector.rebuild_status();
  header(out, "eventsd_rebuild_running", "gauge", "1 while a new read-model generation is being folded.");
  sample(out, "eventsd_rebuild_running", rebuild.running ? 1 : 0);
  header(out, "eventsd_rebuild_folded_position", "gauge", "Log position the generation being rebuilt has reached.");
  sample(out, "eventsd_rebuild_folded_position", static_cast<double>(rebuild.folded));
  header(out, "eventsd_rebuild_target_position", "gauge", "Log position the rebuild is folding towards.");
  sample(out, "eventsd_rebuild_target_position", static_cast<double>(rebuild.target));
  // The maps are sized once and never remapped: reading their figures needs no gate.
  header(out, "eventsd_lmdb_map_size_bytes", "gauge", "Size of an LMDB memory map (reserved address space).");
  header(out, "eventsd_lmdb_used_bytes", "gauge", "Bytes of an LMDB map in use (up to its last page).");
  sample(out, "eventsd_lmdb_map_size_bytes", static_cast<double>(app.store.env().map_size()), "env=\"log\"");
  sample(out, "eventsd_lmdb_used_bytes", static_cast<double>(app.store.env().used_bytes()), "env=\"log\"");
  if (live) {
    sample(out, "eventsd_lmdb_map_size_bytes", static_cast<double>(live->store().env().map_size()), "env=\"read\"");
    sample(out, "eventsd_lmdb_used_bytes", static_cast<double>(live->store().env().used_bytes()), "env=\"read\"");
  }
  header(out, "eventsd_stream_subscribers", "gauge", "Open event streams (GET /v1/events/stream).");
  sample(out, "eventsd_stream_subscribers", app.commits ? static_cast<double>(app.commits->subscribers.load()) : 0);
  header(out, "eventsd_open_connections", "gauge", "Open HTTP connections.");
  sample(out, "eventsd_open_connections", static_cast<double>(open_connections.load()));
  append_build_info(out);
  append_process_metrics(out);
  return out;
}

namespace {

boost::asio::awaitable<Reply> metrics_route(App& app, Request& req) {
  req.query.only({});
  if (!app.metrics) throw ApiError(404, "not_found", "metrics are not enabled");
  Response res{bhttp::status::ok, 11};
  res.set(bhttp::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
  res.body() = app.metrics->render(app);
  res.prepare_payload();
  co_return res;
}

}  // namespace

void add_metrics_route(Router& r) { r.add(bhttp::verb::get, "/metrics", Dialect::native, "", metrics_route); }

}  // namespace eventsd::http
