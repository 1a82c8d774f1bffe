// SystemLog: the system databases (tokens, users, sessions, sources) of a cluster node, replicated through
// the JetStream stream EVENTSD_SYSTEM (docs/cluster.md, "Tokens, users and sessions").
//
// Every node keeps the system databases in an LMDB environment of its own (DIR/system) and
// changes it only by applying the stream's messages, in stream order, on one follower thread.
// A write runs the caller's function in a write transaction of that environment with a journal
// attached (lmdb::Txn::record_to), aborts the transaction (nothing is changed locally), publishes
// the journal as one message, and returns once this node's follower has applied that message:
// so the answer to a request that created a token is sent only after the token works here, and
// it works on every other node as soon as their followers reach the same message.
//
// Consistency. The function sees the node's current state (everything its follower applied, and
// nothing of the write in progress: writes on one node are serialised from the function to the
// local apply, so one write sees the ones this node made before). Two nodes changing the same key
// at once are ordered by the stream: the change published last wins on every node, and a lost race
// on one key (two administrators editing one user at once) ends with one of the two versions
// everywhere, as on a single node.
//
// Sealed (cluster/seal.h): each message carries an Eventsd-Seal header made with the cluster key
// over its body in the context "system#<sequence>", the stream sequence it must be stored at; it
// is published fenced with the sequence before that one (and sealed again for the next sequence
// when another node's change took it). A follower applies only a message whose seal opens for
// the sequence it was stored at: a forged message, or a sealed one published again later (a
// revoked token's creation, replayed), is skipped — counted, logged, its sequence passed — and
// the follower goes on. So is a sealed message it cannot read (a format or database this version
// does not know): every node skips it alike, so none differs from the others.
//
// The message (format 1), a compact binary encoding; varint is unsigned LEB128:
//   byte    1                      the format
//   varint  n                      the number of changes, then n times, in the order made:
//   varint  len, bytes             the database's name ("tokens", "users", "sessions", "sources")
//   byte    0 put | 1 delete
//   varint  len, bytes             the key
//   varint  len, bytes             the value (put only)
// Databases are named, never numbered: a dbi is a handle of one process's environment.
// The stream holds what the databases hold: hashes of secrets and passwords, and one kind of secret
// a hash cannot stand for, a Mailgun source's webhook signing key (an HMAC key, accounts/sources.h;
// docs/security.md, "Provider webhooks").
//
// The last applied stream sequence is stored in the database "system_log" of the same
// environment, in the transaction that applies the message, so a restarted node resumes after
// it and applies nothing twice.
//
// Thread safety: write() and publish() may be called from any thread (they serialise); start() and
// stop() from the owner's thread. The Connection and the Store outlive the SystemLog.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "eventlog/lmdb.h"
#include "cluster/nats.h"
#include "cluster/seal.h"
#include "eventlog/store.h"

namespace eventsd {

inline constexpr const char* kSystemStream = "EVENTSD_SYSTEM";
inline constexpr const char* kSystemSubject = "eventsd.system";

// One change of a message, its database named.
struct SystemChange {
  std::string db;
  std::string key;
  std::optional<std::string> value;  // nullopt: delete
  bool operator==(const SystemChange&) const = default;
};
std::string encode_system_changes(const std::vector<SystemChange>& changes);
// Throws std::invalid_argument for bytes that are not a message of format 1.
std::vector<SystemChange> decode_system_changes(std::string_view message);

struct SystemLogOptions {
  int replicas = 3;  // of the stream, when this creates it (an existing one must match)
  // A write's bound: publishing and the local apply together. Past it write() throws
  // nats::Unavailable (the change may still be applied later, everywhere).
  std::chrono::milliseconds timeout{5'000};
  // The replicated databases; a write touching any other is refused (std::logic_error).
  std::vector<std::string> databases = {"tokens", "users", "sessions", "sources"};
};

class SystemLog {
 public:
  // Opens the databases (start-up) and creates or checks the stream (throws nats::Unavailable
  // when no server answers, nats::Error for a stream configured otherwise).
  // `key` seals what this node publishes and opens what it applies; `node` names this node in
  // its seals.
  SystemLog(nats::Connection& nats, Store& system, const ClusterKey& key, std::string node,
            SystemLogOptions options = {});
  ~SystemLog();  // stops the follower
  SystemLog(const SystemLog&) = delete;
  SystemLog& operator=(const SystemLog&) = delete;

  // Starts the follower: reads the stream from the last applied sequence + 1 and applies each
  // message in its own transaction. It rides out an unreachable server (retrying) and skips a
  // message that is not sealed for its place or cannot be read (above); a storage error stops it,
  // and failure() says why: applying past it would make this node differ from the others.
  void start();
  void stop();

  // Runs f(txn) in a write transaction with a journal, aborts it, publishes the changes and
  // waits until this node applied them; returns f's result. A write that changes nothing
  // publishes nothing. Throws what f throws (nothing published), nats::Unavailable when the
  // change was not acknowledged or not applied here within options.timeout (or the follower
  // stopped), std::logic_error when f writes outside the replicated databases.
  template <class F>
  std::invoke_result_t<F&, lmdb::Txn&> write(F&& f) {
    using R = std::invoke_result_t<F&, lmdb::Txn&>;
    const auto deadline = Clock::now() + options_.timeout;
    auto turn = take_turn(deadline);
    if constexpr (std::is_void_v<R>) {
      const std::uint64_t seq = publish_recorded([&](lmdb::Txn& txn) { f(txn); }, deadline);
      wait_applied(seq, deadline);
    } else {
      std::optional<R> result;
      const std::uint64_t seq = publish_recorded([&](lmdb::Txn& txn) { result.emplace(f(txn)); }, deadline);
      wait_applied(seq, deadline);
      return std::move(*result);
    }
  }

  // Like write(), but returns once the stream acknowledged the message, without waiting for a
  // local apply (a tool that has no follower: eventctl token create --nats). Returns the
  // message's stream sequence (0: nothing changed, nothing published).
  std::uint64_t publish(const std::function<void(lmdb::Txn&)>& f);

  // The last stream sequence applied to the store.
  std::uint64_t applied_seq() const;
  // Messages the follower applied since this object was made (tests: nothing applied twice).
  std::uint64_t applied_messages() const;
  // Messages it skipped since (refused seals, unreadable messages).
  std::uint64_t skipped_messages() const;
  // Why the follower stopped on its own; nullopt while it runs (or was never started).
  std::optional<std::string> failure() const;
  // Waits until the follower applied `seq`; false at `deadline` or when it stopped.
  bool wait_until_applied(std::uint64_t seq, std::chrono::steady_clock::time_point deadline);

 private:
  using Clock = std::chrono::steady_clock;

  std::unique_lock<std::timed_mutex> take_turn(Clock::time_point deadline);
  // Runs f with a journal, aborts, publishes; the stream sequence (0: no change).
  std::uint64_t publish_recorded(const std::function<void(lmdb::Txn&)>& f, Clock::time_point deadline);
  void wait_applied(std::uint64_t seq, Clock::time_point deadline);
  void follow();
  void apply(const nats::Message& message);
  // Passes a message by (its sequence stored as applied), saying why.
  void skip(const nats::Message& message, Refusal why, const std::string& detail);

  nats::Connection& nats_;
  Store& store_;
  const ClusterKey& key_;
  const std::string node_;
  const SystemLogOptions options_;
  std::map<MDB_dbi, std::string> names_;
  std::map<std::string, MDB_dbi, std::less<>> dbis_;
  MDB_dbi meta_;

  std::timed_mutex writing_;  // one write at a time, from its function to its local apply

  mutable std::mutex mutex_;
  std::condition_variable changed_;  // applied_, failure_ or stopping_ changed
  std::uint64_t applied_ = 0;
  std::uint64_t applied_messages_ = 0;
  std::uint64_t skipped_messages_ = 0;
  std::optional<std::string> failure_;
  bool stopping_ = false;
  std::thread follower_;
};

}  // namespace eventsd
