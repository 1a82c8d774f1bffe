// One shard's replica on this node, in cluster mode (docs/cluster.md).
//
// The shard's log lives in a JetStream stream; this node keeps a copy of it in the shard's LMDB
// log (with the write model and read models folded from it, as on a single node). Two paths write
// that copy, both on the shard's writer thread:
//   - the follower: a thread that reads the stream in order and hands each message to the writer
//     as a task, which appends its records byte for byte (Log::Appender::append_copy) at the
//     positions the message names;
//   - while this node owns the shard, the writer's replication hook: each group commit's records
//     are published to the stream before the local transaction commits — as one message, or as
//     several (up to Options::max_message_bytes each) sent without waiting for each answer
//     (nats::Publisher, at most Options::max_pending unanswered). The first is fenced with the
//     stream's expected last sequence (the last sequence this replica applied), each next one
//     with the sequence and the message id of the one before it.
// The last stream sequence applied is kept in the shard's log environment (database "replica"),
// in the same transaction as the records, so a restart resumes exactly where it stopped; a
// message already applied (this node's own publish, seen again by the follower) is skipped.
//
// Ownership: acquire() (called once the lease is held, shard_ownership.h) catches up with the stream
// and appends an owner claim fenced with its last sequence; from then on the hook publishes. A
// message that gets no answer is sent again (it and those after it, one at a time) with the same
// message id (so that it is stored once) until the stream answers, for up to Options::retry_for —
// a leader election takes seconds. One that finds the stream moved (another node claimed it), or
// that never gets an answer (the message may or may not be stored), ends ownership at once: the
// commit's commands fail with 503 (saying that part of it may be recorded when an earlier message
// of it was stored) and on_lost runs, so the owner module gives the lease up; whoever takes the
// shard next starts from what the stream holds. And a message this replica receives from the stream that it did not
// publish itself (another node's claim) ends ownership too, before this node could publish again.
//
// Sealed (cluster/seal.h): every message this node publishes carries an Eventsd-Seal header made
// with the cluster key over its position, epoch and claim headers and its body, in the context
// "<stream>#<sequence>" — the sequence its fence lets it be stored at. The follower applies only
// messages whose seal opens for the sequence they were stored at; any other (forged, or a sealed
// message published again) is skipped, counted and logged, and does not end this node's
// ownership: it changes nothing here (though it moves the stream on, so this node's next publish,
// if it comes first, finds the fence moved and the shard is taken again).
//
// Thread safety: owns(), epoch(), applied_seq() from any thread; acquire() and release() from the
// ownership thread; the setter before start().
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cluster/nats.h"
#include "cluster/seal.h"
#include "cluster/shard_messages.h"
#include "commands/writer.h"
#include "eventlog/log.h"
#include "eventlog/store.h"

namespace eventsd {

class ShardReplica {
 public:
  struct Options {
    std::chrono::milliseconds publish_wait{5'000};  // for one attempt's acknowledgement
    // How long a publish without an answer is tried again (same message id) before the outcome
    // is given up as unknown; well inside the stream's duplicate window (2 minutes).
    std::chrono::milliseconds retry_for{30'000};
    std::size_t max_in_flight = 16;                 // messages handed to the writer, not yet applied
    // A group commit is published as messages of at most this many bytes (a larger record goes
    // alone, under the servers' max_payload), at most max_pending of them unanswered at a time.
    std::size_t max_message_bytes = std::size_t{1} << 20;
    std::size_t max_pending = 8;
    int replicas = 3;                               // of the shard's stream
    std::string node;                               // this node's name (in its claims' ids)
  };

  static std::string stream_name(unsigned shard);  // "EVENTSD_S<n>"
  static std::string subject(unsigned shard);      // "eventsd.log.<n>"

  // Installs the writer's replication hook: construct before the writer starts.
  ShardReplica(nats::Connection& nats, unsigned shard, Store& store, Log& log, Writer& writer, const ClusterKey& key,
               Options options);
  ~ShardReplica();
  ShardReplica(const ShardReplica&) = delete;
  ShardReplica& operator=(const ShardReplica&) = delete;

  // Called (on the writer thread) when ownership ended because a publish failed.
  void set_on_lost(std::function<void()> on_lost) { on_lost_ = std::move(on_lost); }
  // Starts the follower, which creates the stream when missing (trying again while NATS does
  // not answer).
  void start();
  void stop();

  // Takes the shard over with `epoch`: catches up with the stream and appends the owner claim.
  // Blocks at most `within`; true when this node owns the shard now.
  bool acquire(std::uint64_t epoch, std::chrono::milliseconds within);
  // Stops deciding for the shard (the lease was lost, or the node is stopping).
  void release();

  bool owns() const { return owns_.load(); }
  std::uint64_t epoch() const { return epoch_.load(); }
  // The last stream sequence applied to the local log.
  std::uint64_t applied_seq() const;
  unsigned shard() const { return shard_; }

 private:
  // Following the stream (shard_replica_follow.cpp): the follower thread, and a message applied
  // by the writer as a task.
  void follow();
  void apply(lmdb::Txn& txn, Log::Appender& appender, const nats::Message& message);

  // Publishing as the owner (shard_replica_publish.cpp): the writer's replication hook.
  void publish(lmdb::Txn& txn, std::uint64_t first, const std::vector<std::string_view>& records);
  // A commit's records as messages, the first fenced with `expected`, each next one with the
  // sequence of the one before it.
  std::vector<nats::Outgoing> messages_of(std::uint64_t first, const std::vector<std::string_view>& records,
                                          std::uint64_t expected) const;
  // Sends a message whose first attempt got no answer again until it does (or `give_up`); its
  // sequence.
  std::uint64_t publish_again(const nats::Outgoing& message, const nats::UnknownOutcome* first_failure,
                              std::chrono::steady_clock::time_point give_up);

  // (shard_replica.cpp) The seal of a message to be stored at `seq`, and whether a message read
  // from the stream has a good one (a refusal is counted and logged).
  std::string seal(std::uint64_t seq, const nats::Headers& headers, std::string_view body) const;
  bool sealed_here(const nats::Message& message) const;
  // (shard_replica.cpp) The last stream sequence applied, as the transaction sees it.
  std::uint64_t stored_seq(const lmdb::Txn& txn) const;
  void store_seq(lmdb::Txn& txn, std::uint64_t seq) const;
  // Ownership ends (once): says why, and runs on_lost.
  void lost(const std::string& why);

  nats::Connection& nats_;
  const unsigned shard_;
  Store& store_;
  Log& log_;
  Writer& writer_;
  const ClusterKey& key_;
  Options options_;
  MDB_dbi meta_;
  std::unique_ptr<nats::Publisher> publisher_;  // the writer thread's
  std::function<void()> on_lost_;

  std::atomic<bool> owns_{false};
  std::atomic<std::uint64_t> epoch_{0};

  mutable std::mutex mutex_;
  std::condition_variable changed_;  // a task finished, or stopping
  std::size_t in_flight_ = 0;        // mutex_
  bool resync_ = false;              // mutex_: a task failed; read again from what is stored
  bool stopping_ = false;            // mutex_
  std::thread follower_;
};

}  // namespace eventsd
