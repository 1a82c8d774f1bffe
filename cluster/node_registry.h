// The registry of live nodes (docs/cluster.md, "Ownership"): the key-value bucket `eventsd_nodes`,
// key: a node's name, value: what it advertises (its HTTP address), or `-` once it left. A wire
// format, like the leases (cluster/lease.h). A running node rewrites its entry every renew
// interval (cluster/renewer.h); the others deem it live while its entry is not `-` and has not
// stayed unchanged for a lease time on their own clocks (cluster/seen_entry.h).
//
// One name, one node: join() refuses to start a node while another node of that name runs. A
// running node renews its entry; one left by this node's previous run (a crash) is not renewed.
// So an entry that join() finds (not `-`) is watched for two renew intervals, and if it changed
// meanwhile it belongs to another node. Only a previous run that did not stop cleanly costs this
// wait: a clean stop leaves `-`.
//
// Time is an input: every decision reads the Clock given. join() waits for its watch by calling
// `pause` until the Clock says the two renew intervals passed: std::this_thread::sleep_for in
// production; a test passes a pause that moves its clock (and lets the other node renew).
//
// Thread safety: join(), renew() and leave() write this node's entry: one thread at a time.
// fetch(), saw(), live() and live_since() may be called from any thread. The Connection and the
// Clock must outlive this object.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cluster/nats.h"
#include "cluster/sealed_kv.h"
#include "cluster/seen_entry.h"
#include "common/clock.h"

namespace eventsd {

// The bucket of the registry, one key per node.
inline constexpr const char* kNodesBucket = "eventsd_nodes";

class NodeRegistry {
 public:
  // The value of the entry of a node that left.
  static constexpr const char* kLeft = "-";

  struct Node {
    std::string name;
    std::string info;
    bool operator==(const Node&) const = default;
  };
  using Pause = std::function<void(std::chrono::milliseconds)>;

  // `node` is this node's name, `info` what it advertises (not "-"); entries expire after `lease`
  // unchanged, and this node's is renewed every `renew_interval`.
  NodeRegistry(SealedKv& kv, const Clock& clock, std::string node, std::string info,
               std::chrono::milliseconds lease, std::chrono::milliseconds renew_interval);
  NodeRegistry(const NodeRegistry&) = delete;
  NodeRegistry& operator=(const NodeRegistry&) = delete;

  // Writes this node's entry over whatever is there (its previous run's, or `-`). Throws
  // std::runtime_error when another running node has this name (above), nats::Error or
  // nats::Unavailable when the bucket cannot be used.
  void join(const Pause& pause);
  // Rewrites this node's entry; registers it again when someone else wrote it (a second node
  // with this name?). A failure is logged: the next renewal tries again.
  void renew();
  // Writes `-`: this node left (logged when it cannot).
  void leave();

  // Reads the entries of the bucket, to give to saw(). Known nodes are read one get each; the
  // bucket is listed (which discovers nodes) only once per lease time, because a listing creates
  // a consumer each time, through the meta leader. Throws what NATS throws, except for a failed
  // listing (logged; the known nodes are read instead).
  std::map<std::string, nats::KvEntry> fetch();
  // What fetch() returned, read at `now`; `blind`: the read before it failed.
  void saw(std::map<std::string, nats::KvEntry> entries, Clock::Steady::time_point now, bool blind);
  // The other nodes live at `now`, by name.
  std::vector<Node> live(Clock::Steady::time_point now) const;
  // Since when `node` (another node) has been live without a break, as seen by saw(); nullopt
  // when it was not live at the last saw().
  std::optional<Clock::Steady::time_point> live_since(const std::string& node) const;

 private:
  void refuse_a_namesake(const Pause& pause);
  void register_entry();
  std::vector<Node> live_locked(Clock::Steady::time_point now) const;

  SealedKv& kv_;
  const Clock& clock_;
  const std::string node_;
  const std::string info_;
  const std::chrono::milliseconds lease_;
  const std::chrono::milliseconds renew_interval_;
  std::uint64_t revision_ = 0;  // of this node's entry as last written (join, renew, leave)

  mutable std::mutex mu_;  // guards what follows
  std::map<std::string, SeenEntry> seen_;  // every entry of the bucket, by name
  std::map<std::string, Clock::Steady::time_point> live_since_;  // the other live nodes
  Clock::Steady::time_point next_listing_ = Clock::Steady::time_point::min();
};

}  // namespace eventsd
