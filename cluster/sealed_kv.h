// The cluster's key-value buckets (leases, the node registry, the cluster's configuration) read
// and written with seals (cluster/seal.h): a value is stored as "<value>\n<seal>", the seal made
// by this node over the value in the context "kv/<bucket>/<key>" (so a value cannot be moved to
// another key). A value read back is returned without its seal when the seal opens and was made
// within the key's window of the time the NATS server stored it (so an old value written again
// is refused); otherwise the entry reads as kRefused, counted on the key's RefusalCounts and
// logged — a value nobody holds ("-": a lease given back, a node that left, no configuration) —
// with its revision, so a node can still write over it.
//
// Thread safety: as the Connection's (any thread); the ClusterKey outlives this object.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "cluster/nats.h"
#include "cluster/seal.h"

namespace eventsd {

class SealedKv {
 public:
  // What a refused entry reads as.
  static constexpr std::string_view kRefused = "-";

  SealedKv(nats::Connection& nats, const ClusterKey& key, std::string node)
      : nats_(nats), key_(key), node_(std::move(node)) {}

  std::optional<nats::KvEntry> get(const std::string& bucket, const std::string& key);
  nats::KvWrite create(const std::string& bucket, const std::string& key, std::string_view value);
  nats::KvWrite update(const std::string& bucket, const std::string& key, std::string_view value,
                       std::uint64_t revision);
  std::map<std::string, nats::KvEntry> all(const std::string& bucket);

  // The stored form of `value` (tests: what a forger would have to produce).
  std::string sealed(const std::string& bucket, const std::string& key, std::string_view value) const;
  // The value of a stored entry, or kRefused (counted).
  nats::KvEntry opened(const std::string& bucket, const std::string& key, nats::KvEntry entry) const;

  nats::Connection& connection() { return nats_; }

 private:
  nats::Connection& nats_;
  const ClusterKey& key_;
  const std::string node_;
};

}  // namespace eventsd
