// Placement in cluster mode (docs/cluster.md): which shard holds a tenant's log — FNV-1a (64-bit)
// of the tenant's name, modulo the number of shards. The number is fixed when a cluster is
// created and this function never changes: every node must agree on it, across versions. And
// what a node may be named.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/hash.h"

namespace eventsd {

constexpr unsigned shard_of(std::string_view tenant, unsigned shards) {
  return shards <= 1 ? 0 : static_cast<unsigned>(fnv1a64(tenant) % shards);
}

// A node's name: 1-64 of [A-Za-z0-9_-], not "-" (an ownership lease's "free" mark). Also what
// keeps a name from being a NATS subject wildcard.
constexpr bool is_valid_node_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name == "-") return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace eventsd
