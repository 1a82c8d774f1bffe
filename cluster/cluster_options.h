// How a node joins a cluster (docs/cluster.md): eventsd's --nats, --node, --shards,
// --nats-replicas, --lease-ms, --cluster-key-file and --cluster-window-ms. A plain value.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "cluster/nats.h"

namespace eventsd::http {

struct ClusterOptions {
  std::vector<std::string> nats;  // nats://host:port of the NATS servers
  std::string node;               // this node's name: unique in the cluster, [A-Za-z0-9_-]{1,64}
  unsigned shards = 0;            // 0: the cluster's (4 when this node creates the cluster)
  int replicas = 3;               // of the streams and buckets this node creates
  std::chrono::milliseconds lease{6'000};
  std::chrono::milliseconds forward_timeout{30'000};  // a forwarded request's answer, at most
  // The cluster key (cluster/seal.h): the file that holds it, and how far a sealed value's time
  // may be from the time it is checked against (the clocks' skew plus NATS's delay).
  std::string cluster_key_file;
  std::chrono::milliseconds cluster_window{60'000};

  // How the node's NATS connection proves who it is and is encrypted (docs/cluster.md,
  // "Securing NATS"): --nats-creds, --nats-user-file, --nats-nkey-seed, --nats-ca, --nats-cert,
  // --nats-key (cluster/nats_flags.h).
  nats::Security nats_security;
};

}  // namespace eventsd::http
