// A node of a cluster (docs/cluster.md): what `eventsd --nats ... --node NAME` runs instead of the
// single node's one log.
//
//   DIR/system          tokens, users, sessions, sources: replicated through the stream EVENTSD_SYSTEM
//                       (cluster/system_log.h)
//   DIR/shards/<n>/log  shard n's replica of its stream, with its write model (cluster/shard_replica.h)
//   DIR/shards/<n>/read shard n's read-model generations
//
// Every node folds every shard, so reads are served where they arrive. Writes are decided by the
// shard's owner (cluster/shard_ownership.h): a node that does not own a tenant's shard forwards the
// request to the owner (cluster/forward.h) — this object is the App's WriteRouting. While started, it
// answers its status (cluster/node_status.h) on `eventsd.node.<name>.status`, for
// `eventctl cluster status`.
//
// Lifetime: construct (connects to NATS, learns or sets the number of shards, opens every store),
// start() once the server exists (the forwarder serves through its router and executor), stop()
// after the server stopped serving and before it is destroyed (leases are given back first, so
// other nodes take the shards over at once).
//
// Thread safety: the WriteRouting and AccountWriter members may be called from any thread (the
// server's I/O threads); start(), stop() and draining() from the owner's thread, in that order.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "accounts/tokens.h"
#include "accounts/users.h"
#include "cluster/cluster_options.h"
#include "cluster/forward.h"
#include "cluster/nats.h"
#include "cluster/node_status.h"
#include "cluster/shard_ownership.h"
#include "cluster/shard_replica.h"
#include "cluster/sealed_kv.h"
#include "cluster/system_log.h"
#include "engine/engine.h"
#include "eventlog/store.h"
#include "http/api/api.h"

namespace eventsd::http {

class Router;

class ClusterNode : public WriteRouting, public AccountWriter {
 public:
  static constexpr unsigned kDefaultShards = 4;
  static constexpr unsigned kMaxShards = 1024;
  static constexpr const char* kClusterBucket = "eventsd_cluster";
  // The NATS servers' max_payload must be at least this: a forwarded request carries a whole
  // request body (up to 1 MiB), and a group commit is one stream message (docs/cluster.md).
  static constexpr std::size_t kMinMaxPayload = std::size_t{4} << 20;
  // How many stream messages a node may lag behind on a shard and still be handed it.
  static constexpr std::uint64_t kHandOverSlack = 64;

  // Throws std::invalid_argument when `shards` differs from the cluster's, nats::Unavailable when
  // no NATS server answers.
  ClusterNode(const std::filesystem::path& data_dir, ClusterOptions options, std::size_t map_size);
  ~ClusterNode() override;
  ClusterNode(const ClusterNode&) = delete;
  ClusterNode& operator=(const ClusterNode&) = delete;

  // Lines for the start-up log.
  const std::vector<std::string>& report() const { return report_; }
  unsigned shards() const { return static_cast<unsigned>(engines_.size()); }
  Store& system() { return system_; }
  TokenStore& tokens() { return tokens_; }
  UserStore& users() { return users_; }
  SystemLog& system_log() { return system_log_; }
  const ClusterKey& key() const { return key_; }
  nats::Connection& nats() { return nats_; }
  ShardOwnership* ownership() { return ownership_.get(); }
  // One Engine per shard, in shard order, for App::engines.
  std::vector<Engine*> engines();
  // The writers of the shards this node owns now (the campaign retention runs on each).
  std::vector<Writer*> owned_writers();

  // Starts the followers, the read sides, the forwarder (serving through `router` on `executor`)
  // and the ownership of shards; `advertised` is what other nodes see of this one (its address).
  void start(const Router& router, App& app, boost::asio::any_io_executor executor, std::string advertised);
  void stop();
  // The server started draining: stop answering requests other nodes forward here.
  void draining() {
    if (forwarder_) forwarder_->stop_serving();
  }
  // What this node answers on its status subject.
  NodeStatus status() const;

  // WriteRouting
  unsigned shard(std::string_view tenant) const override;
  bool decides(std::string_view tenant) const override;
  boost::asio::awaitable<Response> forward(const Request& request) override;
  const std::string& node() const override { return options_.node; }
  std::string owner(unsigned shard) const override;
  std::string preferred(unsigned shard) const override;
  // AccountWriter: through the system log, so that every node gets the change.
  void write(const std::function<void(lmdb::Txn&)>& f) override;

 private:
  struct Shard {
    std::unique_ptr<Engine> engine;
    std::unique_ptr<ShardReplica> replica;
  };

  ClusterOptions options_;
  std::vector<std::string> report_;
  ClusterKey key_;
  nats::Connection nats_;
  SealedKv kv_;
  Store system_;
  TokenStore tokens_;
  UserStore users_;
  SystemLog system_log_;
  std::vector<Shard> engines_;
  std::unique_ptr<ShardOwnership> ownership_;
  std::unique_ptr<Forwarder> forwarder_;
  std::unique_ptr<nats::Connection::Service> status_service_;
  const Router* router_ = nullptr;
  bool started_ = false;
};

}  // namespace eventsd::http
