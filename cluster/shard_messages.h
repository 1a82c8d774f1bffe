// What a shard's stream messages hold (docs/cluster.md, "The design"): a batch's body — the
// records, each a 4-byte little-endian length and the bytes — its headers, and the message ids
// that make a retried publish stored once and tell two batches at one position apart.
//
// Pure functions and constants; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace eventsd {

namespace shard_header {
// The shard-log position of a batch's first record.
inline constexpr const char* kPosition = "Eventsd-Position";
// The epoch of the owner that published the message.
inline constexpr const char* kEpoch = "Eventsd-Epoch";
// On an owner claim (no records): the epoch it claims.
inline constexpr const char* kClaim = "Eventsd-Claim";
}  // namespace shard_header

// A stream message's body: the records, each a 4-byte little-endian length and the bytes.
std::string encode_records(const std::vector<std::string_view>& records);
// Throws std::runtime_error when `body` is not a sequence of whole records.
std::vector<std::string_view> decode_records(std::string_view body);

// A batch's message id, "s<shard>-e<epoch>-p<position>-<digest>" (16 hex digits of FNV-1a over
// the body): a publish retried with it is stored once, and a different batch at the same position
// (decided again after a local commit failed) is a different message.
std::string batch_message_id(unsigned shard, std::uint64_t epoch, std::uint64_t position, std::string_view body);
// An owner claim's message id, "s<shard>-e<epoch>-<node>-claim".
std::string claim_message_id(unsigned shard, std::uint64_t epoch, const std::string& node);

}  // namespace eventsd
