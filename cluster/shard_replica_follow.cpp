// Following a shard's stream: the follower thread reads it in order from the last sequence
// applied and hands each message to the writer as a task (at most Options::max_in_flight at a
// time), which appends its records byte for byte at the positions the message names — or skips
// what this replica holds already, and ends this node's ownership when another node appended.
#include <cstdio>
#include <memory>
#include <stdexcept>

#include "cluster/shard_replica.h"
#include "common/parse.h"

namespace eventsd {

namespace {

constexpr auto kReadWait = std::chrono::milliseconds(200);

std::uint64_t header_u64(const std::string& text, const char* what) {
  if (auto v = parse_u64(text)) return *v;
  throw std::runtime_error(std::string("bad ") + what + " header");
}

}  // namespace

void ShardReplica::follow() {
  bool first = true;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      // After a failure, a pause: a message that cannot be applied must not spin the thread.
      if (!first) changed_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_; });
      first = false;
      if (stopping_) return;
      resync_ = false;
    }
    std::unique_ptr<nats::StreamReader> reader;
    try {
      // Created here, not at start: a cluster restarting may not answer JetStream requests yet.
      nats_.ensure_stream({stream_name(shard_), {subject(shard_)}, options_.replicas, std::chrono::seconds(120)});
      reader = nats_.read(stream_name(shard_), subject(shard_), applied_seq() + 1);
    } catch (const nats::Error& e) {
      std::fprintf(stderr, "eventsd: shard %u: cannot read its stream: %s\n", shard_, e.what());
      continue;
    }
    while (true) {
      {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return stopping_ || resync_ || in_flight_ < options_.max_in_flight; });
        if (stopping_) return;
        if (resync_) break;
      }
      std::optional<nats::Message> message;
      try {
        message = reader->next(kReadWait);
      } catch (const nats::Error& e) {
        std::fprintf(stderr, "eventsd: shard %u: reading its stream: %s\n", shard_, e.what());
        break;
      }
      if (!message) continue;
      {
        std::lock_guard lock(mutex_);
        ++in_flight_;
      }
      auto shared = std::make_shared<nats::Message>(std::move(*message));
      writer_.submit_task(
          [this, shared](lmdb::Txn& txn, Log::Appender& appender) { apply(txn, appender, *shared); },
          [this, seq = shared->seq](std::exception_ptr failure) {
            std::lock_guard lock(mutex_);
            --in_flight_;
            if (failure) {
              try {
                std::rethrow_exception(failure);
              } catch (const std::exception& e) {
                std::fprintf(stderr, "eventsd: shard %u: stream message %llu not applied: %s\n", shard_,
                             static_cast<unsigned long long>(seq), e.what());
              }
              resync_ = true;
            }
            changed_.notify_all();
          });
    }
  }
}

void ShardReplica::apply(lmdb::Txn& txn, Log::Appender& appender, const nats::Message& message) {
  const std::uint64_t stored = stored_seq(txn);
  if (message.seq <= stored) return;  // applied already: this node published it
  if (message.seq != stored + 1) {
    throw std::runtime_error("stream sequence " + std::to_string(message.seq) + " does not follow " +
                             std::to_string(stored));
  }
  // Not sealed by a node for this place in the stream: passed by, changing nothing here.
  if (!sealed_here(message)) {
    store_seq(txn, message.seq);
    return;
  }
  // While this node owns the shard, only its own publishes extend the stream, and those are
  // applied by the writer as they are acknowledged: a message this replica has not applied was
  // appended by another node (its claim, then its batches). This node's fence would now expect
  // that message, so it must stop deciding here, before its next publish could pass.
  auto foreign = [&] {
    if (owns_.load()) lost("another node appended to the shard's stream");
  };
  if (message.headers.contains(shard_header::kClaim)) {
    foreign();
    store_seq(txn, message.seq);
    return;
  }
  auto it = message.headers.find(shard_header::kPosition);
  if (it == message.headers.end()) throw std::runtime_error("a stream message without Eventsd-Position");
  const std::uint64_t first = header_u64(it->second, shard_header::kPosition);
  const auto records = decode_records(message.data);
  if (records.empty()) throw std::runtime_error("a stream message without records or a claim");
  const std::uint64_t head = appender.head().position;
  if (first <= head) {
    // Records this replica holds already: a batch stored twice (a publish retried across a
    // leader change, whose first attempt the new leader did not know of yet). Skipped — if it
    // is the same batch; anything else means the stream and this replica disagree.
    if (first + records.size() - 1 > head) {
      throw std::runtime_error("a stream message overlaps the end of the local log (positions " +
                               std::to_string(first) + ".., the log ends at " + std::to_string(head) + ")");
    }
    for (std::size_t i = 0; i < records.size(); ++i) {
      std::string_view held;
      if (!log_.read(txn, first + i, held) || held != records[i]) {
        throw std::runtime_error("stream message " + std::to_string(message.seq) + " differs from the local log at position " +
                                 std::to_string(first + i));
      }
    }
    store_seq(txn, message.seq);
    return;
  }
  if (first != head + 1) {
    throw std::runtime_error("a stream message starts at position " + std::to_string(first) +
                             ", the local log ends at " + std::to_string(head));
  }
  foreign();
  for (auto record : records) appender.append_copy(record);
  store_seq(txn, message.seq);
}

}  // namespace eventsd
