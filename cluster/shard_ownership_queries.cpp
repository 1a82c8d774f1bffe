// What a ShardOwnership answers (cluster/shard_ownership.h) from what it holds and what its last
// poll saw, and the views its rounds decide by: the live nodes, each shard's preferred node and
// owner.

#include "cluster/shard_ownership.h"

#include <algorithm>
#include <utility>

#include "cluster/lease.h"
#include "cluster/placement.h"

namespace eventsd {

bool ShardOwnership::owns(std::uint32_t shard) const {
  std::lock_guard lock(mu_);
  return shard < shards_ && claims_[shard].phase == Claim::kHeld;
}

std::optional<ShardOwnership::Owner> ShardOwnership::owner(std::uint32_t shard) const {
  if (shard >= shards_) return std::nullopt;
  std::lock_guard lock(mu_);
  return owner_locked(shard, clock_.steady());
}

std::optional<ShardOwnership::Owner> ShardOwnership::owner_locked(std::uint32_t shard, Instant now) const {
  const auto& m = claims_[shard];
  if (m.phase != Claim::kNone) return Owner{node_, m.epoch};
  const auto& seen = leases_[shard];
  // While the buckets cannot be read (an election of their stream), a lease's age says nothing:
  // the holder last seen is the best guess, and it answers for itself if it no longer owns it.
  if (!seen.entry || (!last_poll_failed_ && seen.expired(now, lease_))) return std::nullopt;
  auto lease = parse_lease(seen.entry->value);
  if (lease.node.empty() || lease.node == kGivenBack || lease.node == node_) return std::nullopt;
  return Owner{lease.node, lease.epoch};
}

std::vector<ShardOwnership::ShardStatus> ShardOwnership::status() const {
  std::vector<ShardStatus> out;
  out.reserve(shards_);
  std::lock_guard lock(mu_);
  const auto now = clock_.steady();
  for (std::uint32_t s = 0; s < shards_; ++s) {
    auto who = owner_locked(s, now);
    const auto& m = claims_[s];
    const auto& seen = leases_[s];
    ShardStatus status{s, who ? who->node : "", 0, 0, m.phase == Claim::kHeld};
    if (m.phase != Claim::kNone) {
      status.epoch = m.epoch;
      status.revision = renewer_.revision(s);
    } else if (seen.entry) {
      status.epoch = parse_lease(seen.entry->value).epoch;
      status.revision = seen.entry->revision;
    }
    out.push_back(std::move(status));
  }
  return out;
}

std::vector<std::string> ShardOwnership::live_nodes(Instant now) const {
  std::vector<std::string> live;
  if (started_ && !stopping_) live.push_back(node_);
  for (auto& node : registry_.live(now)) live.push_back(std::move(node.name));
  std::sort(live.begin(), live.end());
  return live;
}

std::vector<ShardOwnership::Node> ShardOwnership::nodes() const {
  std::lock_guard lock(mu_);
  auto out = registry_.live(clock_.steady());
  if (started_ && !stopping_) out.push_back({node_, info_});
  std::sort(out.begin(), out.end(), [](const Node& a, const Node& b) { return a.name < b.name; });
  return out;
}

std::string ShardOwnership::preferred(std::uint32_t shard) const {
  if (shard >= shards_) return "";
  std::lock_guard lock(mu_);
  return preferred_locked(shard, clock_.steady());
}

std::string ShardOwnership::preferred_locked(std::uint32_t shard, Instant now) const {
  return preferred_node(live_nodes(now), shard);
}

}  // namespace eventsd
