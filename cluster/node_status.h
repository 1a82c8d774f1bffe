// What a cluster node tells about its shards when asked (docs/cluster.md, "Status"): each node
// serves requests on `eventsd.node.<name>.status` and answers this document as JSON;
// `eventctl cluster status` asks every live node and sets the figures beside the streams' last
// sequences and the owners' leases.
//
//   {"node":"a","shards":[{"shard":0,"owns":true,"epoch":3,"applied_seq":120,
//                          "log_position":480,"read_position":480}, ...]}
//
// applied_seq: the last stream sequence the node's replica of the shard applied (its lag is the
// stream's last sequence minus this); log_position: the replica's log head; read_position: the
// last position folded into its read models; owns/epoch: whether it decides the shard's writes
// now, with the epoch of its last claim.
//
// Thread safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/json_writer.h"

namespace eventsd {

struct NodeShardStatus {
  std::uint32_t shard = 0;
  bool owns = false;
  std::uint64_t epoch = 0;
  std::uint64_t applied_seq = 0;
  std::uint64_t log_position = 0;
  std::uint64_t read_position = 0;
  bool operator==(const NodeShardStatus&) const = default;
};

struct NodeStatus {
  std::string node;
  std::vector<NodeShardStatus> shards;
  bool operator==(const NodeStatus&) const = default;
};

// The subject a node answers its status on.
std::string node_status_subject(std::string_view node);
std::string encode_node_status(const NodeStatus& status);
// One shard's fields, inside an object the caller opened (eventctl adds its own beside them).
void write_shard_status(JsonWriter& w, const NodeShardStatus& s);
// Throws std::runtime_error when `json` is not such a document (a field missing or of the wrong
// type, a number that is not an unsigned 64-bit integer).
NodeStatus decode_node_status(std::string_view json);

}  // namespace eventsd
