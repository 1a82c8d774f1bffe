// ShardReplica against a real nats-server: an owner's group commits reach every replica byte for
// byte, and an owner that another node fenced out stops deciding before it could append again.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "cluster/nats.h"
#include "cluster/shard_replica.h"
#include "common/time.h"
#include "tests/support/cluster_key.h"
#include "tests/support/eventually.h"
#include "tests/support/in_process.h"
#include "tests/support/nats_cluster.h"
#include "tests/support/temp_dir.h"

namespace eventsd {
namespace {

using test::eventually;

using namespace std::chrono_literals;

Command one_event(const std::string& marker) {
  IngestEvents ingest;
  EventInput e;
  e.event = "view";
  e.data = R"({"marker":")" + marker + R"("})";
  ingest.events.push_back(e);
  ingest.received_at = now_millis();
  return Command{"t0", "test", ingest};
}

// A node's replica of shard 0: its own store, writer and projector, and its NATS connection.
struct Node {
  Node(const test::NatsCluster& cluster, const std::string& name, ShardReplica::Options options = {})
      : nats(nats::ConnectOptions{cluster.urls(), name, 5000ms}), p(dir.path(), {}, false),
        replica(nats, 0, p.store, p.log, p.writer, test::cluster_key(), with_name(options, name)) {
    p.writer.start();
    replica.start();
  }
  ~Node() { replica.stop(); }
  static ShardReplica::Options with_name(ShardReplica::Options o, const std::string& name) {
    o.replicas = 1;
    o.node = name;
    return o;
  }
  test::TempDir dir;
  nats::Connection nats;
  test::InProcess p;
  ShardReplica replica;
};

// A node's log head as its store holds it, read in a transaction of the test's own: Log::head() is
// its writer thread's alone, and a replica's writer may still be advancing it after applied_seq()
// (read from the same commit) says the batch is in.
LogHead head(const Node& n) {
  auto reader = n.p.store.read();
  return n.p.log.recorded_head(reader.txn()).value_or(LogHead{});
}

TEST(ShardReplica, EveryReplicaHoldsTheOwnersLogByteForByte) {
  test::NatsCluster cluster(1);
  Node a(cluster, "a"), b(cluster, "b");
  ASSERT_TRUE(a.replica.acquire(1, 20s));
  EXPECT_TRUE(a.replica.owns());
  EXPECT_FALSE(b.replica.owns());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(std::holds_alternative<Ingested>(a.p.submit(one_event(std::to_string(i)))));
  // b decides nothing: it does not own the shard.
  auto refused = b.p.submit(one_event("b"));
  ASSERT_TRUE(std::holds_alternative<Rejection>(refused));
  EXPECT_EQ(std::get<Rejection>(refused).status, 503);
  ASSERT_TRUE(eventually([&] { return b.replica.applied_seq() == a.replica.applied_seq(); }));
  EXPECT_EQ(head(b), head(a));  // same positions, same hash chain
  EXPECT_EQ(head(b).position, 5u);
}

TEST(ShardReplica, AGroupCommitLargerThanAMessageIsPublishedAsSeveralChainedMessages) {
  test::NatsCluster cluster(1);
  // Messages of at most ~3 records, at most 2 unanswered at a time.
  ShardReplica::Options small;
  small.max_message_bytes = 1'000;
  small.max_pending = 2;
  Node a(cluster, "a", small);
  Node b(cluster, "b");
  ASSERT_TRUE(a.replica.acquire(1, 20s));
  const std::uint64_t claim_seq = a.replica.applied_seq();

  // Hold the writer while 30 commands queue, so that they are decided in one transaction.
  std::promise<void> gate;
  std::promise<void> held;
  a.p.writer.submit_task([&](lmdb::Txn&, Log::Appender&) {
    held.set_value();
    gate.get_future().wait();
  }, [](std::exception_ptr) {});
  held.get_future().wait();
  const auto commits_before = a.p.writer.stats().commits.load();
  std::vector<std::future<Outcome>> answers;
  std::vector<std::shared_ptr<std::promise<Outcome>>> promises;
  for (int i = 0; i < 30; ++i) {
    auto promise = std::make_shared<std::promise<Outcome>>();
    answers.push_back(promise->get_future());
    ASSERT_TRUE(a.p.writer.submit(one_event("batch-" + std::to_string(i)), [promise](Outcome o) { promise->set_value(std::move(o)); }));
  }
  gate.set_value();
  for (auto& f : answers) ASSERT_TRUE(std::holds_alternative<Ingested>(f.get()));
  EXPECT_EQ(a.p.writer.stats().commits.load(), commits_before + 1);

  // The one commit is several stream messages: consecutive positions, each within the bound,
  // each (after the first) fenced by the id of the one before it.
  nats::Connection reader(nats::ConnectOptions{cluster.urls(), "reader", 5000ms});
  const auto last = reader.last_seq(ShardReplica::stream_name(0)).value_or(0);
  EXPECT_GE(last - claim_seq, 10u);
  std::uint64_t next_position = 1;
  std::string previous_id;
  for (std::uint64_t seq = claim_seq + 1; seq <= last; ++seq) {
    auto m = reader.get(ShardReplica::stream_name(0), seq);
    ASSERT_TRUE(m.has_value());
    EXPECT_LE(m->data.size(), 1'000u);
    EXPECT_EQ(std::stoull(m->headers.at("Eventsd-Position")), next_position);
    if (seq > claim_seq + 1) {
      ASSERT_TRUE(m->headers.contains("Nats-Expected-Last-Msg-Id")) << seq;
      EXPECT_EQ(m->headers.at("Nats-Expected-Last-Msg-Id"), previous_id) << seq;
    }
    previous_id = m->headers.at("Nats-Msg-Id");
    EXPECT_TRUE(previous_id.starts_with("s0-e1-p" + std::to_string(next_position) + "-")) << previous_id;
    next_position += decode_records(m->data).size();
  }
  EXPECT_EQ(next_position, 31u);
  EXPECT_EQ(head(a).position, 30u);

  // One record larger than the bound goes alone, in one message.
  ASSERT_TRUE(std::holds_alternative<Ingested>(a.p.submit(one_event(std::string(3'000, 'x')))));
  const auto big = reader.get(ShardReplica::stream_name(0), last + 1);
  ASSERT_TRUE(big.has_value());
  EXPECT_GT(big->data.size(), 3'000u);
  EXPECT_EQ(decode_records(big->data).size(), 1u);
  EXPECT_EQ(big->headers.at("Eventsd-Position"), "31");
  ASSERT_TRUE(eventually([&] { return b.replica.applied_seq() == last + 1; }));
  EXPECT_EQ(head(b), head(a));
}

TEST(ShardReplica, AnOwnerFencedOutByANewClaimStopsDecidingBeforeItsNextAppend) {
  test::NatsCluster cluster(1);
  Node a(cluster, "a"), b(cluster, "b");
  ASSERT_TRUE(a.replica.acquire(1, 20s));
  ASSERT_TRUE(std::holds_alternative<Ingested>(a.p.submit(one_event("a-1"))));

  // b takes the shard over (as after a's lease expired while a was paused), and a's follower
  // applies b's claim before a decides anything more: a's fence now expects b's claim.
  ASSERT_TRUE(b.replica.acquire(2, 20s));
  const auto claimed = b.replica.applied_seq();
  ASSERT_TRUE(eventually([&] { return a.replica.applied_seq() >= claimed; }));
  EXPECT_FALSE(a.replica.owns());

  // a, whose lease renewal has not failed yet, is asked to write: refused, nothing appended.
  auto stale = a.p.submit(one_event("a-stale"));
  ASSERT_TRUE(std::holds_alternative<Rejection>(stale));
  EXPECT_EQ(std::get<Rejection>(stale).status, 503);
  // The new owner appends.
  ASSERT_TRUE(std::holds_alternative<Ingested>(b.p.submit(one_event("b-1"))));

  nats::Connection reader(nats::ConnectOptions{cluster.urls(), "reader", 5000ms});
  const auto last = reader.last_seq(ShardReplica::stream_name(0)).value_or(0);
  std::uint64_t claimed_epoch = 0;
  for (std::uint64_t seq = 1; seq <= last; ++seq) {
    auto m = reader.get(ShardReplica::stream_name(0), seq);
    ASSERT_TRUE(m.has_value());
    const auto epoch = std::stoull(m->headers.at("Eventsd-Epoch"));
    if (m->headers.contains("Eventsd-Claim")) claimed_epoch = epoch;
    else EXPECT_EQ(epoch, claimed_epoch) << "a batch of epoch " << epoch << " after the claim of " << claimed_epoch;
  }
  EXPECT_EQ(claimed_epoch, 2u);
}

// A stranger on the NATS bus appends to the shard's subject, matching the fence: records with no
// seal, and an owner's real message published again (its seal names the sequence it was stored
// at). Every replica passes both by, the owner keeps the shard, and the logs stay equal.
TEST(ShardReplica, MessagesNotSealedForTheirPlaceInTheStreamChangeNoReplica) {
  test::NatsCluster cluster(1);
  Node a(cluster, "a"), b(cluster, "b");
  ASSERT_TRUE(a.replica.acquire(1, 20s));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(std::holds_alternative<Ingested>(a.p.submit(one_event(std::to_string(i)))));
  ASSERT_TRUE(eventually([&] { return b.replica.applied_seq() == a.replica.applied_seq(); }));
  const RefusalCounts& refused = test::cluster_key().refused();
  const auto unsealed = refused.get(Sealed::shard, Refusal::unsealed);
  const auto bad_seals = refused.get(Sealed::shard, Refusal::bad_seal);

  nats::Connection stranger(nats::ConnectOptions{cluster.urls(), "stranger", 5000ms});
  const std::string stream = ShardReplica::stream_name(0);
  const std::uint64_t last = *stranger.last_seq(stream);
  const auto real = stranger.get(stream, last);
  ASSERT_TRUE(real);
  const std::string next = std::to_string(head(a).position + 1);
  auto stored = stranger.publish(ShardReplica::subject(0), {{shard_header::kPosition, next}, {shard_header::kEpoch, "1"}},
                                 real->data, last, "", 5s);
  ASSERT_TRUE(std::holds_alternative<nats::Published>(stored));
  nats::Headers again;
  for (const auto& [name, value] : real->headers) {
    if (!name.starts_with("Nats-")) again.emplace(name, value);
  }
  again[shard_header::kPosition] = next;
  stored = stranger.publish(ShardReplica::subject(0), again, real->data, last + 1, "", 5s);
  ASSERT_TRUE(std::holds_alternative<nats::Published>(stored));

  ASSERT_TRUE(eventually([&] { return a.replica.applied_seq() == last + 2 && b.replica.applied_seq() == last + 2; }));
  EXPECT_EQ(head(a).position, 3u);
  EXPECT_EQ(head(b).position, 3u);
  EXPECT_TRUE(a.replica.owns());
  EXPECT_EQ(refused.get(Sealed::shard, Refusal::unsealed) - unsealed, 2u);
  EXPECT_EQ(refused.get(Sealed::shard, Refusal::bad_seal) - bad_seals, 2u);

  // The owner goes on deciding, and the replica follows it.
  ASSERT_TRUE(std::holds_alternative<Ingested>(a.p.submit(one_event("after"))));
  ASSERT_TRUE(eventually([&] { return b.replica.applied_seq() == a.replica.applied_seq(); }));
  EXPECT_EQ(head(b), head(a));
  EXPECT_EQ(head(b).position, 4u);
}

}  // namespace
}  // namespace eventsd
