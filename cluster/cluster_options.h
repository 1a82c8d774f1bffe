// How a node joins a cluster (docs/cluster.md): eventsd's --nats, --node, --shards,
// --nats-replicas and --lease-ms. A plain value.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace eventsd::http {

struct ClusterOptions {
  std::vector<std::string> nats;  // nats://host:port of the NATS servers
  std::string node;               // this node's name: unique in the cluster, [A-Za-z0-9_-]{1,64}
  unsigned shards = 0;            // 0: the cluster's (4 when this node creates the cluster)
  int replicas = 3;               // of the streams and buckets this node creates
  std::chrono::milliseconds lease{6'000};
  std::chrono::milliseconds forward_timeout{30'000};  // a forwarded request's answer, at most
};

}  // namespace eventsd::http
