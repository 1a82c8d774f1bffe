// The application a handler serves: its options, the engines that hold the tenants' logs, and
// the seams through which cluster mode plugs in (docs/architecture.md, "Seams") — WriteRouting,
// which node decides a tenant's writes; AccountWriter, where token, user and session changes go.
// Owned by main(); outlives the server. Thread safety: App is read from every I/O thread; what
// it points to states its own rules.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "accounts/sources.h"
#include "accounts/tokens.h"
#include "common/clock.h"
#include "engine/engine.h"
#include "eventlog/lmdb.h"
#include "eventlog/store.h"
#include "http/api/client_address.h"
#include "http/api/stream_slots.h"
#include "http/server/message.h"

namespace eventsd::http {

struct ApiOptions {
  std::size_t max_streams = 1'000;           // event streams open at once, all tenants together
  std::size_t max_streams_per_tenant = 100;  // event streams open at once for one tenant
  double rate_limit = 0;                     // requests per second per token; 0: no limit
  std::int64_t campaign_retention_days = 180;  // 0: keep campaign events forever
  std::size_t header_limit = 8 * 1024;       // of a request another node forwards (as the server's)
  std::size_t body_limit = 1024 * 1024;
  // GET /metrics answers only `Authorization: Bearer <this>` ("": anyone; eventsd
  // --metrics-token-file).
  std::string metrics_token;
  TrustedProxies trusted_proxies;            // whose X-Forwarded-For is read (client_address.h); none
};

struct Request;
class Metrics;
class Auth;
class RateLimiter;
class HookActivity;

// Cluster mode: which node decides a tenant's writes (docs/cluster.md). Null on a single node.
// Implemented by the cluster (cluster/cluster_node.h). Thread-safe.
class WriteRouting {
 public:
  virtual ~WriteRouting() = default;
  // The shard, and so the engine (App::engines), that holds the tenant's log.
  virtual unsigned shard(std::string_view tenant) const = 0;
  // Whether this node decides the tenant's writes now.
  virtual bool decides(std::string_view tenant) const = 0;
  // The answer of the node that does, relayed unchanged; a 503 in the request's dialect when no
  // node can be reached, or when the request was forwarded here already (never twice). Throws
  // only std::bad_alloc.
  virtual boost::asio::awaitable<Response> forward(const Request& request) = 0;
  // This node's name, and the node that owns shard `shard` as this node last saw it ("" when
  // none does).
  virtual const std::string& node() const = 0;
  virtual std::string owner(unsigned shard) const = 0;
  // The node that should own it (docs/cluster.md, "Ownership"), as this node sees the live nodes.
  virtual std::string preferred(unsigned shard) const = 0;
};

// Where changes to tokens, users and sessions are written: in cluster mode every node must get
// them (cluster/system_log.h). Null on a single node: the store beside the log. Thread-safe.
class AccountWriter {
 public:
  virtual ~AccountWriter() = default;
  // Runs f in a write transaction and returns once its changes are durable and visible to this
  // node's readers. Throws what f throws; ApiError 503 when the change was not taken in time.
  virtual void write(const std::function<void(lmdb::Txn&)>& f) = 0;
};

struct App {
  // What every application has; the seams and the rest are set after, where there are any.
  App(Store& store, TokenStore& tokens, ApiOptions options, std::vector<Engine*> engines)
      : store(store), tokens(tokens), options(std::move(options)), engines(std::move(engines)) {}
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  Store& store;           // tokens, users, sessions: the log's environment on a single node
  TokenStore& tokens;
  ApiOptions options;
  std::vector<Engine*> engines;      // one, or one per shard in cluster mode
  RateLimiter* limiter = nullptr;    // null: no rate limit
  Metrics* metrics = nullptr;        // null: nothing recorded
  Auth* auth = nullptr;              // null: bearer tokens only (http/api/auth.h)
  WriteRouting* routing = nullptr;   // null: this node decides every write (a single node)
  AccountWriter* accounts = nullptr; // null: account changes go to `store`
  StreamSlots stream_slots{nullptr}; // the event streams open (http/api/streams.h)
  SourceStore* sources = nullptr;    // null: no provider webhooks (POST /hooks/{id} finds none)
  HookActivity* hooks = nullptr;     // what this node saw of them (hook_activity.h); with `sources`
  const Clock* clock = &system_clock();  // what requests, sessions and limits are timed by

  // The engine that holds `tenant`'s log.
  Engine& engine(std::string_view tenant) const;
};

}  // namespace eventsd::http
