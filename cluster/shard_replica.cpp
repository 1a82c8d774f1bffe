// A shard's replica: its construction (which installs the writer's replication hook), the
// follower's start and stop, the last stream sequence applied (kept in the "replica" database,
// committed with the records), and the end of ownership. Following the stream is in
// shard_replica_follow.cpp, publishing as the owner in shard_replica_publish.cpp, taking the
// shard over in shard_replica_claim.cpp.
#include "cluster/shard_replica.h"

#include <pthread.h>

#include <cstdio>

#include "eventlog/keys.h"

namespace eventsd {

namespace {

constexpr std::string_view kSeqKey = "stream_seq";

}  // namespace

std::string ShardReplica::stream_name(unsigned shard) { return "EVENTSD_S" + std::to_string(shard); }
std::string ShardReplica::subject(unsigned shard) { return "eventsd.log." + std::to_string(shard); }

ShardReplica::ShardReplica(nats::Connection& nats, unsigned shard, Store& store, Log& log, Writer& writer,
                           const ClusterKey& key, Options options)
    : nats_(nats), shard_(shard), store_(store), log_(log), writer_(writer), key_(key), options_(options),
      meta_(store.db("replica")), publisher_(nats.publisher(subject(shard), options.max_pending)) {
  writer_.set_replication([this](lmdb::Txn& txn, std::uint64_t first, const std::vector<std::string_view>& records) {
    publish(txn, first, records);
  });
}

ShardReplica::~ShardReplica() { stop(); }

void ShardReplica::start() {
  follower_ = std::thread([this] {
    pthread_setname_np(pthread_self(), ("follow-" + std::to_string(shard_)).substr(0, 15).c_str());
    follow();
  });
}

void ShardReplica::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (follower_.joinable()) follower_.join();
  // Tasks still queued refer to this object: wait for the writer to finish them.
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return in_flight_ == 0; });
}

namespace {

std::string context_of(unsigned shard, std::uint64_t seq) {
  return ShardReplica::stream_name(shard) + "#" + std::to_string(seq);
}

std::string_view header_or_empty(const nats::Headers& headers, const char* name) {
  const auto it = headers.find(name);
  return it == headers.end() ? std::string_view() : std::string_view(it->second);
}

}  // namespace

std::string ShardReplica::seal(std::uint64_t seq, const nats::Headers& headers, std::string_view body) const {
  return key_.seal(context_of(shard_, seq), options_.node,
                   {header_or_empty(headers, shard_header::kPosition), header_or_empty(headers, shard_header::kEpoch),
                    header_or_empty(headers, shard_header::kClaim), body});
}

bool ShardReplica::sealed_here(const nats::Message& message) const {
  const auto text = message.headers.find(kSealHeader);
  std::optional<Refusal> refusal;
  if (text == message.headers.end()) {
    refusal = Refusal::unsealed;
  } else {
    const auto opened = key_.open(context_of(shard_, message.seq), text->second,
                                  {header_or_empty(message.headers, shard_header::kPosition),
                                   header_or_empty(message.headers, shard_header::kEpoch),
                                   header_or_empty(message.headers, shard_header::kClaim), message.data});
    if (const auto* why = std::get_if<Refusal>(&opened)) refusal = *why;
  }
  if (!refusal) return true;
  key_.refused().count(Sealed::shard, *refusal);
  std::fprintf(stderr, "eventsd: shard %u: skipped stream message %llu: %s\n", shard_,
               static_cast<unsigned long long>(message.seq), name_of(*refusal));
  return false;
}

std::uint64_t ShardReplica::stored_seq(const lmdb::Txn& txn) const {
  std::string_view v;
  if (!txn.get(meta_, kSeqKey, v) || v.size() != 8) return 0;
  return keys::load_native_u64(v);
}

void ShardReplica::store_seq(lmdb::Txn& txn, std::uint64_t seq) const {
  txn.put(meta_, kSeqKey, keys::native_u64(seq));
}

std::uint64_t ShardReplica::applied_seq() const {
  auto reader = store_.read();
  return stored_seq(reader.txn());
}

void ShardReplica::lost(const std::string& why) {
  if (!owns_.exchange(false)) return;
  std::fprintf(stderr, "eventsd: shard %u: no longer its owner: %s\n", shard_, why.c_str());
  if (on_lost_) on_lost_();
}

void ShardReplica::release() { owns_ = false; }

}  // namespace eventsd
