// Placement in cluster mode (docs/cluster.md): which shard holds a tenant's log, which node should
// own a shard, and what a node may be named. Every node must agree on the first two, across
// versions: these functions never change.
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/hash.h"

namespace eventsd {

// FNV-1a (64-bit) of the tenant's name, modulo the number of shards (fixed when a cluster is
// created).
constexpr unsigned shard_of(std::string_view tenant, unsigned shards) {
  return shards <= 1 ? 0 : static_cast<unsigned>(fnv1a64(tenant) % shards);
}

// The rendezvous weight of (node, shard): the node that should own a shard is the live node with
// the highest weight (docs/cluster.md, "Ownership"), so when a node comes or goes only the
// shards it wins or held change hands.
constexpr std::uint64_t rendezvous_weight(std::string_view node, std::uint32_t shard) {
  // FNV-1a over the name, a zero byte and the shard (little-endian), then SplitMix64's finalizer
  // so that names differing in one character spread over the whole range.
  Fnv1a64 fnv;
  fnv.add(node).add(0);
  for (int i = 0; i < 4; ++i) fnv.add(static_cast<unsigned char>(shard >> (8 * i)));
  std::uint64_t h = fnv.value();
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

// Of `nodes`, the one with the highest rendezvous weight for `shard` (of equal weights, the
// greatest name); "" when there is none.
inline std::string preferred_node(const std::vector<std::string>& nodes, std::uint32_t shard) {
  std::string best;
  std::uint64_t best_weight = 0;
  for (const auto& name : nodes) {
    const auto w = rendezvous_weight(name, shard);
    if (best.empty() || w > best_weight || (w == best_weight && name > best)) {
      best = name;
      best_weight = w;
    }
  }
  return best;
}

// A node's name: 1-64 of [A-Za-z0-9_-], not "-" (an ownership lease's "given back" mark). Also
// what keeps a name from being a NATS subject wildcard.
constexpr bool is_valid_node_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name == "-") return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace eventsd
