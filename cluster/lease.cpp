#include "cluster/lease.h"

#include "common/parse.h"

namespace eventsd {

std::string lease_key(std::uint32_t shard) { return "s" + std::to_string(shard); }

std::string lease_value(std::string_view node, std::uint64_t epoch) {
  return std::string(node) + " " + std::to_string(epoch);
}

Lease parse_lease(std::string_view value) {
  Lease lease;
  const auto space = value.find(' ');
  if (space == std::string_view::npos) return lease;
  const auto epoch = parse_u64(value.substr(space + 1));
  if (!epoch) return lease;
  lease.node = std::string(value.substr(0, space));
  lease.epoch = *epoch;
  return lease;
}

}  // namespace eventsd
