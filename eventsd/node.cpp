#include "eventsd/node.h"

#include <chrono>
#include <cstdio>
#include <thread>

#include "cluster/cluster_node.h"
#include "eventlog/data_dir.h"
#include "http/dialects/routes.h"

namespace eventsd {

namespace {

// A cluster still forming (or recovering) may not answer JetStream requests for a while: try
// again, with a pause, for up to a minute.
std::unique_ptr<http::ClusterNode> join(const NodeOptions& options) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  for (;;) {
    try {
      return std::make_unique<http::ClusterNode>(options.data_dir, *options.cluster, options.map_size);
    } catch (const nats::Unavailable& e) {
      if (std::chrono::steady_clock::now() > give_up) throw;
      std::fprintf(stderr, "eventsd: NATS is not ready (%s); trying again\n", e.what());
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  }
}

}  // namespace

Node::Node(NodeOptions options, const Clock& clock)
    : options_(std::move(options)), router_(http::make_router()), clock_(clock),
      retention_(clock, options_.api.campaign_retention_days) {
  for (const auto& mount : options_.mounts) router_.mount(mount);
  Store* accounts_store = nullptr;
  std::vector<Engine*> engines;
  if (options_.cluster) {
    cluster_ = join(options_);
    report_ = cluster_->report();
    accounts_store = &cluster_->system();
    tokens_ = &cluster_->tokens();
    users_ = &cluster_->users();
    engines = cluster_->engines();
  } else {
    // The log's environment (the log, the write model, the accounts; durable: every commit is
    // flushed) and the read side folded behind the writer.
    EngineOptions engine;
    engine.map_size = options_.map_size;
    engine.clock = &clock_;
    single_.emplace(data_dir::log_dir(options_.data_dir), data_dir::read_dir(options_.data_dir), engine);
    report_ = single_->report();
    accounts_store = &single_->store;
    tokens_ = &single_tokens_.emplace(single_->store);
    users_ = &single_users_.emplace(single_->store);
    engines = {&*single_};
    single_->start();
  }
  if (options_.api.rate_limit > 0) limiter_.emplace(clock_, options_.api.rate_limit, options_.auth.limits);
  auth_.emplace(*users_, options_.auth, clock_);
  app_.emplace(*accounts_store, *tokens_, options_.api, std::move(engines));
  app_->limiter = limiter_ ? &*limiter_ : nullptr;
  app_->metrics = &metrics_;
  app_->auth = &*auth_;
  app_->clock = &clock_;
  app_->sources = &sources_.emplace(*accounts_store);
  app_->hooks = &hooks_.emplace(clock_, options_.hooks);
  if (cluster_) {
    metrics_.more_samples = [cluster = cluster_.get()](std::string& out) { cluster->key().refused().render(out); };
    app_->routing = cluster_.get();
    app_->accounts = cluster_.get();
  }
  service_.emplace(*app_, router_);
  // The campaign retention runs once before the node serves (then periodically: main()).
  for (const Outcome& outcome : run_retention_and_wait()) {
    if (auto line = CampaignRetention::describe(outcome); !line.empty()) report_.push_back(line);
  }
}

Node::~Node() { stop(); }

std::vector<Writer*> Node::retention_writers() const {
  if (cluster_) return const_cast<http::ClusterNode&>(*cluster_).owned_writers();
  return {const_cast<Writer*>(&single_->writer)};
}

void Node::run_retention(const Writer::Done& done) const { retention_.run(retention_writers(), done); }

std::vector<Outcome> Node::run_retention_and_wait() const { return retention_.run_and_wait(retention_writers()); }

void Node::serve(boost::asio::any_io_executor executor, const std::string& advertised) {
  if (cluster_) cluster_->start(router_, *app_, std::move(executor), advertised);
}

void Node::draining() {
  if (cluster_) cluster_->draining();
  for (Engine* e : app_->engines) e->commits.close();
}

void Node::stop() {
  if (cluster_) cluster_->stop();
  if (single_) single_->stop();
}

}  // namespace eventsd
