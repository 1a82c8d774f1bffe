// Cluster mode end to end (docs/cluster.md): three real nats-server processes, two or three real
// eventsd nodes, real HTTP. Writes go to any node; every node serves every tenant; owners die,
// pause past their lease, and NATS servers die under concurrent ingest. Each time: every
// acknowledged event is present exactly once on every node, nothing refused appears, and what
// was in flight when something died is there at most once.
#include <gtest/gtest.h>

#include <signal.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "cluster/nats.h"
#include "tests/support/cluster_nodes.h"
#include "tests/support/http_client.h"
#include "tests/support/eventually.h"
#include "tests/support/nats_cluster.h"

namespace eventsd::test {
namespace {

using namespace std::chrono_literals;

constexpr int kShards = 4;
const std::vector<std::string> kTenants = {"t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7"};

// Every shard owned by one of `alive`, as every node in `alive` sees it.
bool all_owned(const std::vector<Node*>& alive) {
  std::set<std::string> names;
  for (auto* n : alive) names.insert(n->name());
  std::vector<std::string> first;
  for (auto* n : alive) {
    auto owners = n->owners();
    if (owners.size() != static_cast<std::size_t>(kShards)) return false;
    for (const auto& o : owners) {
      if (!names.contains(o)) return false;
    }
    if (first.empty()) first = owners;
    else if (owners != first) return false;
  }
  return true;
}

// What the writers got back, by marker ("<tenant>/<n>").
struct Ledger {
  std::mutex mutex;
  std::set<std::string> acked;      // 2xx
  std::set<std::string> refused;    // 4xx: must never appear
  std::set<std::string> uncertain;  // 5xx or no answer: at most once
  void add(int status, const std::string& marker) {
    std::lock_guard lock(mutex);
    if (status >= 200 && status < 300) acked.insert(marker);
    else if (status >= 400 && status < 500) refused.insert(marker);
    else uncertain.insert(marker);
  }
};

std::string body_for(const std::string& marker) {
  return R"({"event":"view","data":{"marker":")" + marker + R"("}})";
}

// Markers of the tenant's events as `node` lists them, with their counts.
std::map<std::string, int> markers(const Node& node, const std::string& token) {
  auto c = node.client(token);
  std::map<std::string, int> out;
  std::string cursor;
  for (;;) {
    auto r = c.get("/v1/events?limit=100" + (cursor.empty() ? "" : "&cursor=" + cursor));
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) return out;
    const auto page = r.json();
    const auto& o = page.as_object();
    for (const auto& e : o.at("events").as_array()) {
      const auto& data = e.as_object().at("data").as_object();
      out[std::string(data.at("marker").as_string())] += 1;
    }
    const auto* next = o.at("pagination").as_object().if_contains("next_cursor");
    if (!next || next->is_null()) break;
    cursor = std::string(next->as_string());
  }
  return out;
}

// One owner at a time, read from the streams themselves: every batch of a shard carries the epoch
// of the last owner claim before it (a stale owner's append would carry an older one), and the
// claims' epochs increase.
void expect_fenced_streams(const NatsCluster& nats) {
  nats::Connection c(nats::ConnectOptions{nats.urls(), "test-check"});
  // A stream whose leader is still being elected after a restart answers "temporarily
  // unavailable" for a while: asked again until it answers (at most 30 s).
  auto retrying = [](auto read) {
    std::optional<decltype(read())> got;
    std::string error;
    test::eventually(
        [&] {
          try {
            got = read();
            return true;
          } catch (const nats::Error& e) {
            error = e.what();
            return false;
          }
        },
        std::chrono::seconds(30));
    if (!got) throw std::runtime_error(error);
    return *got;
  };
  for (int shard = 0; shard < kShards; ++shard) {
    const std::string stream = "EVENTSD_S" + std::to_string(shard);
    const std::uint64_t last = retrying([&] { return c.last_seq(stream); }).value_or(0);
    std::uint64_t claimed = 0;
    std::uint64_t batches = 0;
    for (std::uint64_t seq = 1; seq <= last; ++seq) {
      auto m = retrying([&] { return c.get(stream, seq); });
      ASSERT_TRUE(m.has_value()) << stream << " lacks " << seq;
      const std::uint64_t epoch = std::stoull(m->headers.at("Eventsd-Epoch"));
      if (m->headers.contains("Eventsd-Claim")) {
        EXPECT_GT(epoch, claimed) << stream << " claim at " << seq;
        claimed = epoch;
      } else {
        EXPECT_EQ(epoch, claimed) << stream << ": a batch of epoch " << epoch << " at " << seq
                                  << " after the claim of epoch " << claimed;
        ++batches;
      }
    }
    EXPECT_GT(batches, 0u) << stream << " holds no batch: the test wrote nothing there";
  }
}

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const auto& t : kTenants) tokens_[t] = cluster_token(nats_, t);
  }

  // Writes `count` events per tenant through `via` (round robin), concurrently from two threads,
  // until `stop` (if given) or the count is reached; records every answer.
  void ingest(const std::vector<Node*>& via, int count, Ledger& ledger, int start = 0) {
    std::vector<std::thread> threads;
    for (int w = 0; w < 2; ++w) {
      threads.emplace_back([&, w] {
        for (int i = start + w; i < start + count; i += 2) {
          for (std::size_t t = 0; t < kTenants.size(); ++t) {
            Node* node = via[(i + t) % via.size()];
            const std::string marker = kTenants[t] + "/" + std::to_string(i);
            int status = 0;
            try {
              auto c = node->client(tokens_[kTenants[t]]);
              status = c.post("/v1/events", body_for(marker)).status;
            } catch (const std::exception&) {
              status = 0;  // no answer: uncertain
            }
            ledger.add(status, marker);
          }
        }
      });
    }
    for (auto& t : threads) t.join();
  }

  // Every acked marker exactly once on `node`, refused ones never, uncertain ones at most once;
  // waits (bounded) for the node's replicas to fold everything acknowledged.
  void expect_complete(const Node& node, Ledger& ledger) {
    for (const auto& tenant : kTenants) {
      std::set<std::string> want;
      for (const auto& m : ledger.acked) {
        if (m.starts_with(tenant + "/")) want.insert(m);
      }
      std::map<std::string, int> seen;
      const bool all = eventually([&] {
        seen = markers(node, tokens_[tenant]);
        for (const auto& m : want) {
          if (!seen.contains(m)) return false;
        }
        return true;
      });
      EXPECT_TRUE(all) << node.name() << " lacks acknowledged events of " << tenant;
      for (const auto& [m, n] : seen) {
        EXPECT_EQ(n, 1) << node.name() << ": " << m << " appears " << n << " times";
        EXPECT_FALSE(ledger.refused.contains(m)) << node.name() << ": refused " << m << " appears";
        EXPECT_TRUE(want.contains(m) || ledger.uncertain.contains(m)) << node.name() << ": unknown " << m;
      }
    }
  }

  NatsCluster nats_{3};
  std::map<std::string, std::string> tokens_;
};

TEST_F(ClusterTest, AnyNodeTakesAnyWriteAndEveryNodeServesIt) {
  Node a(nats_, "a"), b(nats_, "b");
  ASSERT_TRUE(eventually([&] { return all_owned({&a, &b}); })) << "shards not owned";
  // A write through either node (forwarded to its shard's owner) is read on the other with the
  // position it was answered with.
  for (const auto& tenant : kTenants) {
    for (Node* via : {&a, &b}) {
      Node* other = via == &a ? &b : &a;
      auto w = via->client(tokens_[tenant]).post("/v1/events", body_for(tenant + "/" + via->name()));
      ASSERT_EQ(w.status, 201) << w.body;
      const std::string position = w.header("Eventsd-Position");
      ASSERT_FALSE(position.empty());
      auto r = other->client(tokens_[tenant]).get("/v1/events?min_position=" + position);
      ASSERT_EQ(r.status, 200) << r.body;
      bool found = false;
      const auto listed = r.json();
      for (const auto& e : listed.at("events").as_array()) {
        found = found || e.at("data").at("marker").as_string() == tenant + "/" + via->name();
      }
      EXPECT_TRUE(found) << tenant << " via " << via->name() << " not on " << other->name();
    }
  }
  // Rules set on one node are decided on the owner and seen on both.
  auto put = a.client(tokens_["t1"]).put("/v1/scoring/rules", R"({"rules":[{"event":"view","points":3}]})");
  ASSERT_EQ(put.status, 200) << put.body;
  auto got = b.client(tokens_["t1"]).get("/v1/scoring/rules?min_position=" + put.header("Eventsd-Position"));
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_NE(got.body.find("\"points\":3"), std::string::npos) << got.body;
}

// A provider webhook (docs/integrations.md) arriving at either node: its source, created on one
// node, works on the other once the system stream got there; the delivery is checked where it
// arrives and ingested by the tenant's owner; the provider's retry through the other node is a
// duplicate.
TEST_F(ClusterTest, AProviderWebhookReachesTheTenantsOwnerFromAnyNode) {
  Node a(nats_, "a"), b(nats_, "b");
  ASSERT_TRUE(eventually([&] { return all_owned({&a, &b}); })) << "shards not owned";
  const std::string open = R"({"RecordType":"Open","MessageID":"m-1","Recipient":"john@example.com",)"
                           R"("ReceivedAt":"2019-11-05T16:33:54Z"})";
  const Headers auth{{"Authorization", "Basic cG9zdG1hcms6Y29ycmVjdCBob3JzZSBiYXR0ZXJ5IHN0YXBsZQ=="}};
  for (const auto& tenant : kTenants) {
    const std::string hook = "/hooks/pm-" + tenant;
    auto put = a.client(tokens_[tenant]).put("/v1/sources/pm-" + tenant,
                                             R"({"kind":"postmark","username":"postmark","password":"correct horse battery staple"})");
    ASSERT_EQ(put.status, 201) << put.body;
    HttpResponse first;
    ASSERT_TRUE(eventually([&] {
      first = b.client("").request(boost::beast::http::verb::post, hook, open, auth);
      return first.status == 200;
    })) << tenant << ": " << first.status << " " << first.body;
    EXPECT_EQ(first.json().at("created"), 1) << first.body;
    auto retry = a.client("").request(boost::beast::http::verb::post, hook, open, auth);
    ASSERT_EQ(retry.status, 200) << retry.body;
    EXPECT_EQ(retry.json().at("duplicates"), 1) << retry.body;
    for (Node* node : {&a, &b}) {
      EXPECT_TRUE(eventually([&] {
        auto r = node->client(tokens_[tenant]).get("/v1/events?count_only=true&event_type=email_open");
        return r.status == 200 && r.json().at("count") == 1;
      })) << tenant << " on " << node->name();
    }
  }
}

TEST_F(ClusterTest, AKilledOwnersShardsAreTakenOverAndNothingAcknowledgedIsLost) {
  Node a(nats_, "a"), b(nats_, "b");
  ASSERT_TRUE(eventually([&] { return all_owned({&a, &b}); }));
  Ledger ledger;
  ingest({&a, &b}, 20, ledger);
  std::thread writer([&] { ingest({&b}, 60, ledger, 100); });
  a.kill9();
  writer.join();
  ASSERT_TRUE(eventually([&] { return all_owned({&b}); })) << "b did not take a's shards";
  ingest({&b}, 10, ledger, 200);
  EXPECT_GT(ledger.acked.size(), 200u);
  expect_complete(b, ledger);
  a.start();  // catches up from the streams
  expect_complete(a, ledger);
  expect_fenced_streams(nats_);
}

TEST_F(ClusterTest, AnOwnerPausedPastItsLeaseNeverWritesAgain) {
  Node a(nats_, "a"), b(nats_, "b");
  ASSERT_TRUE(eventually([&] { return all_owned({&a, &b}); }));
  Ledger ledger;
  ingest({&a, &b}, 10, ledger);
  // Requests in flight at a (the owner of its preferred shards, forwarding the others) when it stops.
  std::thread through_a([&] { ingest({&a}, 40, ledger, 300); });
  a.pause();
  ASSERT_TRUE(eventually([&] { return all_owned({&b}); })) << "b did not take over from the paused a";
  ingest({&b}, 20, ledger, 100);
  a.resume();
  through_a.join();
  // What a resumed a still had under way fails its fenced append; writes through it go to b.
  ingest({&a, &b}, 20, ledger, 200);
  expect_complete(a, ledger);
  expect_complete(b, ledger);
  expect_fenced_streams(nats_);
}

TEST_F(ClusterTest, WritesResumeAfterANatsServerDies) {
  Node a(nats_, "a"), b(nats_, "b");
  ASSERT_TRUE(eventually([&] { return all_owned({&a, &b}); }));
  Ledger ledger;
  std::thread writer([&] { ingest({&a, &b}, 60, ledger); });
  nats_.kill(0);
  writer.join();
  ingest({&a, &b}, 10, ledger, 100);  // after the elections
  EXPECT_GT(ledger.acked.size(), 0u);
  nats_.start(0);
  expect_complete(a, ledger);
  expect_complete(b, ledger);
  expect_fenced_streams(nats_);
}

TEST_F(ClusterTest, ANatsServerStoppedUnderLoadThenEverythingRestarted) {
  Node a(nats_, "a"), b(nats_, "b");
  ASSERT_TRUE(eventually([&] { return all_owned({&a, &b}); }));
  Ledger ledger;
  std::thread writer([&] { ingest({&a, &b}, 40, ledger); });
  nats_.stop(1);  // SIGTERM: a clean shutdown of one server, leader or not
  writer.join();
  nats_.start(1);
  // Everything down and up again: the nodes cleanly, the servers one after another.
  EXPECT_EQ(a.terminate(), 0);
  EXPECT_EQ(b.terminate(), 0);
  for (int i = 0; i < nats_.size(); ++i) nats_.stop(i);
  nats_.start_all();
  a.start();
  b.start();
  ASSERT_TRUE(eventually([&] { return all_owned({&a, &b}); })) << "shards not owned after the restart";
  ingest({&a, &b}, 10, ledger, 100);
  EXPECT_GT(ledger.acked.size(), 80u);
  expect_complete(a, ledger);
  expect_complete(b, ledger);
  expect_fenced_streams(nats_);
}

}  // namespace
}  // namespace eventsd::test
