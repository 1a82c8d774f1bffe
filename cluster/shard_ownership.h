// Shard ownership in cluster mode (docs/cluster.md, "Ownership"): which node should append to
// which shard's stream, decided by leases in the bucket `eventsd_owners` (cluster/lease.h: what a
// lease guarantees and what it does not) among the live nodes of the registry in the bucket
// `eventsd_nodes` (cluster/node_registry.h). A lease expires when its revision has not changed
// for the lease time on this node's own clock (cluster/seen_entry.h); while the buckets cannot be
// read, nothing expires.
//
// Taking. The preferred node of a shard (the live node of highest rendezvous weight,
// cluster/placement.h) takes it as soon as it is free or expired; any other node only after it
// stayed free or expired for two more lease times, so a shard never stays unowned because its
// preferred node cannot take it. A node that just started takes nothing during its first renew
// interval, so that nodes started together see each other before they choose. A lease that
// names this node but is not held by this object (left by a previous run of the node) counts as
// free. Taking is a compare-and-set to `<me> <epoch+1>`; then on_acquire(shard, epoch) runs: the
// caller catches its replica up and appends its owner claim, and returns whether it now serves
// the shard. If it returns false (or throws), the lease is given back at once and this node
// leaves the shard alone for three lease times, so another node takes it. On nats-server 2.9.10
// with replicated buckets the compare-and-set is not exclusive (nats.h, kv_update): two nodes
// may take one lease at once, with the same epoch. The first renewal settles it (one meets a
// moved revision: on_lose), and meanwhile the stream decides — only one owner claim of an epoch
// is stored — so the loser's on_acquire fails and it gives the lease back (which may make the
// winner lose it too: a retake with the next epoch follows; slower, never unsafe).
//
// Losing. A lease is lost when its renewal meets a revision moved by someone else
// (cluster/renewer.h), or when step_down(shard) is called; on_lose(shard) then runs once and the
// lease is no longer renewed (after step_down it is also given back, and this node takes the
// shard again, if it is still the preferred node, after a lease time). stop() runs on_lose for
// every held shard, then gives the leases and the registry entry back, and asks the other live
// nodes to poll now, so they take over at once instead of after a lease time.
//
// Handing over, so that shards spread over nodes started together, or to a node that joins
// later: a node that has held a shard for a lease time, whose preferred node is another node live
// for two lease times and ready to take it (ready_to_take(): e.g. its replica caught up), gives
// that shard back — one shard per poll — and asks the preferred node to poll now (a request on
// `eventsd.owners.poke.<node>`), which takes it at once. Should the shard come back within ten
// lease times (the preferred node did not take it up), it is not handed over again for 30 lease
// times.
//
// Time is an input: every decision above reads the Clock given — expiry, liveness, "a lease
// time", the hold-offs, the takes a start-up defers — and so does start()'s watch for a namesake
// (cluster/node_registry.h), which waits by calling Options::pause.
//
// Rounds. With Options::threads (production), two threads run the rounds. The renewer
// (cluster/renewer.h) only writes — renewals, give-backs, the registry entry — every renew
// interval. The ownership thread polls both buckets every poll interval (or at once when poked),
// takes shards and runs the callbacks, one at a time: on_acquire(s, e) before any on_lose(s) it
// leads to; a shard lost while its on_acquire runs gets on_lose right after on_acquire returns
// true. Callbacks may block (a catch-up); while one runs, other shards are not taken and other
// losses are reported only after it returns (safe: the fence stops a stale writer anyway).
// on_lose should be quick. Both threads wait between rounds on the real steady clock. Without
// threads (tests, on a ManualClock), start() starts none and the caller runs each round itself,
// at the instant it chose: renew_once() and poll_once(); between them nothing is renewed, polled
// or taken.
//
// Thread safety: owner(), owns(), status(), nodes(), preferred() and step_down() may be called
// from any thread (step_down() does not block: the give-back and on_lose happen in the rounds).
// on_acquire(), on_lose(), ready_to_take() and start() must be called before the rounds run;
// stop(), renew_once() and poll_once() from one thread. The Connection and the Clock must
// outlive this object.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cluster/nats.h"
#include "cluster/node_registry.h"
#include "cluster/renewer.h"
#include "cluster/seen_entry.h"
#include "common/clock.h"

namespace eventsd {

class ShardOwnership {
 public:
  struct Options {
    std::chrono::milliseconds lease{6'000};
    std::chrono::milliseconds renew_interval{0};  // 0: lease / 3
    std::chrono::milliseconds poll_interval{0};   // 0: lease / 6
    int replicas = 3;                             // of the buckets, when this node creates them
    // false: start() starts no thread; the caller runs renew_once() and poll_once() (tests).
    bool threads = true;
    // How start() waits while it watches a namesake's registry entry (NodeRegistry::join).
    // Empty: std::this_thread::sleep_for.
    NodeRegistry::Pause pause = {};
  };

  struct Owner {
    std::string node;
    std::uint64_t epoch;
    bool operator==(const Owner&) const = default;
  };

  struct ShardStatus {
    std::uint32_t shard;
    std::string owner;        // "" when free, expired, or unknown
    std::uint64_t epoch;      // the lease's epoch (also kept while free)
    std::uint64_t revision;   // of the key as last seen (0: missing)
    bool mine;                // owns(shard)
  };

  using Node = NodeRegistry::Node;

  // `node`: 1-64 characters of [A-Za-z0-9_-], not "-"; `info`: non-empty and not "-".
  // Throws std::invalid_argument otherwise (or for shards == 0, intervals not below the lease).
  // The leases and the registry are sealed with `key` (cluster/sealed_kv.h).
  ShardOwnership(nats::Connection& connection, const ClusterKey& key, const Clock& clock, std::string node,
                 std::string info, std::uint32_t shards, Options options);
  ~ShardOwnership();  // stop()
  ShardOwnership(const ShardOwnership&) = delete;
  ShardOwnership& operator=(const ShardOwnership&) = delete;

  // Callbacks, set before start(). Defaults: on_acquire returns true, on_lose does nothing.
  void on_acquire(std::function<bool(std::uint32_t shard, std::uint64_t epoch)> callback);
  void on_lose(std::function<void(std::uint32_t shard)> callback);
  // Asked (in a poll round, may block briefly) before a shard is handed over to `node`: whether
  // it could take the shard up now. Default: yes.
  void ready_to_take(std::function<bool(const std::string& node, std::uint32_t shard)> callback);

  // Creates the buckets when missing, registers this node, then starts the threads (if any).
  // Throws nats::Unavailable / nats::Error when NATS cannot be used, std::runtime_error when
  // another running node has this node's name (cluster/node_registry.h). Called once.
  void start();
  // Ends the threads (waiting for a running callback), runs on_lose for every held shard on the
  // calling thread, gives the leases and the registry entry back. Idempotent.
  void stop();

  // Without threads, after start() and before stop() (else they throw std::logic_error):
  // one round of the renewer (cluster/renewer.h), now;
  void renew_once();
  // one round of the ownership thread, now: reports losses, polls both buckets, then takes what
  // is due (running on_acquire), or else hands one shard over.
  void poll_once();

  // Gives up a held shard: it stops being owned at once; on_lose runs in the next poll round and
  // the lease is given back. For the writer, when its fenced append failed. No-op otherwise.
  void step_down(std::uint32_t shard);

  // This node holds the shard's lease and its on_acquire returned true (and it was not lost since).
  bool owns(std::uint32_t shard) const;
  // The shard's owner as last seen: this node while it owns it, else the node the lease names
  // unless it is free, expired or left by this node's previous run. (While the buckets cannot be
  // read, expiry is not judged: the holder last seen is named.)
  std::optional<Owner> owner(std::uint32_t shard) const;
  std::vector<ShardStatus> status() const;
  // Live nodes (this one included once started), by name.
  std::vector<Node> nodes() const;
  // The live node that should own the shard (rendezvous hashing over nodes()).
  std::string preferred(std::uint32_t shard) const;

  const std::string& node() const { return node_; }
  std::uint32_t shards() const { return shards_; }

 private:
  using Instant = Clock::Steady::time_point;

  // This node's claim to a shard: none, being taken, or held (its lease's revisions and
  // give-back are the renewer's).
  struct Claim {
    enum Phase { kNone, kAcquiring, kHeld } phase = kNone;
    std::uint64_t epoch = 0;
    bool lose_pending = false;              // on_lose still to run
    Instant not_before{};                   // no take before (after a refusal or a step-down)
    Instant held_since{};                   // when on_acquire last returned true
    std::optional<Instant> handed_over;     // when this node last handed it over
    Instant hand_over_not_before{};
  };

  void own_loop();
  void check_rounds_are_the_callers(const char* what) const;  // throws std::logic_error
  // Polls, then takes what is due, or else hands one shard over (the ownership thread's round).
  void poll_and_act();
  bool poll();  // reads both buckets; false when it could not
  std::vector<std::uint32_t> due_takes(Instant now) const;  // with mu_ held
  // A held shard to hand over to its preferred node now, if any (with mu_ held).
  std::optional<std::uint32_t> due_hand_over(Instant now) const;
  // Stops owning the shard and queues its give-back; no take before `not_before` (mu_ held).
  void give_up_locked(std::uint32_t shard, Instant not_before, std::string to = {});
  // The renewer lost a lease.
  void lost(std::uint32_t shard, std::uint64_t epoch);
  // Tries to take the shard; on success runs on_acquire and settles the outcome.
  void take(std::uint32_t shard);
  // Hands one held shard over to its preferred node, when one is due.
  void hand_over();
  void deliver_losses();
  // Tells `node` to poll now (bounded: 200 ms; a node that does not answer polls soon anyway).
  void poke(const std::string& node);
  std::vector<std::string> live_nodes(Instant now) const;  // with mu_ held
  std::optional<Owner> owner_locked(std::uint32_t shard, Instant now) const;
  std::string preferred_locked(std::uint32_t shard, Instant now) const;

  nats::Connection& nats_;
  const Clock& clock_;
  const std::string node_;
  SealedKv kv_;
  const std::string info_;
  const std::uint32_t shards_;
  const std::chrono::milliseconds lease_;
  const std::chrono::milliseconds renew_interval_;
  const std::chrono::milliseconds poll_interval_;
  const int replicas_;
  const bool threads_;
  const NodeRegistry::Pause pause_;

  std::function<bool(std::uint32_t, std::uint64_t)> on_acquire_;
  std::function<void(std::uint32_t)> on_lose_;
  std::function<bool(const std::string&, std::uint32_t)> ready_to_take_;

  NodeRegistry registry_;
  Renewer renewer_;

  mutable std::mutex mu_;  // guards what follows; taken before the registry's and the renewer's
  std::condition_variable own_wake_;
  bool started_ = false;
  bool stopping_ = false;
  Instant started_at_{};
  std::vector<SeenEntry> leases_;  // per shard
  bool last_poll_failed_ = false;  // revisions are to be seen anew
  std::vector<Claim> claims_;      // per shard
  bool poll_asked_ = false;        // another node asked this one to poll now
  std::unique_ptr<nats::Connection::Service> poke_service_;
  std::thread owning_;
};

}  // namespace eventsd
