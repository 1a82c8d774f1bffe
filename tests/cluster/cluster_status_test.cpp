// `eventctl cluster status` against a real cluster (docs/operations.md, "Cluster"): three
// nats-server processes and two eventsd nodes. What it reports is checked against what was done
// to the cluster: the shards written have stream sequences, every shard has an owner among the
// running nodes, both nodes answer with their positions and catch up to lag 0; a killed node
// stops answering and its shards move; once every node is gone no shard has an owner (exit 1).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "cluster/node_status.h"
#include "cluster/placement.h"
#include "tests/support/cluster_key.h"
#include "tests/support/cluster_nodes.h"
#include "tests/support/nats_cluster.h"
#include "tests/support/server_process.h"

namespace eventsd::test {
namespace {

namespace json = boost::json;

constexpr unsigned kShards = 4;
const std::vector<std::string> kTenants = {"t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7"};

struct Status {
  int exit = -1;
  std::string out;
  json::value doc;  // null unless the output was JSON
};

Status cluster_status(const NatsCluster& nats, bool as_json = true) {
  std::vector<std::string> argv{eventctl_binary(), "cluster", "status", "--nats", joined(nats.urls()), "--cluster-key-file", test::cluster_key_file()};
  if (as_json) argv.push_back("--json");
  auto r = run_command(argv);
  Status s{r.status, r.out, nullptr};
  if (as_json) {
    boost::system::error_code ec;
    s.doc = json::parse(r.out, ec);
    if (ec) s.doc = nullptr;
  }
  return s;
}

const json::object* node_of(const json::value& doc, const std::string& name) {
  for (const auto& n : doc.at("nodes").as_array()) {
    if (n.at("node").as_string() == name) return &n.as_object();
  }
  return nullptr;
}

// Why `s` does not (yet) show every shard owned by one of `owners`, each owner confirming, the
// nodes `answering` answering with lag 0, their read models folded up to their logs and their
// /healthz naming the same owners (so each forwards writes to them); "" when it does.
std::string not_settled(const Status& s, const std::set<std::string>& owners, const std::vector<Node*>& answering) {
  if (!s.doc.is_object()) return "not JSON: " + s.out;
  if (s.exit != 0) return "exit " + std::to_string(s.exit) + ": " + s.out;
  const auto& shards = s.doc.at("shards").as_array();
  if (shards.size() != kShards) return "shards: " + std::to_string(shards.size());
  std::vector<std::string> listed;
  for (const auto& shard : shards) {
    const auto& owner = shard.at("owner");
    if (!owner.is_string() || !owners.contains(std::string(owner.as_string()))) {
      return "shard " + json::serialize(shard) + " not owned by an expected node";
    }
    if (shard.at("owner_confirms") != json::value(true)) return "owner does not confirm: " + json::serialize(shard);
    listed.emplace_back(owner.as_string());
  }
  for (const Node* n : answering) {
    const std::string& name = n->name();
    if (n->owners() != listed) return name + "'s /healthz names other owners";
    const auto* node = node_of(s.doc, name);
    if (!node) return name + " not listed";
    if (node->at("answering") != json::value(true)) return name + " not answering: " + json::serialize(*node);
    const auto& mine = node->at("shards").as_array();
    if (mine.size() != kShards) return name + " lists " + std::to_string(mine.size()) + " shards";
    for (const auto& st : mine) {
      if (st.at("lag") != json::value(0)) return name + " lags: " + json::serialize(st);
      if (st.at("read_position") != st.at("log_position")) return name + " not folded: " + json::serialize(st);
    }
  }
  return "";
}

class ClusterStatusTest : public ::testing::Test {
 protected:
  // Writes `count` events for every tenant, alternately through `a` and `b`.
  void write(Node& a, Node& b, int count) {
    for (int i = 0; i < count; ++i) {
      for (std::size_t t = 0; t < kTenants.size(); ++t) {
        Node& via = (i + t) % 2 ? b : a;
        auto r = via.client(tokens_[kTenants[t]]).post("/v1/events", R"({"event":"view","data":{"n":1}})");
        ASSERT_EQ(r.status, 201) << r.body;
      }
    }
  }

  NatsCluster nats_{3};
  std::map<std::string, std::string> tokens_;
};

TEST_F(ClusterStatusTest, ReportsOwnersStreamsAndEveryNodesLagThroughAFailover) {
  for (const auto& t : kTenants) tokens_[t] = cluster_token(nats_, t);
  Node a(nats_, "a", kShards), b(nats_, "b", kShards);
  Status s;
  ASSERT_TRUE(eventually([&] {
    s = cluster_status(nats_);
    return not_settled(s, {"a", "b"}, {&a, &b}).empty();
  })) << not_settled(s, {"a", "b"}, {&a, &b});

  ASSERT_NO_FATAL_FAILURE(write(a, b, 3));
  std::set<unsigned> written;
  for (const auto& t : kTenants) written.insert(shard_of(t, kShards));

  // Once both nodes have applied everything: lag 0 on both, and the figures agree.
  ASSERT_TRUE(eventually([&] {
    s = cluster_status(nats_);
    return not_settled(s, {"a", "b"}, {&a, &b}).empty();
  })) << not_settled(s, {"a", "b"}, {&a, &b});
  std::map<std::string, int> owned;
  for (const auto& shard : s.doc.at("shards").as_array()) {
    const auto n = static_cast<unsigned>(shard.at("shard").to_number<std::uint64_t>());
    const auto last_seq = shard.at("last_seq").to_number<std::uint64_t>();
    // Every stream holds at least its owner's claim; a shard written to holds the events too.
    EXPECT_GT(last_seq, 0u) << json::serialize(shard);
    EXPECT_EQ(shard.at("stream").as_string(), "EVENTSD_S" + std::to_string(n));
    EXPECT_GE(shard.at("epoch").to_number<std::uint64_t>(), 1u);
    const std::string owner(shard.at("owner").as_string());
    owned[owner] += 1;
    for (const std::string name : {"a", "b"}) {
      const auto& st = node_of(s.doc, name)->at("shards").as_array().at(n);
      EXPECT_EQ(st.at("shard").to_number<std::uint64_t>(), n);
      EXPECT_EQ(st.at("applied_seq").to_number<std::uint64_t>(), last_seq) << name;
      EXPECT_EQ(st.at("owns").as_bool(), owner == name) << name << " shard " << n;
      // A position names the same record on every node; a written shard's log is not empty.
      EXPECT_EQ(st.at("log_position"), node_of(s.doc, "a")->at("shards").as_array().at(n).at("log_position"));
      if (written.contains(n)) {
        EXPECT_GT(st.at("log_position").to_number<std::uint64_t>(), 0u) << name;
      }
      if (owner == name) {
        EXPECT_EQ(st.at("epoch"), shard.at("epoch")) << name;
      }
    }
  }
  EXPECT_EQ(owned["a"] + owned["b"], static_cast<int>(kShards));
  EXPECT_EQ(s.doc.at("ok"), json::value(true));
  EXPECT_TRUE(s.doc.at("left").as_array().empty());

  // The table says the same to a person.
  const Status table = cluster_status(nats_, false);
  EXPECT_EQ(table.exit, 0) << table.out;
  EXPECT_NE(table.out.find("SHARD"), std::string::npos) << table.out;
  for (const std::string name : {"a", "b"}) EXPECT_NE(table.out.find("\n" + name + " "), std::string::npos) << table.out;
  EXPECT_EQ(table.out.find("not answering"), std::string::npos) << table.out;

  // a dies: it stops answering, b takes its shards and catches up.
  a.kill9();
  ASSERT_TRUE(eventually([&] {
    s = cluster_status(nats_);
    return not_settled(s, {"b"}, {&b}).empty();
  })) << not_settled(s, {"b"}, {&b});
  const auto* gone = node_of(s.doc, "a");
  if (gone) {
    EXPECT_EQ(gone->at("answering"), json::value(false)) << json::serialize(*gone);
  }
  for (const auto& st : node_of(s.doc, "b")->at("shards").as_array()) EXPECT_TRUE(st.at("owns").as_bool());
  ASSERT_NO_FATAL_FAILURE(write(b, b, 1));
  ASSERT_TRUE(eventually([&] {
    s = cluster_status(nats_);
    return not_settled(s, {"b"}, {&b}).empty();
  })) << not_settled(s, {"b"}, {&b});

  // b stops cleanly: it gives its leases back (epochs kept) and leaves; no shard has an owner.
  EXPECT_EQ(b.terminate(), 0);
  s = cluster_status(nats_);
  ASSERT_TRUE(s.doc.is_object()) << s.out;
  EXPECT_EQ(s.exit, 1) << s.out;
  EXPECT_EQ(s.doc.at("ok"), json::value(false));
  for (const auto& shard : s.doc.at("shards").as_array()) {
    EXPECT_TRUE(shard.at("owner").is_null()) << json::serialize(shard);
    EXPECT_GE(shard.at("epoch").to_number<std::uint64_t>(), 1u) << json::serialize(shard);
    EXPECT_TRUE(shard.at("owner_confirms").is_null());
  }
  EXPECT_EQ(node_of(s.doc, "b"), nullptr);
  EXPECT_EQ(s.doc.at("left"), json::value(json::array{"b"}));
  const Status table_after = cluster_status(nats_, false);
  EXPECT_EQ(table_after.exit, 1);
  EXPECT_NE(table_after.out.find("no owner"), std::string::npos) << table_after.out;
}

TEST(ClusterStatus, ANodesStatusDocumentRoundTripsAndBadOnesAreRefused) {
  const NodeStatus status{.node = "node-1",
                          .shards = {{.shard = 0, .owns = true, .epoch = 7, .applied_seq = 12, .log_position = 40,
                                      .read_position = 39},
                                     {.shard = 1, .owns = false, .epoch = 0, .applied_seq = UINT64_MAX,
                                      .log_position = 0, .read_position = 0}}};
  const std::string text = encode_node_status(status);
  EXPECT_EQ(decode_node_status(text), status) << text;
  EXPECT_EQ(node_status_subject("node-1"), "eventsd.node.node-1.status");
  for (const char* bad : {"", "[]", "{\"node\":1,\"shards\":[]}", "{\"node\":\"a\"}",
                          "{\"node\":\"a\",\"shards\":[{\"shard\":0}]}",
                          "{\"node\":\"a\",\"shards\":[{\"shard\":-1,\"owns\":true,\"epoch\":0,"
                          "\"applied_seq\":0,\"log_position\":0,\"read_position\":0}]}",
                          "{\"node\":\"a\",\"shards\":[{\"shard\":0,\"owns\":1,\"epoch\":0,"
                          "\"applied_seq\":0,\"log_position\":0,\"read_position\":0}]}"}) {
    EXPECT_THROW(decode_node_status(bad), std::runtime_error) << bad;
  }
}

TEST(ClusterStatus, NatsWithoutAClusterAndBadCommandLines) {
  NatsCluster nats(1);
  auto r = run_command({eventctl_binary(), "cluster", "status", "--nats", nats.url(0), "--cluster-key-file", test::cluster_key_file()});
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_EQ(run_command({eventctl_binary(), "cluster", "status"}).status, 2);
  EXPECT_EQ(run_command({eventctl_binary(), "cluster", "stats", "--nats", nats.url(0), "--cluster-key-file", test::cluster_key_file()}).status, 2);
  EXPECT_EQ(run_command({eventctl_binary(), "cluster", "status", "--nats", nats.url(0), "--cluster-key-file", test::cluster_key_file(), "--data", "x"}).status, 2);
  EXPECT_EQ(run_command({eventctl_binary(), "cluster"}).status, 2);
}

}  // namespace
}  // namespace eventsd::test
