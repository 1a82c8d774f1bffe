// eventctl on cluster nodes (docs/operations.md, "Cluster nodes"): three real nats-server
// processes, two real eventsd nodes. verify and rebuild work per shard on a node's data
// directory; nodes that folded the same streams print the same read-model digest per shard; a
// node whose data directory is lost folds every shard again from its stream and ends with the
// same digests.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cluster/placement.h"
#include "tests/support/cluster_key.h"
#include "tests/support/eventually.h"
#include "tests/support/http_client.h"
#include "tests/support/nats_cluster.h"
#include "tests/support/server_process.h"
#include "tests/support/tamper.h"
#include "tests/support/temp_dir.h"

namespace eventsd::test {
namespace {

using test::eventually;

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace json = boost::json;

constexpr unsigned kShards = 4;

std::string joined(const std::vector<std::string>& urls) {
  std::string out;
  for (const auto& u : urls) out += (out.empty() ? "" : ",") + u;
  return out;
}

// A cluster node: eventsd with --nats and --node on a data directory of its own, which outlives
// the process (stop, verify, start again) and can be deleted in between; `operator_token` reads
// its /healthz.
class Node {
 public:
  Node(const NatsCluster& nats, std::string name, std::string operator_token)
      : nats_(nats), name_(std::move(name)), operator_token_(std::move(operator_token)) {
    start();
  }
  void start() {
    process_ = std::make_unique<ServerProcess>(
        dir(), std::vector<std::string>{"--nats", joined(nats_.urls()), "--cluster-key-file", test::cluster_key_file(), "--node", name_, "--shards",
                                        std::to_string(kShards), "--lease-ms", "1500", "--threads", "2"});
  }
  int terminate() {
    const int status = process_->terminate();
    process_.reset();
    return status;
  }
  fs::path dir() const { return dir_.path() / "data"; }
  HttpClient client(const std::string& token = {}) const { return HttpClient(process_->port(), token); }
  // Null while the node does not answer it (nor knows the operator's token: a node that lost its
  // directory folds the tokens back from the system stream).
  json::value health() const {
    auto r = client(operator_token_).get("/healthz");
    return r.status == 200 ? r.json() : json::value();
  }

 private:
  const NatsCluster& nats_;
  std::string name_;
  std::string operator_token_;
  TempDir dir_;
  std::unique_ptr<ServerProcess> process_;
};

// Per shard, (log_position, read_position) as the node's /healthz shows them.
std::vector<std::pair<std::uint64_t, std::uint64_t>> positions(const Node& node) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
  const auto health = node.health();
  if (health.is_null()) return out;
  for (const auto& s : health.at("shards").as_array()) {
    out.emplace_back(s.at("log_position").to_number<std::uint64_t>(), s.at("read_position").to_number<std::uint64_t>());
  }
  return out;
}

// Every shard owned, by the node it should be (nothing is about to be handed over).
bool all_owned(const Node& node) {
  const auto health = node.health();
  if (health.is_null()) return false;
  for (const auto& s : health.at("shards").as_array()) {
    if (s.at("owner").is_null() || s.at("owner") != s.at("preferred")) return false;
  }
  return health.at("shards").as_array().size() == kShards;
}

// Every shard folded to the same position on every node, with nothing left to fold.
bool caught_up(const std::vector<const Node*>& nodes, std::vector<std::uint64_t>* folded = nullptr) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> first;
  for (const Node* n : nodes) {
    const auto p = positions(*n);
    if (p.size() != kShards) return false;
    for (const auto& [log, read] : p) {
      if (log != read) return false;
    }
    if (first.empty()) first = p;
    else if (p != first) return false;
  }
  if (folded) {
    folded->clear();
    for (const auto& p : first) folded->push_back(p.second);
  }
  return true;
}

// The generation each shard's read directory names in CURRENT.
std::vector<std::string> served_generations(const Node& node) {
  std::vector<std::string> out;
  for (unsigned n = 0; n < kShards; ++n) {
    std::ifstream in(node.dir() / "shards" / std::to_string(n) / "read" / "CURRENT");
    std::string name;
    std::getline(in, name);
    EXPECT_FALSE(name.empty()) << "shard " << n;
    out.push_back(name);
  }
  return out;
}

// What `eventctl verify --json` says about each shard.
struct ShardVerdict {
  std::string status;
  std::uint64_t position = 0;
  std::string digest;
  unsigned shard = 0;
  std::vector<std::string> differ;  // read models
};

std::vector<ShardVerdict> verify(const fs::path& dir, int expected_status = 0,
                                 std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"verify", "--data", dir.string(), "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = eventctl(args);
  EXPECT_EQ(r.status, expected_status) << r.out;
  std::vector<ShardVerdict> out;
  const auto doc = json::parse(r.out);
  for (const auto& s : doc.at("shards").as_array()) {
    ShardVerdict v{std::string(s.at("status").as_string()), s.at("position").to_number<std::uint64_t>(),
                   std::string(s.at("digest").as_string()), s.at("shard").to_number<unsigned>(), {}};
    for (const auto& n : s.at("read_models_differ").as_array()) v.differ.emplace_back(n.as_string());
    out.push_back(std::move(v));
  }
  return out;
}

std::vector<std::string> digests(const std::vector<ShardVerdict>& verdicts) {
  EXPECT_EQ(verdicts.size(), kShards);
  std::vector<std::string> out;
  for (const auto& v : verdicts) {
    EXPECT_EQ(v.shard, out.size());
    EXPECT_EQ(v.status, "ok");
    EXPECT_EQ(v.digest.size(), 64u);
    out.push_back(v.digest);
  }
  return out;
}

class ClusterToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Two tenants in each shard.
    std::map<unsigned, int> per_shard;
    for (int i = 0; tenants_.size() < 2 * kShards; ++i) {
      const std::string t = "tenant" + std::to_string(i);
      if (per_shard[shard_of(t, kShards)]++ < 2) tenants_.push_back(t);
    }
    for (const auto& t : tenants_) {
      auto r = eventctl({"token", "create", "--nats", joined(nats_.urls()), "--cluster-key-file", test::cluster_key_file(), "--tenant", t, "--scopes",
                         "events:read,events:write,admin"});
      ASSERT_EQ(r.status, 0) << r.out;
      while (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
      tokens_[t] = r.out;
    }
    auto r = eventctl({"token", "create", "--nats", joined(nats_.urls()), "--cluster-key-file", test::cluster_key_file(),
                       "--operator"});
    ASSERT_EQ(r.status, 0) << r.out;
    operator_token_ = r.out.substr(0, r.out.find('\n'));
  }

  // Events (several contacts, one of them merged), and scoring rules, for every tenant, written
  // through both nodes.
  void write(const Node& a, const Node& b, int round) {
    for (std::size_t t = 0; t < tenants_.size(); ++t) {
      const std::string& tenant = tenants_[t];
      for (int i = 0; i < 6; ++i) {
        const Node& via = (i + t) % 2 ? a : b;
        const std::string body = R"({"id":"r)" + std::to_string(round) + "-" + std::to_string(i) +
                                  R"(","event":")" + (i % 2 ? "view" : "click") + R"(","contact_id":"c)" +
                                  std::to_string(i % 3) + R"(","url":"https://d.example/p)" + std::to_string(i) +
                                  R"(","data":{"n":)" + std::to_string(i) + "}}";
        auto r = via.client(tokens_[tenant]).post("/v1/events", body);
        ASSERT_EQ(r.status, 201) << tenant << ": " << r.body;
      }
      const Node& via = t % 2 ? b : a;
      auto rules = via.client(tokens_[tenant]).put(
          "/v1/scoring/rules", R"({"rules":[{"event":"view","points":)" + std::to_string(round + 2) + "}]}");
      ASSERT_EQ(rules.status, 200) << rules.body;
      if (round == 0) {
        auto merge = via.client(tokens_[tenant]).post("/v1/contacts/merge", R"({"from":"c2","into":"c1"})");
        ASSERT_EQ(merge.status, 200) << merge.body;
      }
    }
  }

  NatsCluster nats_{3};
  std::vector<std::string> tenants_;
  std::map<std::string, std::string> tokens_;
  std::string operator_token_;
};

TEST_F(ClusterToolsTest, VerifyAndRebuildPerShardAndDigestsAreEqualAcrossNodesAndAfterRecovery) {
  Node a(nats_, "a", operator_token_), b(nats_, "b", operator_token_);
  ASSERT_TRUE(eventually([&] { return all_owned(a) && all_owned(b); })) << "shards not owned";
  ASSERT_NO_FATAL_FAILURE(write(a, b, 0));
  // A rebuild of the running node: each shard's projector adopts its shard's new generation.
  const auto served = served_generations(a);
  ASSERT_EQ(eventctl({"rebuild", "--data", a.dir().string()}).status, 0);
  const auto adopted = served_generations(a);
  for (unsigned n = 0; n < kShards; ++n) {
    EXPECT_NE(adopted[n], served[n]) << "shard " << n << " still serves " << served[n];
  }
  ASSERT_NO_FATAL_FAILURE(write(a, b, 1));  // folded into the adopted generations
  std::vector<std::uint64_t> folded;
  ASSERT_TRUE(eventually([&] { return caught_up({&a, &b}, &folded); })) << "the nodes did not converge";
  for (unsigned n = 0; n < kShards; ++n) EXPECT_GT(folded[n], 0u) << "shard " << n << " got no writes";
  ASSERT_EQ(a.terminate(), 0);
  ASSERT_EQ(b.terminate(), 0);

  // Both nodes' read models, per shard: intact, at the position they served, with equal digests.
  const auto verdicts_a = verify(a.dir());
  const auto verdicts_b = verify(b.dir());
  ASSERT_EQ(verdicts_a.size(), kShards);
  ASSERT_EQ(verdicts_b.size(), kShards);
  for (unsigned n = 0; n < kShards; ++n) {
    EXPECT_EQ(verdicts_a[n].position, folded[n]) << "shard " << n;
    EXPECT_EQ(verdicts_b[n].position, folded[n]) << "shard " << n;
  }
  const auto digests_a = digests(verdicts_a);
  EXPECT_EQ(digests(verdicts_b), digests_a);
  // Shards hold different tenants: their digests differ.
  EXPECT_NE(digests_a[0], digests_a[1]);

  // The human form says the same, a line per shard; --shard picks one.
  auto human = eventctl({"verify", "--data", a.dir().string()});
  EXPECT_EQ(human.status, 0);
  for (unsigned n = 0; n < kShards; ++n) {
    EXPECT_NE(human.out.find("shard " + std::to_string(n) + ": ok, "), std::string::npos) << human.out;
    EXPECT_NE(human.out.find("position " + std::to_string(folded[n]) + ", digest " + digests_a[n]), std::string::npos)
        << human.out;
  }
  auto one = eventctl({"verify", "--data", a.dir().string(), "--shard", "2"});
  EXPECT_EQ(one.status, 0);
  const auto from = human.out.find("shard 2: ");
  ASSERT_NE(from, std::string::npos);
  EXPECT_EQ(one.out, human.out.substr(from, human.out.find('\n', from) + 1 - from));
  EXPECT_EQ(eventctl({"verify", "--data", a.dir().string(), "--shard", "9"}).status, 2);

  // A rebuild of the stopped node: a new generation per shard, the same digests.
  ASSERT_EQ(eventctl({"rebuild", "--data", a.dir().string()}).status, 0);
  EXPECT_NE(served_generations(a), adopted);
  EXPECT_EQ(digests(verify(a.dir())), digests_a);

  // A read-model row of shard 1 changed behind the log's back: verify names that shard (exit 4),
  // its digest is no longer the others'; a rebuild of that shard alone mends it.
  test::flip_a_counter(a.dir() / "shards" / "1" / "read" / served_generations(a)[1]);
  const auto damaged = verify(a.dir(), 4);
  ASSERT_EQ(damaged.size(), kShards);
  for (unsigned n = 0; n < kShards; ++n) {
    EXPECT_EQ(damaged[n].status, n == 1 ? "models_differ" : "ok") << "shard " << n;
    EXPECT_EQ(damaged[n].digest == digests_a[n], n != 1) << "shard " << n;
  }
  EXPECT_EQ(damaged[1].differ, std::vector<std::string>{"rm_counts"});
  const auto before_mend = served_generations(a);
  ASSERT_EQ(eventctl({"rebuild", "--data", a.dir().string(), "--shard", "1"}).status, 0);
  const auto mended = served_generations(a);
  for (unsigned n = 0; n < kShards; ++n) EXPECT_EQ(mended[n] == before_mend[n], n != 1) << "shard " << n;
  EXPECT_EQ(digests(verify(a.dir())), digests_a);

  // dump reads one shard's log; audit finds a tenant's records in its shard.
  EXPECT_EQ(eventctl({"dump", "--data", a.dir().string()}).status, 2);
  auto dumped = eventctl({"dump", "--data", a.dir().string(), "--shard", "3"});
  EXPECT_EQ(dumped.status, 0);
  EXPECT_EQ(std::count(dumped.out.begin(), dumped.out.end(), '\n'), static_cast<long>(folded[3]));
  const std::string& tenant = tenants_.back();
  auto audited = eventctl({"audit", "--data", a.dir().string(), "--tenant", tenant, "--event", "r1-4"});
  EXPECT_EQ(audited.status, 0);
  EXPECT_NE(audited.out.find("\"tenant\":\"" + tenant + "\""), std::string::npos) << audited.out;

  // b loses its data directory: started again, it folds every shard from its stream (and the
  // tokens from the system stream).
  fs::remove_all(b.dir());
  b.start();
  ASSERT_TRUE(eventually([&] {
    std::vector<std::uint64_t> now;
    return caught_up({&b}, &now) && now == folded;
  })) << "b did not fold the streams back";
  // The system stream is followed apart from the shards': the tokens may come a little later.
  ASSERT_TRUE(eventually([&] {
    return std::all_of(tenants_.begin(), tenants_.end(),
                       [&](const std::string& t) { return b.client(tokens_[t]).get("/v1/events?limit=1").status != 401; });
  })) << "b did not fold the tokens back from the system stream";
  for (const auto& t : tenants_) {
    auto listed = b.client(tokens_[t]).get("/v1/events?limit=100");
    ASSERT_EQ(listed.status, 200) << listed.body;
    EXPECT_EQ(listed.json().at("events").as_array().size(), 12u) << t;
  }
  ASSERT_EQ(b.terminate(), 0);
  const auto recovered = verify(b.dir());
  for (unsigned n = 0; n < kShards; ++n) EXPECT_EQ(recovered[n].position, folded[n]) << "shard " << n;
  EXPECT_EQ(digests(recovered), digests_a);
}

}  // namespace
}  // namespace eventsd::test
