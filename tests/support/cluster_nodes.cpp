#include "tests/support/cluster_nodes.h"

#include <gtest/gtest.h>
#include <signal.h>

#include "tests/support/cluster_key.h"

namespace eventsd::test {

std::string joined(const std::vector<std::string>& urls) {
  std::string out;
  for (const auto& u : urls) out += (out.empty() ? "" : ",") + u;
  return out;
}

namespace {

// `eventctl token create --nats` with the cluster key and the servers' client flags, and `grant`.
std::string create_in_cluster(const NatsCluster& nats, std::vector<std::string> grant) {
  std::vector<std::string> argv{eventctl_binary(), "token", "create", "--nats", joined(nats.urls()),
                                "--cluster-key-file", cluster_key_file()};
  argv.insert(argv.end(), grant.begin(), grant.end());
  const auto security = nats.client_flags();
  argv.insert(argv.end(), security.begin(), security.end());
  auto r = run_command(argv);
  EXPECT_EQ(r.status, 0) << r.out;
  while (!r.out.empty() && (r.out.back() == '\n' || r.out.back() == '\r')) r.out.pop_back();
  return r.out;
}

}  // namespace

std::string cluster_token(const NatsCluster& nats, const std::string& tenant) {
  return create_in_cluster(nats, {"--tenant", tenant, "--scopes", "events:read,events:write,admin"});
}

std::string cluster_operator_token(const NatsCluster& nats) { return create_in_cluster(nats, {"--operator"}); }

Node::Node(const NatsCluster& nats, std::string name, int shards, int lease_ms)
    : nats_(nats), name_(std::move(name)), operator_token_(cluster_operator_token(nats)), shards_(shards),
      lease_ms_(lease_ms) {
  start();
}

void Node::start() {
  std::vector<std::string> args{"--nats", joined(nats_.urls()), "--cluster-key-file", cluster_key_file(),
                                "--node", name_, "--shards", std::to_string(shards_),
                                "--lease-ms", std::to_string(lease_ms_), "--threads", "2"};
  const auto security = nats_.client_flags();
  args.insert(args.end(), security.begin(), security.end());
  process_ = std::make_unique<ServerProcess>(dir_.path(), args);
}

void Node::kill9() {
  process_->kill9();
  process_.reset();
}

int Node::terminate() {
  const int status = process_->terminate();
  process_.reset();
  return status;
}

void Node::pause() { ASSERT_EQ(::kill(process_->pid(), SIGSTOP), 0); }
void Node::resume() { ASSERT_EQ(::kill(process_->pid(), SIGCONT), 0); }

std::vector<std::string> Node::owners() const {
  HttpClient c(process_->port(), operator_token_);
  auto r = c.get("/healthz");
  std::vector<std::string> out;
  if (r.status != 200) return out;
  const auto health = r.json();
  for (const auto& s : health.at("shards").as_array()) {
    const auto& o = s.as_object().at("owner");
    const auto& preferred = s.as_object().at("preferred");
    out.push_back(o.is_null() || o != preferred ? "" : std::string(o.as_string()));
  }
  return out;
}

}  // namespace eventsd::test
