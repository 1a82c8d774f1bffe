// One eventsd node as main() runs it, without its sockets: a single node over one engine, or a
// cluster node over one engine per shard (cluster/cluster_node.h), with the accounts, the rate
// limiter, the metrics, the authentication state, the application, the router and the Service the
// server serves — wired this one way for main() and for the tests that call the router in
// process (tests/support/api_test.h).
//
// Lifetime: construct (opens the data directory, which the caller has locked and upgraded;
// starts a single node's engine and runs the campaign retention once; connects a cluster node,
// retrying while NATS is not ready),
// serve() once the server listens, draining() when it starts to drain, stop() after it stopped.
// Thread safety: the parts follow their own rules; the member functions from the owner's thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "accounts/sources.h"
#include "accounts/tokens.h"
#include "accounts/users.h"
#include "cluster/cluster_options.h"
#include "common/clock.h"
#include "engine/campaign_retention.h"
#include "engine/engine.h"
#include "http/api/auth.h"
#include "http/api/hook_activity.h"
#include "http/api/metrics.h"
#include "http/api/rate_limit.h"
#include "http/api/router.h"
#include "http/api/service.h"

namespace eventsd {

namespace http {
class ClusterNode;
}

struct NodeOptions {
  std::filesystem::path data_dir;
  std::size_t map_size = 0;  // of each LMDB environment; 0: the volume's size
  http::ApiOptions api;
  http::AuthOptions auth;
  http::HookOptions hooks;  // provider webhooks' limits (docs/integrations.md)
  std::vector<http::Mount> mounts;
  std::optional<http::ClusterOptions> cluster;  // set: a cluster node
};

class Node {
 public:
  // Throws what opening the stores or joining the cluster throws (nats::Unavailable when NATS
  // did not answer within a minute). `clock` times requests, sessions, rate limits, the
  // retention and the deciders; it outlives the node.
  explicit Node(NodeOptions options, const Clock& clock = system_clock());
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Lines for the start-up log.
  const std::vector<std::string>& report() const { return report_; }
  bool clustered() const { return cluster_ != nullptr; }

  http::App& app() { return *app_; }
  const http::Router& router() const { return router_; }
  http::Service& service() { return *service_; }
  TokenStore& tokens() { return *tokens_; }
  UserStore& users() { return *users_; }
  // The campaign retention, over the writers this node decides writes for now.
  void run_retention(const Writer::Done& done) const;
  std::vector<Outcome> run_retention_and_wait() const;

  // The server listens: a cluster node starts its followers, ownership and forwarding, serving
  // forwarded requests on `executor`; `advertised` is the address other nodes see.
  void serve(boost::asio::any_io_executor executor, const std::string& advertised);
  // The server started draining: streams end, forwarded requests are no longer taken.
  void draining();
  // Gives a cluster node's leases back, answers what is queued, flushes. Idempotent.
  void stop();

 private:
  std::vector<Writer*> retention_writers() const;

  NodeOptions options_;
  std::vector<std::string> report_;
  std::optional<Engine> single_;
  std::unique_ptr<http::ClusterNode> cluster_;  // a cluster node; null on a single node
  std::optional<TokenStore> single_tokens_;
  std::optional<UserStore> single_users_;
  TokenStore* tokens_ = nullptr;
  UserStore* users_ = nullptr;
  std::optional<http::RateLimiter> limiter_;
  std::optional<SourceStore> sources_;  // beside the tokens (the system store in cluster mode)
  std::optional<http::HookActivity> hooks_;
  http::Metrics metrics_;
  std::optional<http::Auth> auth_;
  std::optional<http::App> app_;
  http::Router router_;
  std::optional<http::ApiService> service_;
  const Clock& clock_;
  CampaignRetention retention_;
};

}  // namespace eventsd
