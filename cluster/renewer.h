// The renewer (docs/cluster.md, "Ownership"): keeps alive what this node holds in the ownership
// buckets — its registry entry (cluster/node_registry.h) and the leases (cluster/lease.h) of the
// shards it holds or is taking — by rewriting each, compare-and-set on its revision, every renew
// interval; and gives leases back (`- <epoch>`). It only writes, and runs no callback of
// ShardOwnership's caller, so a long on_acquire (a catch-up) never starves the renewal of the
// other leases, nor of the lease being acquired, which is renewed from the moment it is taken.
//
// A renewal that meets a revision moved by someone else loses the lease: it is no longer renewed,
// and `on_lost(shard, epoch)` runs. A renewal whose answer was lost although it was stored (the
// key still names this node with this epoch: an epoch is never reused) keeps the lease; one that
// failed otherwise is tried again next round (the stream's fence keeps a stale writer out
// meanwhile). A give-back is tried at every round until it is written, or until a lease time has
// passed (the lease has then expired for everyone anyway); a hand-over's give-back, once written,
// calls `on_handed_over(node)` so that the node it is for can be asked to poll now.
//
// Time is an input: deadlines read the Clock given. After start(), a thread of its own runs a
// round every renew interval (waiting on the real steady clock) and writes a give-back as soon as
// one is queued; without start() (a test driving a ManualClock), the caller runs round().
//
// Thread safety: hold(), give_back(), giving_back() and revision() may be called from any thread.
// round() and write_give_backs() are called by one thread at a time: the renewer's own once
// started. start() and stop() from one thread. on_lost and on_handed_over run on the thread that
// runs a round, with no lock of this object held. The Connection, the Clock and the registry must
// outlive this object.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cluster/nats.h"
#include "cluster/sealed_kv.h"
#include "cluster/node_registry.h"
#include "common/clock.h"

namespace eventsd {

class Renewer {
 public:
  using OnLost = std::function<void(std::uint32_t shard, std::uint64_t epoch)>;
  using OnHandedOver = std::function<void(const std::string& node)>;

  Renewer(SealedKv& kv, const Clock& clock, NodeRegistry& registry, std::string node, std::uint32_t shards,
          std::chrono::milliseconds lease, std::chrono::milliseconds renew_interval, OnLost on_lost,
          OnHandedOver on_handed_over);
  ~Renewer();  // stop()
  Renewer(const Renewer&) = delete;
  Renewer& operator=(const Renewer&) = delete;

  // From now on renews the lease of `shard`, which this node wrote as `<node> <epoch>` at
  // `revision`.
  void hold(std::uint32_t shard, std::uint64_t epoch, std::uint64_t revision);
  // Stops renewing the lease of `shard` at `epoch` and queues its give-back; `to`, when not
  // empty, is the node it is handed over to. False (and nothing queued) when that lease is no
  // longer held: lost, with on_lost run or about to run.
  bool give_back(std::uint32_t shard, std::uint64_t epoch, std::string to = {});
  // A give-back of the shard's lease is queued and not yet written.
  bool giving_back(std::uint32_t shard) const;
  // The revision of the shard's lease as this node last wrote it; 0 when it holds none.
  std::uint64_t revision(std::uint32_t shard) const;

  // One round, now: renews the registry entry and every lease held, then writes the give-backs.
  void round();
  // Writes the queued give-backs. `final` (at stop): one try each, and no node is told.
  void write_give_backs(bool final);

  // Starts the thread. Called once.
  void start();
  // Ends the thread (after the round it may be running). Idempotent.
  void stop();

 private:
  struct Held {
    std::uint64_t epoch;
    std::uint64_t revision;
  };
  struct GiveBack {
    std::uint64_t epoch;
    std::uint64_t revision;
    Clock::Steady::time_point deadline;
    std::string to;
  };
  struct Shard {
    std::optional<Held> held;
    std::optional<GiveBack> give_back;
  };

  void loop();
  void renew_leases();
  std::vector<Shard> snapshot() const;  // of shards_: what a round writes, without the lock

  SealedKv& kv_;
  const Clock& clock_;
  NodeRegistry& registry_;
  const std::string node_;
  const std::chrono::milliseconds lease_;
  const std::chrono::milliseconds renew_interval_;
  const OnLost on_lost_;
  const OnHandedOver on_handed_over_;

  mutable std::mutex mu_;  // guards what follows
  std::condition_variable wake_;
  std::vector<Shard> shards_;
  bool give_back_queued_ = false;  // wakes the thread
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace eventsd
