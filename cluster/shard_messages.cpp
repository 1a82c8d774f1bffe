// A shard's stream messages: the records' encoding and the message ids.
#include "cluster/shard_messages.h"

#include <cstdio>
#include <stdexcept>

#include "common/hash.h"

namespace eventsd {

namespace {

// 16 hex digits of FNV-1a (64-bit) over a message's body: tells two batches at one position apart.
std::string content_digest(std::string_view body) {
  const std::uint64_t h = fnv1a64(body);
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

}  // namespace

std::string encode_records(const std::vector<std::string_view>& records) {
  std::size_t size = 0;
  for (auto r : records) size += 4 + r.size();
  std::string out;
  out.reserve(size);
  for (auto r : records) {
    const auto n = static_cast<std::uint32_t>(r.size());
    const char len[4] = {static_cast<char>(n & 0xff), static_cast<char>((n >> 8) & 0xff),
                         static_cast<char>((n >> 16) & 0xff), static_cast<char>((n >> 24) & 0xff)};
    out.append(len, 4).append(r);
  }
  return out;
}

std::vector<std::string_view> decode_records(std::string_view body) {
  std::vector<std::string_view> out;
  while (!body.empty()) {
    if (body.size() < 4) throw std::runtime_error("a stream message ends inside a record's length");
    const auto* b = reinterpret_cast<const unsigned char*>(body.data());
    const std::uint32_t n = b[0] | (b[1] << 8) | (b[2] << 16) | (std::uint32_t{b[3]} << 24);
    if (body.size() - 4 < n) throw std::runtime_error("a stream message ends inside a record");
    out.push_back(body.substr(4, n));
    body.remove_prefix(4 + n);
  }
  return out;
}

std::string batch_message_id(unsigned shard, std::uint64_t epoch, std::uint64_t position, std::string_view body) {
  return "s" + std::to_string(shard) + "-e" + std::to_string(epoch) + "-p" + std::to_string(position) + "-" +
         content_digest(body);
}

std::string claim_message_id(unsigned shard, std::uint64_t epoch, const std::string& node) {
  return "s" + std::to_string(shard) + "-e" + std::to_string(epoch) + "-" + node + "-claim";
}

}  // namespace eventsd
