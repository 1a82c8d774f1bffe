// eventsd cluster nodes for end-to-end tests (docs/cluster.md): real eventsd processes joined to a
// NatsCluster, each with its own temporary data directory, and what tests ask of them.
//
// Not thread-safe: start, stop and kill nodes from the test's main thread; client() and owners()
// from any thread while the node runs.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/eventually.h"
#include "tests/support/http_client.h"
#include "tests/support/nats_cluster.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

namespace eventsd::test {

// "a,b,c"
std::string joined(const std::vector<std::string>& urls);

// `eventctl token create --nats` (with the cluster's client_flags()): a token every node knows
// (fails the test on error).
std::string cluster_token(const NatsCluster& nats, const std::string& tenant);
// `eventctl token create --nats --operator`: an operator's token every node knows.
std::string cluster_operator_token(const NatsCluster& nats);

// One eventsd node: `eventsd --nats ... --node NAME --shards S --lease-ms L --threads 2` (and the
// cluster's client_flags()), started at construction; its data directory lives as long as the
// object (start() again after a kill).
class Node {
 public:
  Node(const NatsCluster& nats, std::string name, int shards = 4, int lease_ms = 1500);
  void start();
  void kill9();
  int terminate();  // SIGTERM: the exit status
  void pause();     // SIGSTOP
  void resume();    // SIGCONT
  bool running() const { return process_ != nullptr; }
  HttpClient client(const std::string& token) const { return HttpClient(process_->port(), token); }
  const std::string& name() const { return name_; }

  // Shard owners as this node's /healthz shows them to an operator ("" for none, and for an
  // owner that is not the shard's preferred node: about to hand it over; empty when it does not
  // answer, or does not know the operator's token yet).
  std::vector<std::string> owners() const;

 private:
  const NatsCluster& nats_;
  std::string name_;
  std::string operator_token_;  // the node's own, made with it
  int shards_;
  int lease_ms_;
  TempDir dir_;
  std::unique_ptr<ServerProcess> process_;
};

}  // namespace eventsd::test
