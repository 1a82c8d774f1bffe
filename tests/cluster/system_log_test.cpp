// SystemLog (cluster/system_log.h) against real nats-server processes (tests/support/nats_cluster.h):
// two nodes, each with a system store of its own and a connection to a different server, see each
// other's tokens, users and sessions; a restarted node resumes where it stopped; a write with no
// server to take it fails in bounded time.
#include "cluster/system_log.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "common/time.h"
#include "accounts/tokens.h"
#include "accounts/users.h"
#include "tests/support/cluster_key.h"
#include "tests/support/nats_cluster.h"
#include "tests/support/nats_suite.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

namespace eventsd {
namespace {

using namespace std::chrono_literals;
using test::NatsCluster;

// A node's system side: its store (DIR/system), the stores over it, its connection, its log.
struct Node {
  Node(const std::filesystem::path& dir, std::vector<std::string> urls, SystemLogOptions options)
      : store(dir / "system"),
        tokens(store),
        users(store),
        other(store.db("not_replicated")),
        nats(nats::ConnectOptions{std::move(urls), dir.filename().string(), 10'000ms}),
        log(nats, store, test::cluster_key(), "node-" + dir.filename().string().substr(0, 40), std::move(options)) {
    log.start();
  }
  std::optional<TokenInfo> token(std::string_view secret) {
    auto reader = store.read();
    return tokens.find(reader.txn(), secret);
  }
  Store store;
  TokenStore tokens;
  UserStore users;
  MDB_dbi other;
  nats::Connection nats;
  SystemLog log;
};

SystemLogOptions options(int replicas, std::chrono::milliseconds timeout = 60'000ms) {
  SystemLogOptions o;
  o.replicas = replicas;
  o.timeout = timeout;
  return o;
}

// Waits until `to` applied everything `from` applied.
void catch_up(Node& to, Node& from) {
  const std::uint64_t seq = from.log.applied_seq();
  ASSERT_TRUE(to.log.wait_until_applied(seq, std::chrono::steady_clock::now() + 60s))
      << "applied " << to.log.applied_seq() << " of " << seq << "; " << to.log.failure().value_or("");
}

class SystemLogTest : public test::NatsSuite {
 protected:
  void SetUp() override {
    a_.emplace(dir_a_.path(), std::vector{cluster_->url(0)}, options(3));
    b_.emplace(dir_b_.path(), std::vector{cluster_->url(1)}, options(3));
  }
  test::TempDir dir_a_, dir_b_;
  std::optional<Node> a_, b_;
};

TEST_F(SystemLogTest, TokensUsersAndSessionsChangedOnOneNodeReachTheOther) {
  Node& a = *a_;
  Node& b = *b_;
  // A token: usable on the writing node when write() returns, on the other once it applied.
  const std::string secret =
      a.log.write([&](lmdb::Txn& txn) { return a.tokens.create(txn, "t1", {"events:read", "admin"}); });
  ASSERT_TRUE(a.token(secret));
  catch_up(b, a);
  auto on_b = b.token(secret);
  ASSERT_TRUE(on_b);
  EXPECT_EQ(on_b->tenant, "t1");
  EXPECT_EQ(on_b->scopes, (std::vector<std::string>{"events:read", "admin"}));
  EXPECT_EQ(on_b->id, TokenStore::id_of(secret));

  // Revoked on the other node (a cursor delete): gone on both.
  EXPECT_TRUE(b.log.write([&](lmdb::Txn& txn) { return b.tokens.revoke(txn, on_b->id); }));
  EXPECT_FALSE(b.token(secret));
  catch_up(a, b);
  EXPECT_FALSE(a.token(secret));

  // A user: created on a, and its e-mail is taken on b once b applied it.
  const UserInfo user = UserStore::new_user("Ann@Example.com", "correct horse", {"t1", "t2"}, "admin");
  EXPECT_TRUE(a.log.write([&](lmdb::Txn& txn) { return a.users.add_user(txn, user); }));
  catch_up(b, a);
  {
    auto reader = b.store.read();
    auto found = b.users.find_user(reader.txn(), "ann@example.com");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->id, user.id);
    EXPECT_EQ(found->tenants, user.tenants);
    EXPECT_TRUE(verify_password(found->password_hash, "correct horse"));
  }
  const auto again = UserStore::new_user("ann@example.com", "another one", {"t1"}, "member");
  EXPECT_FALSE(b.log.write([&](lmdb::Txn& txn) { return b.users.add_user(txn, again); }));

  // A session: started on a, found on b, ended on b, gone on a.
  const Millis now = now_millis();
  const std::string session =
      a.log.write([&](lmdb::Txn& txn) { return a.users.create_session(txn, user, "t2", now, 3'600'000); });
  catch_up(b, a);
  {
    auto reader = b.store.read();
    auto found = b.users.find_session(reader.txn(), session, now);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->user_id, user.id);
    EXPECT_EQ(found->tenant, "t2");
  }
  EXPECT_TRUE(b.log.write([&](lmdb::Txn& txn) { return b.users.delete_session(txn, session); }));
  catch_up(a, b);
  {
    auto reader = a.store.read();
    EXPECT_FALSE(a.users.find_session(reader.txn(), session, now));
  }
  EXPECT_EQ(a.log.applied_seq(), b.log.applied_seq());
  EXPECT_FALSE(a.log.failure());
  EXPECT_FALSE(b.log.failure());
}

TEST_F(SystemLogTest, AWriteThatChangesNothingOrFailsPublishesNothing) {
  Node& a = *a_;
  const auto before = a.nats.last_seq(kSystemStream);
  ASSERT_TRUE(before);
  EXPECT_FALSE(a.log.write([&](lmdb::Txn& txn) { return a.tokens.revoke(txn, "tok_000000000000"); }));
  EXPECT_THROW(a.log.write([&](lmdb::Txn& txn) { a.tokens.create(txn, "not a tenant!", {"admin"}); }),
               std::invalid_argument);
  std::string secret;
  EXPECT_THROW(a.log.write([&](lmdb::Txn& txn) {
    secret = a.tokens.create(txn, "t1", {"admin"});
    txn.put(a.other, "k", "v");  // not a replicated database: the whole change is refused
  }),
               std::logic_error);
  EXPECT_EQ(a.nats.last_seq(kSystemStream), before);
  EXPECT_FALSE(a.token(secret));
  auto reader = a.store.read();
  std::string_view v;
  EXPECT_FALSE(reader.txn().get(a.other, "k", v));
}

TEST_F(SystemLogTest, ARestartedNodeResumesAfterItsStoredSequenceAndAppliesNothingTwice) {
  Node& a = *a_;
  const std::string first = a.log.write([&](lmdb::Txn& txn) { return a.tokens.create(txn, "t1", {"admin"}); });
  catch_up(*b_, a);
  const std::uint64_t stopped_at = b_->log.applied_seq();
  b_.reset();  // the whole node: log, connection and store closed

  const std::string second = a.log.write([&](lmdb::Txn& txn) { return a.tokens.create(txn, "t2", {"admin"}); });
  // Revoking the first token: applied twice from the start, it would still be gone, so the count
  // below is what tells a resumed follower from one that read the stream again.
  EXPECT_TRUE(a.log.write([&](lmdb::Txn& txn) { return a.tokens.revoke(txn, TokenStore::id_of(first)); }));
  EXPECT_EQ(a.log.applied_seq(), stopped_at + 2);

  b_.emplace(dir_b_.path(), std::vector{cluster_->url(2)}, options(3));
  Node& b = *b_;
  catch_up(b, a);
  EXPECT_EQ(b.log.applied_messages(), 2u);
  EXPECT_EQ(b.log.applied_seq(), stopped_at + 2);
  EXPECT_FALSE(b.token(first));
  ASSERT_TRUE(b.token(second));
  EXPECT_EQ(b.token(second)->tenant, "t2");
}

TEST_F(SystemLogTest, EventctlCreatesATokenInTheClusterWithoutADataDirectory) {
  const std::string urls = cluster_->url(0) + "," + cluster_->url(1) + "," + cluster_->url(2);
  auto run = test::run_command({test::eventctl_binary(), "token", "create", "--nats", urls, "--cluster-key-file", test::cluster_key_file(), "--tenant", "t7",
                                "--scopes", "events:read,events:write"});
  ASSERT_EQ(run.status, 0) << run.out;
  ASSERT_TRUE(run.out.ends_with("\n"));
  const std::string secret = run.out.substr(0, run.out.size() - 1);
  EXPECT_TRUE(secret.starts_with("eds_")) << secret;

  auto key = test::run_command({test::eventctl_binary(), "token", "create", "--nats", urls, "--cluster-key-file", test::cluster_key_file(), "--tenant", "t7",
                                "--publishable", "--origins", "https://shop.example"});
  ASSERT_EQ(key.status, 0) << key.out;
  const std::string publishable = key.out.substr(0, key.out.size() - 1);

  // Both are in the stream: every node takes them as it applies it.
  const auto last = a_->nats.last_seq(kSystemStream);
  ASSERT_TRUE(last);
  for (Node* node : {&*a_, &*b_}) {
    ASSERT_TRUE(node->log.wait_until_applied(*last, std::chrono::steady_clock::now() + 60s));
    auto info = node->token(secret);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->tenant, "t7");
    EXPECT_EQ(info->scopes, (std::vector<std::string>{"events:read", "events:write"}));
    auto pk = node->token(publishable);
    ASSERT_TRUE(pk);
    EXPECT_TRUE(pk->publishable);
    EXPECT_EQ(pk->origins, (std::vector<std::string>{"https://shop.example"}));
  }

  // Only create goes to the cluster, and never together with a data directory.
  EXPECT_EQ(test::run_command({test::eventctl_binary(), "token", "list", "--nats", urls, "--cluster-key-file", test::cluster_key_file()}).status, 2);
  EXPECT_EQ(test::run_command({test::eventctl_binary(), "token", "create", "--nats", urls, "--cluster-key-file", test::cluster_key_file(), "--data",
                               dir_a_.path().string(), "--tenant", "t7", "--scopes", "admin"})
                .status,
            2);
  EXPECT_EQ(test::run_command({test::eventctl_binary(), "token", "create", "--nats", urls, "--cluster-key-file", test::cluster_key_file(), "--tenant", "t 7",
                               "--scopes", "admin"})
                .status,
            2);
  EXPECT_EQ(a_->nats.last_seq(kSystemStream), last);
}

// With its only server gone, a write is answered with nats::Unavailable within its bound, and
// nothing of it is applied locally; once the server is back, writes go through again.
TEST(SystemLogWithoutServer, AWriteFailsInBoundedTimeAndWorksAgainAfterTheServerReturns) {
  NatsCluster cluster(1);
  test::TempDir dir;
  Node node(dir.path(), cluster.urls(), options(1, 2'000ms));
  const std::string before =
      node.log.write([&](lmdb::Txn& txn) { return node.tokens.create(txn, "t1", {"admin"}); });
  ASSERT_TRUE(node.token(before));

  cluster.kill(0);
  std::string lost;
  EXPECT_THROW(node.log.write([&](lmdb::Txn& txn) { lost = node.tokens.create(txn, "t1", {"admin"}); }),
               nats::Unavailable);
  EXPECT_FALSE(node.token(lost));

  cluster.start(0);
  std::string after;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  for (;;) {
    try {
      after = node.log.write([&](lmdb::Txn& txn) { return node.tokens.create(txn, "t1", {"admin"}); });
      break;
    } catch (const nats::Unavailable&) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "no write went through after the restart";
    }
  }
  EXPECT_TRUE(node.token(after));
  EXPECT_TRUE(node.token(before));
  EXPECT_FALSE(node.log.failure());
}

}  // namespace
}  // namespace eventsd

namespace eventsd {
namespace {

// What a stranger on the NATS bus can publish to eventsd.system: a hand-built token record with
// no seal; the same made with eventsd's code under another key; a node's real message published
// again (its seal names the sequence it was stored at); a message sealed with the cluster key
// that is not a system change. Each is skipped by every node, counted, and the followers go on.
TEST_F(SystemLogTest, ForgedReplayedAndMalformedChangesAreSkippedAndTheFollowersGoOn) {
  Node& a = *a_;
  Node& b = *b_;
  const RefusalCounts& refused = test::cluster_key().refused();
  const auto bad_seals = refused.get(Sealed::system, Refusal::bad_seal);
  const auto unsealed = refused.get(Sealed::system, Refusal::unsealed);
  const auto malformed = refused.get(Sealed::system, Refusal::malformed);

  // A real token, then revoked: its creation is what a replay would bring back.
  const std::string real = a.log.write([&](lmdb::Txn& txn) { return a.tokens.create(txn, "victim", {"admin"}); });
  const std::uint64_t created_at = a.log.applied_seq();
  a.log.write([&](lmdb::Txn& txn) { a.tokens.revoke(txn, TokenStore::id_of(real)); });
  catch_up(b, a);

  // 1. Unsealed: the reviewer's hand-built token record.
  test::TempDir scratch_dir;
  Store scratch(scratch_dir.path());
  TokenStore scratch_tokens(scratch);
  lmdb::Journal journal;
  std::string forged_secret;
  {
    auto txn = scratch.begin_write();
    txn.record_to(&journal);
    forged_secret = scratch_tokens.create(txn, "victim", {"admin"});
  }
  std::vector<SystemChange> changes;
  for (auto& c : journal) changes.push_back({"tokens", c.key, c.value});
  a.nats.publish(kSystemSubject, {}, encode_system_changes(changes), std::nullopt, "", 10s);
  // 2. Sealed with another key, through eventsd's own code.
  const ClusterKey other("not this cluster's key, though long enough", system_clock());
  SystemLog forger(a.nats, scratch, other, "forger", options(3));
  std::string other_secret;
  forger.publish([&](lmdb::Txn& txn) { other_secret = scratch_tokens.create(txn, "victim", {"admin"}); });
  // 3. The revoked token's creation, published again with its seal.
  const auto original = a.nats.get(kSystemStream, created_at);
  ASSERT_TRUE(original);
  nats::Headers again;
  for (const auto& [name, value] : original->headers) {
    if (!name.starts_with("Nats-")) again.emplace(name, value);  // (its fence and id were for then)
  }
  ASSERT_TRUE(again.contains(kSealHeader));
  ASSERT_TRUE(std::holds_alternative<nats::Published>(
      a.nats.publish(kSystemSubject, again, original->data, std::nullopt, "", 10s)));
  // 4. Sealed with the cluster key for its place, but not a system change.
  const std::uint64_t next = *a.nats.last_seq(kSystemStream) + 1;
  a.nats.publish(kSystemSubject, {{kSealHeader, test::cluster_key().seal("system#" + std::to_string(next), "node-x", {"\x07junk"})}},
                 "\x07junk", next - 1, "", 10s);

  // A real change after them all reaches both nodes: neither follower stopped.
  const std::string after = b.log.write([&](lmdb::Txn& txn) { return b.tokens.create(txn, "t9", {"events:read"}); });
  catch_up(a, b);
  for (Node* node : {&a, &b}) {
    EXPECT_TRUE(node->token(after));
    EXPECT_FALSE(node->token(forged_secret));
    EXPECT_FALSE(node->token(other_secret));
    EXPECT_FALSE(node->token(real));
    EXPECT_EQ(node->log.failure(), std::nullopt);
    EXPECT_EQ(node->log.skipped_messages(), 4u);
  }
  // Counted by both nodes (they share the test's key object).
  EXPECT_EQ(refused.get(Sealed::system, Refusal::unsealed) - unsealed, 2u);
  EXPECT_EQ(refused.get(Sealed::system, Refusal::bad_seal) - bad_seals, 4u);
  EXPECT_EQ(refused.get(Sealed::system, Refusal::malformed) - malformed, 2u);
}

}  // namespace
}  // namespace eventsd
