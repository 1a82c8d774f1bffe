// Which shard holds a tenant's log in cluster mode (docs/cluster.md): FNV-1a (64-bit) of the
// tenant's name, modulo the number of shards. The number is fixed when a cluster is created and
// this function never changes: every node must agree on it, across versions.
#pragma once

#include <cstdint>
#include <string_view>

namespace eventsd {

constexpr std::uint64_t fnv1a64(std::string_view bytes) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  return h;
}

constexpr unsigned shard_of(std::string_view tenant, unsigned shards) {
  return shards <= 1 ? 0 : static_cast<unsigned>(fnv1a64(tenant) % shards);
}

}  // namespace eventsd
