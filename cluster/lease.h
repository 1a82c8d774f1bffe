// A shard's lease as the bucket `eventsd_owners` stores it (docs/cluster.md, "Ownership"): key
// `s<n>`, value `<node> <epoch>`, or `- <epoch>` for a lease given back. A wire format: nodes of
// different versions read each other's leases, so neither the key nor the value may change.
//
// What a lease guarantees, and what it does not. A lease only decides which node should *try* to
// own a shard. It is not a lock: a node paused past its lease (or cut off from NATS) still
// believes it holds the lease until its next renewal fails, and meanwhile another node may have
// taken the shard. Safety comes from the shard's stream: the new owner appends an owner claim
// fenced by the stream's last sequence, so the stale owner's next fenced append fails, and its
// writer then steps down. The epoch grows by one with every take and is kept when a lease is
// given back, so the epochs of a shard never decrease while the bucket exists.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace eventsd {

// The bucket of the leases, one key per shard.
inline constexpr const char* kOwnersBucket = "eventsd_owners";
// The holder named by a lease given back; never a node's name (cluster/placement.h).
inline constexpr std::string_view kGivenBack = "-";

struct Lease {
  std::string node;  // the holder: kGivenBack when given back, "" when the value is not a lease
  std::uint64_t epoch = 0;
  bool operator==(const Lease&) const = default;
};

// `s<shard>`.
std::string lease_key(std::uint32_t shard);
// `<node> <epoch>`; with kGivenBack for `node`, a lease given back.
std::string lease_value(std::string_view node, std::uint64_t epoch);
// Reads `<node> <epoch>`. Anything else (nothing but eventsd writes the bucket) reads as a lease
// held by nobody known, epoch 0: it expires like any lease and is then taken with epoch 1.
Lease parse_lease(std::string_view value);

}  // namespace eventsd
