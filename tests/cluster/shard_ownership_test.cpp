// Shard ownership (cluster/shard_ownership.h) against a real nats-server: leases, the node registry,
// failover, lost leases and step-down. Tests of a decision that depends on time run their nodes
// without threads on a ManualClock: the test runs each node's rounds at the instants it chooses
// and asserts what happens exactly then, never sleeping; the others run nodes as production does.
#include "cluster/sealed_kv.h"
#include "cluster/shard_ownership.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cluster/lease.h"
#include "cluster/nats.h"
#include "cluster/node_registry.h"
#include "cluster/placement.h"
#include "common/clock.h"
#include "tests/support/cluster_key.h"
#include "tests/support/eventually.h"
#include "tests/support/manual_clock.h"
#include "tests/support/nats_cluster.h"

namespace eventsd {
namespace {

using test::eventually;

using namespace std::chrono_literals;
using test::ManualClock;
using test::NatsCluster;

constexpr std::uint32_t kShards = 4;

ShardOwnership::Options short_leases() {
  ShardOwnership::Options options;
  options.lease = 600ms;  // renewals every 200 ms, polls every 100 ms
  options.replicas = 1;
  return options;
}

// Without threads: the test runs the rounds (Node::round) on a ManualClock.
ShardOwnership::Options by_hand(ShardOwnership::Options options = short_leases()) {
  options.threads = false;
  return options;
}

std::unique_ptr<nats::Connection> connect(const NatsCluster& cluster, const std::string& name) {
  nats::ConnectOptions options;
  options.urls = cluster.urls();
  options.name = name;
  return std::make_unique<nats::Connection>(options);
}

// Every take of every node, in the order they happened, to check that epochs only grow.
struct History {
  std::mutex mu;
  std::map<std::uint32_t, std::vector<std::uint64_t>> epochs;  // per shard
  void acquired(std::uint32_t shard, std::uint64_t epoch) {
    std::lock_guard lock(mu);
    epochs[shard].push_back(epoch);
  }
  void expect_increasing() {
    std::lock_guard lock(mu);
    for (auto& [shard, list] : epochs)
      for (std::size_t i = 1; i < list.size(); ++i)
        EXPECT_LT(list[i - 1], list[i]) << "shard " << shard << " take " << i;
  }
};

// One eventsd node's ownership, with what its callbacks saw.
struct Node {
  std::unique_ptr<nats::Connection> connection;
  std::unique_ptr<ShardOwnership> ownership;
  std::mutex mu;
  std::vector<std::pair<std::uint32_t, std::uint64_t>> acquired;
  std::vector<std::uint32_t> lost;
  std::function<bool(std::uint32_t)> accept = [](std::uint32_t) { return true; };

  Node(const NatsCluster& cluster, const std::string& name, History* history = nullptr,
       ShardOwnership::Options options = short_leases(), const Clock& clock = system_clock()) {
    connection = connect(cluster, name);
    ownership = std::make_unique<ShardOwnership>(*connection, test::cluster_key(), clock, name,
                                                 "http://" + name + ".test:8080", kShards, options);
    ownership->on_acquire([this, history](std::uint32_t shard, std::uint64_t epoch) {
      if (!accept(shard)) return false;
      if (history) history->acquired(shard, epoch);
      std::lock_guard lock(mu);
      acquired.emplace_back(shard, epoch);
      return true;
    });
    ownership->on_lose([this](std::uint32_t shard) {
      std::lock_guard lock(mu);
      lost.push_back(shard);
    });
  }
  // Stopped first: stop() runs on_lose, which uses the members below `ownership`.
  ~Node() { ownership.reset(); }
  ShardOwnership& operator*() { return *ownership; }
  // What the threads do every renew and poll interval, once, now (a node made by_hand).
  void round() {
    ownership->renew_once();
    ownership->poll_once();
  }
  ShardOwnership* operator->() { return ownership.get(); }
  std::size_t losses(std::uint32_t shard) {
    std::lock_guard lock(mu);
    return static_cast<std::size_t>(std::count(lost.begin(), lost.end(), shard));
  }
  std::size_t owned() {
    std::size_t n = 0;
    for (std::uint32_t s = 0; s < kShards; ++s) n += ownership->owns(s);
    return n;
  }
};

// Every shard owned by exactly one of the nodes, and every node names the same owner.
bool settled(const std::vector<Node*>& nodes) {
  for (std::uint32_t s = 0; s < kShards; ++s) {
    int holders = 0;
    std::optional<ShardOwnership::Owner> seen;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      auto& own = *nodes[i]->ownership;
      holders += own.owns(s);
      auto owner = own.owner(s);
      if (!owner) return false;
      if (i > 0 && owner != seen) return false;
      seen = owner;
    }
    if (holders != 1) return false;
    bool named_holder = false;
    for (auto* node : nodes) named_holder |= node->ownership->node() == seen->node && node->ownership->owns(s);
    if (!named_holder) return false;
  }
  return true;
}

// Settled, and every shard owned by its preferred node (nothing left to hand over).
bool balanced(const std::vector<Node*>& nodes) {
  if (!settled(nodes)) return false;
  for (std::uint32_t s = 0; s < kShards; ++s) {
    for (auto* node : nodes) {
      if (node->ownership->owner(s)->node != node->ownership->preferred(s)) return false;
    }
  }
  return true;
}

// Each node's round, in this order, at the clock's present instant.
void round(const std::vector<Node*>& nodes) {
  for (auto* node : nodes) node->round();
}

// The rounds of a node alone, just started: the first sees the buckets, and once its first renew
// interval is over, the second takes every shard.
void first_rounds_alone(Node& node, ManualClock& clock, std::chrono::milliseconds renew_interval) {
  node.round();
  clock.advance(renew_interval);
  node.round();
}

TEST(ShardOwnership, TwoNodesOwnEveryShardOnceAndAgreeOnOwners) {
  NatsCluster cluster(1);
  History history;
  Node a(cluster, "node-a", &history), b(cluster, "node-b", &history);
  a->start();
  b->start();
  ASSERT_TRUE(eventually([&] { return settled({&a, &b}); }));
  EXPECT_EQ(a.owned() + b.owned(), kShards);

  // Both see both nodes alive, with what each advertises.
  std::vector<ShardOwnership::Node> expected{{"node-a", "http://node-a.test:8080"},
                                             {"node-b", "http://node-b.test:8080"}};
  ASSERT_TRUE(eventually([&] { return a->nodes() == expected && b->nodes() == expected; }));

  // Both prefer the same node for each shard: the one with the highest weight. (Which node took
  // which shard depends on how far apart they started, so it is not checked here.)
  for (std::uint32_t s = 0; s < kShards; ++s) {
    EXPECT_EQ(a->preferred(s), b->preferred(s));
    auto want = rendezvous_weight("node-a", s) > rendezvous_weight("node-b", s) ? "node-a" : "node-b";
    EXPECT_EQ(a->preferred(s), want);
  }

  // status() agrees with owner() and owns(); the epochs are the ones on_acquire was given.
  auto status = a->status();
  ASSERT_EQ(status.size(), kShards);
  for (auto& st : status) {
    EXPECT_EQ(st.owner, a->owner(st.shard)->node);
    EXPECT_EQ(st.epoch, a->owner(st.shard)->epoch);
    EXPECT_EQ(st.mine, a->owns(st.shard));
    EXPECT_GT(st.revision, 0u);
    Node& holder = st.owner == "node-a" ? a : b;
    std::lock_guard lock(holder.mu);
    ASSERT_FALSE(holder.acquired.empty());
    EXPECT_NE(std::find(holder.acquired.begin(), holder.acquired.end(), std::pair{st.shard, st.epoch}),
              holder.acquired.end());
  }
  history.expect_increasing();
}

TEST(ShardOwnership, CleanStopHandsEveryShardToTheOtherNode) {
  NatsCluster cluster(1);
  ManualClock clock;
  History history;
  Node a(cluster, "node-a", &history, by_hand(), clock), b(cluster, "node-b", &history, by_hand(), clock);
  a->start();
  b->start();
  // During their first renew interval the nodes see each other and take nothing.
  round({&a, &b});
  EXPECT_EQ(a.owned() + b.owned(), 0u);
  // Then each takes the shards it is the preferred node of, and next poll sees the other's.
  clock.advance(200ms);
  round({&a, &b});
  clock.advance(100ms);
  round({&a, &b});
  ASSERT_TRUE(settled({&a, &b}));
  std::map<std::uint32_t, std::uint64_t> before;
  std::set<std::uint32_t> held_by_a;
  for (std::uint32_t s = 0; s < kShards; ++s) {
    before[s] = a->owner(s)->epoch;
    EXPECT_EQ(before[s], 1u) << "shard " << s;
    EXPECT_EQ(a->owner(s)->node, a->preferred(s)) << "shard " << s;
    if (a->owns(s)) held_by_a.insert(s);
  }
  ASSERT_FALSE(held_by_a.empty());
  ASSERT_LT(held_by_a.size(), kShards);

  a->stop();
  for (std::uint32_t s = 0; s < kShards; ++s) {
    EXPECT_FALSE(a->owns(s));
    EXPECT_EQ(a.losses(s), held_by_a.count(s)) << "on_lose once for every shard held at stop, shard " << s;
  }
  // node-a gave its leases back and left: node-b's next poll takes them, without waiting for any
  // lease to expire (no time passes here). (node-a also asked node-b to poll now:
  // AStoppingNodeTellsTheOthersToPollNow.)
  b->poll_once();
  ASSERT_EQ(b.owned(), kShards);
  for (std::uint32_t s = 0; s < kShards; ++s) {
    auto owner = b->owner(s);
    ASSERT_TRUE(owner);
    EXPECT_EQ(owner->node, "node-b");
    if (held_by_a.count(s)) {
      EXPECT_GT(owner->epoch, before[s]) << "shard " << s;
      EXPECT_EQ(owner->epoch, before[s] + 1) << "shard " << s;
    } else {
      EXPECT_EQ(owner->epoch, before[s]) << "shard " << s;
    }
  }
  // node-a left the registry.
  ASSERT_EQ(b->nodes().size(), 1u);
  EXPECT_EQ(b->nodes()[0].name, "node-b");
  history.expect_increasing();
}

TEST(ShardOwnership, AStoppingNodeTellsTheOthersToPollNow) {
  NatsCluster cluster(1);
  Node a(cluster, "node-a");
  // node-b polls once a minute: it can take node-a's shards soon only because node-a tells it to.
  ShardOwnership::Options slow;
  slow.lease = 120'000ms;
  slow.renew_interval = 200ms;
  slow.poll_interval = 60'000ms;
  slow.replicas = 1;
  Node b(cluster, "node-b", nullptr, slow);
  a->start();
  ASSERT_TRUE(eventually([&] { return a.owned() == kShards; }));
  b->start();
  ASSERT_TRUE(eventually([&] { return a->nodes().size() == 2; }));
  a->stop();
  ASSERT_TRUE(eventually([&] { return b.owned() == kShards; }));
}

TEST(ShardOwnership, ALeaseTakenByAnotherIsLostAndExpiresLater) {
  NatsCluster cluster(1);
  ManualClock clock;
  History history;
  Node a(cluster, "node-a", &history, by_hand(), clock);
  a->start();
  first_rounds_alone(a, clock, 200ms);
  ASSERT_EQ(a.owned(), kShards);

  // Someone else takes shard 2 (as a node paused past its lease would find on waking up).
  auto other = connect(cluster, "intruder");
  SealedKv kv(*other, test::cluster_key(), "intruder");
  auto entry = kv.get(kOwnersBucket, "s2");
  ASSERT_TRUE(entry);
  auto epoch = a->owner(2)->epoch;
  auto written = kv.update(kOwnersBucket, "s2", lease_value("intruder", epoch + 1), entry->revision);
  ASSERT_TRUE(std::holds_alternative<std::uint64_t>(written));

  // node-a's next renewal meets the intruder's revision: the lease is lost, and its next poll
  // reports it (on_lose) and sees the intruder's lease.
  a->renew_once();
  EXPECT_FALSE(a->owns(2));
  a->poll_once();
  ASSERT_EQ(a.losses(2), 1u);
  EXPECT_FALSE(a->owns(2));
  for (std::uint32_t s : {0u, 1u, 3u}) EXPECT_TRUE(a->owns(s)) << "shard " << s;
  EXPECT_EQ(a->owner(2), (ShardOwnership::Owner{"intruder", epoch + 1}));

  // The intruder never renews: its lease expires on node-a's clock a lease time after node-a
  // first saw it, and node-a takes it back then, not a moment before.
  clock.advance(600ms - 1ms);
  a.round();
  EXPECT_FALSE(a->owns(2));
  EXPECT_EQ(a->owner(2), (ShardOwnership::Owner{"intruder", epoch + 1}));
  clock.advance(1ms);
  a.round();
  ASSERT_TRUE(a->owns(2));
  EXPECT_EQ(a->owner(2)->epoch, epoch + 2);
  EXPECT_EQ(a.losses(2), 1u);
  for (std::uint32_t s : {0u, 1u, 3u}) EXPECT_TRUE(a->owns(s)) << "shard " << s;
  history.expect_increasing();
}

// A stranger on the NATS bus writes a lease naming itself, and a registry entry for a node that
// does not exist, without the cluster key: node-a loses the lease it held (the revision moved:
// availability), but never takes the forged values for an owner or a live node.
TEST(ShardOwnership, ForgedLeasesAndRegistryEntriesNameNoOwnerAndNoNode) {
  NatsCluster cluster(1);
  ManualClock clock;
  Node a(cluster, "node-a", nullptr, by_hand(), clock);
  a->start();
  first_rounds_alone(a, clock, 200ms);
  ASSERT_EQ(a.owned(), kShards);
  const auto refused = test::cluster_key().refused().get(Sealed::kv, Refusal::unsealed);

  auto stranger = connect(cluster, "stranger");
  auto entry = stranger->kv_get(kOwnersBucket, "s2");
  ASSERT_TRUE(entry);
  const auto epoch = a->owner(2)->epoch;
  ASSERT_TRUE(std::holds_alternative<std::uint64_t>(
      stranger->kv_update(kOwnersBucket, "s2", lease_value("intruder", epoch + 1), entry->revision)));
  ASSERT_TRUE(std::holds_alternative<std::uint64_t>(
      stranger->kv_create(kNodesBucket, "intruder", "http://intruder.test:8080")));

  a->renew_once();
  a->poll_once();
  for (int i = 0; i < 8; ++i) {
    clock.advance(200ms);
    a.round();
    const auto owner = a->owner(2);
    EXPECT_TRUE(!owner || owner->node != "intruder") << owner->node;
    for (const auto& node : a->nodes()) EXPECT_NE(node.name, "intruder");
  }
  for (std::uint32_t s : {0u, 1u, 3u}) EXPECT_TRUE(a->owns(s)) << "shard " << s;
  EXPECT_GT(test::cluster_key().refused().get(Sealed::kv, Refusal::unsealed), refused);
}

TEST(ShardOwnership, ANodeThatJoinsLaterIsHandedItsPreferredShards) {
  NatsCluster cluster(1);
  History history;
  Node a(cluster, "node-a", &history), b(cluster, "node-b", &history);
  std::set<std::uint32_t> for_b;
  for (std::uint32_t s = 0; s < kShards; ++s) {
    if (rendezvous_weight("node-b", s) > rendezvous_weight("node-a", s)) for_b.insert(s);
  }
  ASSERT_FALSE(for_b.empty()) << "node-a is preferred for every shard: rename the nodes";
  ASSERT_LT(for_b.size(), kShards) << "node-b is preferred for every shard: rename the nodes";

  // node-b will not be ready for one of its shards (as while its replica of it catches up).
  const std::uint32_t held_back = *for_b.begin();
  std::atomic<bool> ready{false};
  std::atomic<int> asked{0};
  a->ready_to_take([&](const std::string& node, std::uint32_t shard) {
    EXPECT_EQ(node, "node-b");
    if (shard != held_back) return true;
    ++asked;
    return ready.load();
  });
  a->start();
  ASSERT_TRUE(eventually([&] { return a.owned() == kShards; }));
  b->start();
  // node-a hands node-b its other preferred shards, one at a time, and keeps the rest.
  ASSERT_TRUE(eventually([&] {
    for (auto s : for_b) {
      if (s != held_back && !b->owns(s)) return false;
    }
    return asked.load() >= 2;
  }, 30s));
  EXPECT_TRUE(a->owns(held_back));
  EXPECT_EQ(a.losses(held_back), 0u);
  // Ready now: handed over too.
  ready = true;
  ASSERT_TRUE(eventually([&] { return balanced({&a, &b}); }, 30s));
  for (std::uint32_t s = 0; s < kShards; ++s) {
    EXPECT_EQ(b->owns(s), for_b.contains(s)) << "shard " << s;
    EXPECT_EQ(a.losses(s), for_b.contains(s) ? 1u : 0u) << "shard " << s;
  }
  history.expect_increasing();
}

TEST(ShardOwnership, StepDownGivesTheShardBack) {
  NatsCluster cluster(1);
  History history;
  Node a(cluster, "node-a", &history), b(cluster, "node-b", &history);
  a->start();
  b->start();
  // (Balanced first: a hand-over under way would move the shard below.)
  ASSERT_TRUE(eventually([&] { return balanced({&a, &b}); }, 30s));
  const std::uint32_t shard = 0;
  Node& holder = a->owns(shard) ? a : b;
  auto epoch = holder->owner(shard)->epoch;

  holder->step_down(shard);
  EXPECT_FALSE(holder->owns(shard));  // at once
  ASSERT_TRUE(eventually([&] { return holder.losses(shard) == 1; }));
  // Given back, and taken again with the next epoch by its preferred node (at once if that is the
  // other node; the stepping-down node waits a lease time first).
  ASSERT_TRUE(eventually([&] { return settled({&a, &b}) && a->owner(shard)->epoch > epoch; }));
  EXPECT_EQ(a->owner(shard)->epoch, epoch + 1);
  EXPECT_EQ(a->owner(shard)->node, a->preferred(shard));
  EXPECT_EQ(holder.losses(shard), 1u);
  history.expect_increasing();

  // Stepping down from a shard not held does nothing.
  Node& other = &holder == &a ? b : a;
  other->step_down(shard);
  EXPECT_TRUE(holder->owns(shard));
  EXPECT_EQ(other.losses(shard), 0u);
}

TEST(ShardOwnership, AShardRefusedByOnAcquireGoesToAnotherNode) {
  NatsCluster cluster(1);
  History history;
  Node a(cluster, "node-a", &history), b(cluster, "node-b", &history);
  // A shard node-a is the preferred node for, which it cannot take up (e.g. its catch-up fails).
  std::uint32_t refused = 0;
  while (refused < kShards && rendezvous_weight("node-a", refused) < rendezvous_weight("node-b", refused))
    ++refused;
  ASSERT_LT(refused, kShards) << "node-b is preferred for every shard: rename the nodes";
  std::atomic<int> refusals{0};
  a.accept = [&](std::uint32_t shard) {
    if (shard != refused) return true;
    ++refusals;
    return false;
  };
  a->start();
  b->start();
  // node-a gives it back and leaves it alone long enough for node-b to take it.
  ASSERT_TRUE(eventually([&] { return settled({&a, &b}) && b->owns(refused); }));
  EXPECT_GE(refusals.load(), 1);
  EXPECT_FALSE(a->owns(refused));
  EXPECT_EQ(a.losses(refused), 0u);
  EXPECT_EQ(a->preferred(refused), "node-a");
  history.expect_increasing();
}

TEST(ShardOwnership, LeasesOfADeadNodeExpireAndItsStaleLeasesAreTakenOverOnRestart) {
  NatsCluster cluster(1);
  {
    // A node that died holding every lease: its registry entry and leases are never renewed.
    auto ghost = connect(cluster, "ghost");
    ghost->ensure_bucket(kOwnersBucket, 1);
    ghost->ensure_bucket(kNodesBucket, 1);
    SealedKv kv(*ghost, test::cluster_key(), "ghost");
    ASSERT_TRUE(std::holds_alternative<std::uint64_t>(kv.create(kNodesBucket, "ghost", "http://ghost.test:8080")));
    for (std::uint32_t s = 0; s < kShards; ++s)
      ASSERT_TRUE(std::holds_alternative<std::uint64_t>(
          kv.create(kOwnersBucket, "s" + std::to_string(s),
                           lease_value(s == 3 ? "node-a" : "ghost", 7))));
  }
  ManualClock clock;
  History history;
  Node a(cluster, "node-a", &history, by_hand(), clock);
  a->start();
  a.round();  // node-a first sees the ghost's entry and every lease now
  // Shard 3's lease names node-a itself (left by its previous run): it counts as free since, and
  // node-a takes it once its first renew interval is over — if it is shard 3's preferred node
  // while the ghost still counts as live; else once the ghost expired.
  const bool prefers_a = rendezvous_weight("node-a", 3) > rendezvous_weight("ghost", 3);
  clock.advance(200ms);
  a.round();
  EXPECT_EQ(a->owns(3), prefers_a);
  EXPECT_EQ(a.owned(), prefers_a ? 1u : 0u);
  EXPECT_EQ(a->nodes().size(), 2u);
  // Until a lease time passed, the ghost's leases and entry have not expired on node-a's clock.
  clock.advance(400ms - 1ms);
  a.round();
  EXPECT_EQ(a.owned(), prefers_a ? 1u : 0u);
  EXPECT_EQ(a->owner(0), (ShardOwnership::Owner{"ghost", 7}));
  EXPECT_EQ(a->nodes().size(), 2u);
  // Then they have: node-a takes every shard at once, each with the next epoch.
  clock.advance(1ms);
  a.round();
  ASSERT_TRUE(a->owns(3));
  EXPECT_EQ(a->owner(3)->epoch, 8u);
  ASSERT_EQ(a.owned(), kShards);
  for (std::uint32_t s = 0; s < kShards; ++s) EXPECT_EQ(a->owner(s)->epoch, 8u) << "shard " << s;
  ASSERT_EQ(a->nodes().size(), 1u);
  history.expect_increasing();
}

TEST(ShardOwnership, ReplicatedBucketsOnThreeServersSurviveAServerKilled) {
  NatsCluster cluster(3);
  auto options = short_leases();
  options.replicas = 3;
  History history;
  Node a(cluster, "node-a", &history, options), b(cluster, "node-b", &history, options);
  a->start();
  b->start();
  ASSERT_TRUE(eventually([&] { return settled({&a, &b}); }));

  // A server dies (its buckets' replicas elect new leaders meanwhile): leases may move while
  // nobody can renew, but afterwards every shard is owned once again, and no epoch went back.
  cluster.kill(0);
  ASSERT_TRUE(eventually([&] { return a->nodes().size() == 2 && b->nodes().size() == 2 && settled({&a, &b}); }, 60s));
  history.expect_increasing();

  a->stop();
  ASSERT_TRUE(eventually([&] { return b.owned() == kShards; }, 60s));
  history.expect_increasing();
}

TEST(ShardOwnership, ASecondNodeWithARunningNodesNameRefusesToStart) {
  NatsCluster cluster(1);
  ManualClock clock;
  // Renewals every second: the namesake watches node-a's entry for two of them.
  ShardOwnership::Options options = by_hand();
  options.lease = 3'000ms;
  Node a(cluster, "node-a", nullptr, options, clock);
  a->start();
  first_rounds_alone(a, clock, 1s);
  ASSERT_EQ(a.owned(), kShards);
  // While the namesake waits, node-a renews its entry once, halfway.
  int pauses = 0;
  auto watching = options;
  watching.pause = [&](std::chrono::milliseconds d) {
    ++pauses;
    EXPECT_EQ(d, 2s);
    clock.advance(d / 2);
    a.round();
    clock.advance(d - d / 2);
  };
  Node namesake(cluster, "node-a", nullptr, watching, clock);
  try {
    namesake->start();
    FAIL() << "a second node-a started";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("another node named node-a is running"), std::string::npos) << e.what();
  }
  EXPECT_EQ(pauses, 1);
  EXPECT_EQ(a.owned(), kShards);
  EXPECT_EQ(a.losses(0) + a.losses(1) + a.losses(2) + a.losses(3), 0u);

  // Once node-a has stopped cleanly, the name is free again, with no wait.
  a->stop();
  auto no_wait = options;
  no_wait.pause = [&](std::chrono::milliseconds d) {
    ADD_FAILURE() << "waited for a namesake after a clean stop";
    clock.advance(d);
  };
  Node again(cluster, "node-a", nullptr, no_wait, clock);
  again->start();
  first_rounds_alone(again, clock, 1s);
  ASSERT_EQ(again.owned(), kShards);
}

TEST(ShardOwnership, ANodeRestartedAfterACrashWaitsTwoRenewIntervalsForItsOwnEntry) {
  NatsCluster cluster(1);
  {
    // node-a's previous run crashed: its entry stays, never renewed again.
    auto previous = connect(cluster, "previous");
    previous->ensure_bucket(kNodesBucket, 1);
    SealedKv kv(*previous, test::cluster_key(), "node-a");
    ASSERT_TRUE(std::holds_alternative<std::uint64_t>(kv.create(kNodesBucket, "node-a", "http://node-a.test:8080")));
  }
  ManualClock clock;
  const auto begun = clock.steady();
  std::vector<std::chrono::milliseconds> pauses;
  auto options = by_hand();  // renewals every 200 ms
  options.pause = [&](std::chrono::milliseconds d) {
    pauses.push_back(d);
    clock.advance(d);
  };
  Node a(cluster, "node-a", nullptr, options, clock);
  a->start();
  EXPECT_EQ(pauses, std::vector<std::chrono::milliseconds>{400ms});
  EXPECT_EQ(clock.steady() - begun, 400ms);
  first_rounds_alone(a, clock, 200ms);
  EXPECT_EQ(a.owned(), kShards);
}

TEST(ShardOwnership, RefusesBadArguments) {
  NatsCluster cluster(1);
  auto connection = connect(cluster, "x");
  auto make = [&](std::string node, std::string info, std::uint32_t shards, ShardOwnership::Options o) {
    ShardOwnership own(*connection, test::cluster_key(), system_clock(), std::move(node), std::move(info), shards, o);
  };
  EXPECT_THROW(make("", "i", 4, short_leases()), std::invalid_argument);
  EXPECT_THROW(make("-", "i", 4, short_leases()), std::invalid_argument);
  EXPECT_THROW(make("a.b", "i", 4, short_leases()), std::invalid_argument);
  EXPECT_THROW(make(std::string(65, 'a'), "i", 4, short_leases()), std::invalid_argument);
  EXPECT_THROW(make("a", "", 4, short_leases()), std::invalid_argument);
  EXPECT_THROW(make("a", "-", 4, short_leases()), std::invalid_argument);
  EXPECT_THROW(make("a", "i", 0, short_leases()), std::invalid_argument);
  auto slow_renewal = short_leases();
  slow_renewal.renew_interval = slow_renewal.lease;
  EXPECT_THROW(make("a", "i", 4, slow_renewal), std::invalid_argument);
  EXPECT_NO_THROW(make("node_A-1", "i", 4, short_leases()));  // never started: stop() is a no-op
}

}  // namespace
}  // namespace eventsd
