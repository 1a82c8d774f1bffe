#include "http/api/metrics.h"

#include <cstdio>

#include "eventlog/lmdb.h"
#include "http/api/api.h"
#include "engine/commit_broadcaster.h"
#include "http/api/process_metrics.h"
#include "http/api/router.h"

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
  // One set of samples per engine: in cluster mode each shard's, labelled shard="<n>".
  const bool sharded = app.engines.size() > 1;
  auto label = [sharded](std::size_t shard, const std::string& more = {}) {
    std::string l = sharded ? "shard=\"" + std::to_string(shard) + "\"" : std::string();
    if (!more.empty()) l += (l.empty() ? "" : ",") + more;
    return l;
  };
  auto each = [&](const char* name, const char* type, const char* help, auto value) {
    header(out, name, type, help);
    for (std::size_t i = 0; i < app.engines.size(); ++i) {
      sample(out, name, static_cast<double>(value(*app.engines[i])), label(i));
    }
  };
  auto stats = [](const Engine& e) -> const WriterStats& { return e.writer.stats(); };
  each("eventsd_ingested_events_total", "counter", "Events recorded by ingest commands.",
       [&](const Engine& e) { return stats(e).events_ingested.load(); });
  each("eventsd_commands_total", "counter", "Commands decided by the writer.",
       [&](const Engine& e) { return stats(e).commands.load(); });
  each("eventsd_commits_total", "counter", "Write transactions committed (each one fsync).",
       [&](const Engine& e) { return stats(e).commits.load(); });
  header(out, "eventsd_events_per_commit", "histogram", "Events recorded per commit (group commit at work).");
  for (std::size_t i = 0; i < app.engines.size(); ++i) {
    const WriterStats& w = stats(*app.engines[i]);
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b <= std::size(WriterStats::kEventBuckets); ++b) {
      cumulative += w.events_per_commit[b].load();
      const std::string bound = b < std::size(WriterStats::kEventBuckets)
                                    ? std::to_string(WriterStats::kEventBuckets[b]) : "+Inf";
      sample(out, "eventsd_events_per_commit_bucket", static_cast<double>(cumulative), label(i, "le=\"" + bound + "\""));
    }
    sample(out, "eventsd_events_per_commit_sum", static_cast<double>(w.events_ingested.load()), label(i));
    sample(out, "eventsd_events_per_commit_count", static_cast<double>(w.commits.load()), label(i));
  }
  each("eventsd_writer_queued_events", "gauge", "Events waiting for the writer.",
       [&](const Engine& e) { return stats(e).queued_events.load(); });
  each("eventsd_writer_queued_bytes", "gauge", "Bytes of request bodies waiting for the writer.",
       [&](const Engine& e) { return stats(e).queued_bytes.load(); });
  each("eventsd_writer_refused_total", "counter", "Commands refused with 503 overloaded (queue full).",
       [&](const Engine& e) { return stats(e).refused.load(); });
  each("eventsd_log_position", "gauge", "Position of the last committed log record.",
       [&](const Engine& e) { return stats(e).head.load(); });
  each("eventsd_projection_checkpoint", "gauge", "Last log position folded into the served read models.",
       [](const Engine& e) { return e.projector.applied(); });
  each("eventsd_projection_lag_records", "gauge", "Log records committed but not yet folded into the served read models.",
       [&](const Engine& e) {
         const std::uint64_t head = stats(e).head.load(), applied = e.projector.applied();
         return head > applied ? head - applied : 0;
       });
  each("eventsd_projection_stalled", "gauge", "1 while folding waits for room on a full volume.",
       [](const Engine& e) { return e.projector.stalled() ? 1 : 0; });
  each("eventsd_read_generation", "gauge", "The read-model generation served (0: none, rebuilding).",
       [](const Engine& e) {
         auto live = e.projector.current();
         return live ? live->number() : 0;
       });
  each("eventsd_rebuild_running", "gauge", "1 while a new read-model generation is being folded.",
       [](const Engine& e) { return e.projector.rebuild_status().running ? 1 : 0; });
  each("eventsd_rebuild_folded_position", "gauge", "Log position the generation being rebuilt has reached.",
       [](const Engine& e) { return e.projector.rebuild_status().folded; });
  each("eventsd_rebuild_target_position", "gauge", "Log position the rebuild is folding towards.",
       [](const Engine& e) { return e.projector.rebuild_status().target; });
  // The maps are sized once and never remapped: reading their figures needs no gate.
  header(out, "eventsd_lmdb_map_size_bytes", "gauge", "Size of an LMDB memory map (reserved address space).");
  header(out, "eventsd_lmdb_used_bytes", "gauge", "Bytes of an LMDB map in use (up to its last page).");
  auto env_sample = [&](const lmdb::Env& env, const std::string& labels) {
    sample(out, "eventsd_lmdb_map_size_bytes", static_cast<double>(env.map_size()), labels);
    sample(out, "eventsd_lmdb_used_bytes", static_cast<double>(env.used_bytes()), labels);
  };
  if (sharded) env_sample(app.store.env(), "env=\"system\"");
  for (std::size_t i = 0; i < app.engines.size(); ++i) {
    env_sample(app.engines[i]->store.env(), label(i, "env=\"log\""));
    if (auto live = app.engines[i]->projector.current()) env_sample(live->store().env(), label(i, "env=\"read\""));
  }
  header(out, "eventsd_stream_subscribers", "gauge", "Open event streams (GET /v1/events/stream).");
  sample(out, "eventsd_stream_subscribers", static_cast<double>(app.stream_slots.open()));
  header(out, "eventsd_open_connections", "gauge", "Open HTTP connections.");
  sample(out, "eventsd_open_connections", static_cast<double>(open_connections.load()));
  header(out, "eventsd_forwarded_requests_total", "counter", "Requests forwarded to another node (cluster mode).");
  sample(out, "eventsd_forwarded_requests_total", static_cast<double>(forwarded.load()));
  header(out, "eventsd_forward_failures_total", "counter", "Forwarded requests the other node did not answer (503/502 given instead).");
  sample(out, "eventsd_forward_failures_total", static_cast<double>(forward_failures.load()));
  if (more_samples) more_samples(out);
  append_build_info(out);
  append_process_metrics(out);
  return out;
}

}  // namespace eventsd::http
