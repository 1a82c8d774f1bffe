#include "cluster/cluster_node.h"

#include <cstdio>
#include <thread>
#include <stdexcept>
#include <variant>

#include "cluster/placement.h"
#include "common/clock.h"
#include "common/parse.h"
#include "http/api/router.h"

namespace eventsd::http {

namespace {

// The number of shards is the cluster's, fixed by the first node that starts: a tenant's shard
// must never change. Returns it; throws std::invalid_argument when `wanted` (0: any) differs.
unsigned cluster_shards(SealedKv& kv, unsigned wanted, int replicas) {
  kv.connection().ensure_bucket(ClusterNode::kClusterBucket, replicas);
  const unsigned proposed = wanted ? wanted : ClusterNode::kDefaultShards;
  std::optional<nats::KvEntry> entry = kv.get(ClusterNode::kClusterBucket, "shards");
  if (!entry) {
    auto created = kv.create(ClusterNode::kClusterBucket, "shards", std::to_string(proposed));
    if (std::holds_alternative<std::uint64_t>(created)) return proposed;
    entry = kv.get(ClusterNode::kClusterBucket, "shards");  // another node was first
    if (!entry) throw nats::Unavailable("the cluster's number of shards cannot be read");
  }
  const auto parsed = parse_u64(entry->value);
  if (!parsed || *parsed == 0 || *parsed > ClusterNode::kMaxShards) {
    throw std::runtime_error("the cluster's number of shards is unreadable: '" + entry->value +
                             "' (a value not sealed with this node's cluster key reads as '-')");
  }
  const auto shards = static_cast<unsigned>(*parsed);
  if (wanted && wanted != shards) {
    throw std::invalid_argument("the cluster has " + std::to_string(shards) + " shards; --shards " +
                                std::to_string(wanted) + " cannot change that");
  }
  return shards;
}

ApiError no_owner() {
  ApiError e(503, "unavailable", "no node decides this tenant's writes at the moment (a shard is changing owner); retry later");
  e.retry_after = 1;
  return e;
}

}  // namespace

ClusterNode::ClusterNode(const std::filesystem::path& data_dir, ClusterOptions options, std::size_t map_size)
    : options_(std::move(options)),
      key_(ClusterKey::from_file(options_.cluster_key_file, system_clock())),
      nats_(nats::ConnectOptions{options_.nats, options_.node, std::chrono::seconds(5), options_.nats_security}),
      kv_(nats_, key_, options_.node),
      system_(data_dir / "system", StoreOptions{.map_size = map_size}),
      tokens_(system_),
      users_(system_),
      system_log_(nats_, system_, key_, options_.node, SystemLogOptions{.replicas = options_.replicas}) {
  key_.set_window(options_.cluster_window);
  const std::size_t payload = nats_.max_payload();
  if (payload < kMinMaxPayload) {
    throw std::runtime_error("the NATS server accepts messages of at most " + std::to_string(payload) +
                             " bytes (max_payload); cluster mode needs at least " +
                             std::to_string(kMinMaxPayload >> 20) + " MiB: set max_payload: 8MB in its configuration");
  }
  const unsigned shards = cluster_shards(kv_, options_.shards, options_.replicas);
  report_.push_back("cluster node " + options_.node + ", " + std::to_string(shards) + " shards, NATS " +
                    nats_.server());
  for (unsigned n = 0; n < shards; ++n) {
    const auto dir = data_dir / "shards" / std::to_string(n);
    Shard shard;
    ShardReplica::Options replica{.replicas = options_.replicas, .node = options_.node};
    // A group commit is published as messages of up to max_message_bytes, max_pending of them in
    // flight at once. Its records are about as large as the request bodies they came from (up to
    // twice for many small fields): bounded so, one commit is about one window of messages.
    EngineOptions engine{.map_size = map_size, .replica = true};
    engine.limits.max_commit_bytes = replica.max_pending * replica.max_message_bytes / 2;
    shard.engine = std::make_unique<Engine>(dir / "log", dir / "read", engine);
    for (const auto& line : shard.engine->report()) report_.push_back("shard " + std::to_string(n) + ": " + line);
    shard.replica = std::make_unique<ShardReplica>(nats_, n, shard.engine->store, shard.engine->log,
                                                   shard.engine->writer, key_, replica);
    engines_.push_back(std::move(shard));
  }
}

ClusterNode::~ClusterNode() { stop(); }

std::vector<Engine*> ClusterNode::engines() {
  std::vector<Engine*> out;
  for (auto& s : engines_) out.push_back(s.engine.get());
  return out;
}

std::vector<Writer*> ClusterNode::owned_writers() {
  std::vector<Writer*> out;
  for (auto& s : engines_) {
    if (s.replica->owns()) out.push_back(&s.engine->writer);
  }
  return out;
}

void ClusterNode::start(const Router& router, App& app, boost::asio::any_io_executor executor,
                        std::string advertised) {
  router_ = &router;
  system_log_.start();
  for (auto& s : engines_) {
    s.engine->start();
    s.replica->start();
  }
  ownership_ = std::make_unique<ShardOwnership>(
      nats_, key_, system_clock(), options_.node, std::move(advertised), shards(),
      ShardOwnership::Options{.lease = options_.lease, .replicas = options_.replicas});
  // Taking a shard: catch up with its stream and append the owner claim, within a few leases.
  ownership_->on_acquire([this](std::uint32_t shard, std::uint64_t epoch) {
    return engines_[shard].replica->acquire(epoch, options_.lease * 5);
  });
  ownership_->on_lose([this](std::uint32_t shard) { engines_[shard].replica->release(); });
  // A shard is handed over only to a node whose replica of it is caught up (within a few
  // messages of this one's): else its claim would wait for the catch-up while writes stall.
  ownership_->ready_to_take([this](const std::string& node, std::uint32_t shard) {
    const auto answer = nats_.request(node_status_subject(node), "", std::chrono::seconds(1));
    for (const auto& s : decode_node_status(answer.data).shards) {
      if (s.shard == shard) return s.applied_seq + kHandOverSlack >= engines_[shard].replica->applied_seq();
    }
    return false;
  });
  for (auto& s : engines_) {
    s.replica->set_on_lost([this, shard = s.replica->shard()] {
      if (ownership_) ownership_->step_down(shard);
    });
  }
  // A cluster restarting may not answer JetStream requests for a while: try again, with a pause.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  for (;;) {
    try {
      ownership_->start();
      break;
    } catch (const nats::Unavailable& e) {
      if (std::chrono::steady_clock::now() > give_up) throw;
      std::fprintf(stderr, "eventsd: NATS is not ready (%s); trying again\n", e.what());
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  }
  // Served once the ownership started, which refuses a second node with this node's name: that
  // one must not answer what is sent to this name.
  // Answered on a cnats thread: atomics and one LMDB read transaction per shard, nothing blocks.
  // Should a read fail, the empty answer is reported by the asker as not a status.
  status_service_ =
      nats_.serve(node_status_subject(options_.node), [this](nats::Message, nats::Connection::Reply reply) {
        std::string answer;
        try {
          answer = encode_node_status(status());
        } catch (const std::exception&) {
        }
        reply(std::move(answer));
      });
  forwarder_ = std::make_unique<Forwarder>(nats_, key_, options_.node, router, app, executor,
                                           ForwarderOptions{.timeout = options_.forward_timeout});
  forwarder_->serve();
  started_ = true;
}

void ClusterNode::stop() {
  if (!started_) return;
  started_ = false;
  status_service_.reset();
  ownership_->stop();  // gives the leases back: other nodes take over at once
  forwarder_.reset();
  for (auto& s : engines_) s.replica->stop();
  for (auto& s : engines_) s.engine->stop();
  system_log_.stop();
}

NodeStatus ClusterNode::status() const {
  NodeStatus out{.node = options_.node, .shards = {}};
  for (const auto& s : engines_) {
    out.shards.push_back(NodeShardStatus{.shard = s.replica->shard(),
                                         .owns = s.replica->owns(),
                                         .epoch = s.replica->epoch(),
                                         .applied_seq = s.replica->applied_seq(),
                                         .log_position = s.engine->writer.stats().head.load(),
                                         .read_position = s.engine->projector.applied()});
  }
  return out;
}

unsigned ClusterNode::shard(std::string_view tenant) const { return shard_of(tenant, shards()); }

bool ClusterNode::decides(std::string_view tenant) const { return engines_[shard(tenant)].replica->owns(); }

std::string ClusterNode::owner(unsigned shard) const {
  if (shard < engines_.size() && engines_[shard].replica->owns()) return options_.node;
  auto owner = ownership_ ? ownership_->owner(shard) : std::nullopt;
  return owner ? owner->node : std::string();
}

std::string ClusterNode::preferred(unsigned shard) const {
  return ownership_ ? ownership_->preferred(shard) : std::string();
}

boost::asio::awaitable<Response> ClusterNode::forward(const Request& request) {
  const Dialect dialect = router_->dialect_of(request.raw.target());
  // A request forwarded once is never forwarded again: the owner changed on the way.
  if (request.forwarded_by) co_return refuse_forwarded(dialect);
  auto owner = ownership_ ? ownership_->owner(shard(request.principal.tenant)) : std::nullopt;
  if (!owner || owner->node == options_.node) co_return error_response(dialect, no_owner());
  co_return co_await forwarder_->forward(owner->node, request.raw, request.principal);
}

void ClusterNode::write(const std::function<void(lmdb::Txn&)>& f) {
  try {
    system_log_.write(f);
  } catch (const nats::Error&) {
    ApiError busy(503, "unavailable", "the cluster did not take the change in time; retry shortly");
    busy.retry_after = 1;
    throw busy;
  }
}

}  // namespace eventsd::http
