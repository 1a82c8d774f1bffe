// Making, starting and stopping a ShardOwnership (cluster/shard_ownership.h): joining the
// registry, serving pokes, starting the threads (or leaving the rounds to the caller), and leaving
// cleanly.

#include "cluster/shard_ownership.h"

#include <cstdio>
#include <exception>
#include <stdexcept>
#include <utility>

#include "cluster/lease.h"
#include "cluster/placement.h"

namespace eventsd {
namespace {

void warn(const char* what, const std::exception& e) {
  std::fprintf(stderr, "eventsd: cluster ownership: %s: %s\n", what, e.what());
}

std::string poke_subject(const std::string& node) { return "eventsd.owners.poke." + node; }

}  // namespace

ShardOwnership::ShardOwnership(nats::Connection& connection, const ClusterKey& key, const Clock& clock,
                               std::string node, std::string info, std::uint32_t shards, Options options)
    : nats_(connection),
      clock_(clock),
      node_(std::move(node)),
      kv_(connection, key, node_),
      info_(std::move(info)),
      shards_(shards),
      lease_(options.lease),
      renew_interval_(options.renew_interval.count() > 0 ? options.renew_interval : options.lease / 3),
      poll_interval_(options.poll_interval.count() > 0 ? options.poll_interval : options.lease / 6),
      replicas_(options.replicas),
      threads_(options.threads),
      pause_(options.pause ? std::move(options.pause)
                           : NodeRegistry::Pause([](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); })),
      on_acquire_([](std::uint32_t, std::uint64_t) { return true; }),
      on_lose_([](std::uint32_t) {}),
      ready_to_take_([](const std::string&, std::uint32_t) { return true; }),
      registry_(kv_, clock_, node_, info_, lease_, renew_interval_),
      renewer_(
          kv_, clock_, registry_, node_, shards_, lease_, renew_interval_,
          [this](std::uint32_t shard, std::uint64_t epoch) { lost(shard, epoch); },
          [this](const std::string& to) { poke(to); }),
      leases_(shards),
      claims_(shards) {
  if (!is_valid_node_name(node_)) throw std::invalid_argument("node name: 1-64 of [A-Za-z0-9_-], not \"-\"");
  if (info_.empty() || info_ == NodeRegistry::kLeft)
    throw std::invalid_argument("node info: must be non-empty and not \"-\"");
  if (shards_ == 0) throw std::invalid_argument("shards: at least 1");
  if (lease_.count() <= 0 || renew_interval_.count() <= 0 || poll_interval_.count() <= 0 ||
      renew_interval_ >= lease_ || poll_interval_ >= lease_)
    throw std::invalid_argument("lease: renew and poll intervals must be positive and below the lease time");
}

ShardOwnership::~ShardOwnership() { stop(); }

void ShardOwnership::on_acquire(std::function<bool(std::uint32_t, std::uint64_t)> callback) {
  on_acquire_ = std::move(callback);
}
void ShardOwnership::on_lose(std::function<void(std::uint32_t)> callback) { on_lose_ = std::move(callback); }
void ShardOwnership::ready_to_take(std::function<bool(const std::string&, std::uint32_t)> callback) {
  ready_to_take_ = std::move(callback);
}

void ShardOwnership::start() {
  {
    std::lock_guard lock(mu_);
    if (started_) throw std::logic_error("ShardOwnership::start: called twice");
  }
  nats_.ensure_bucket(kOwnersBucket, replicas_);
  nats_.ensure_bucket(kNodesBucket, replicas_);
  registry_.join(pause_);
  // Another node that just freed a lease this node should take (a hand-over, a clean stop)
  // says so here, so that this node polls now rather than at its next poll.
  poke_service_ = nats_.serve(poke_subject(node_), [this](nats::Message, nats::Connection::Reply reply) {
    {
      std::lock_guard lock(mu_);
      poll_asked_ = true;
    }
    own_wake_.notify_all();
    reply("");
  });
  {
    std::lock_guard lock(mu_);
    started_ = true;
    started_at_ = clock_.steady();
    for (auto& seen : leases_) seen.since = started_at_;
    last_poll_failed_ = true;
  }
  if (!threads_) return;
  renewer_.start();
  owning_ = std::thread([this] { own_loop(); });
}

void ShardOwnership::stop() {
  {
    std::lock_guard lock(mu_);
    if (!started_ || stopping_) return;
    stopping_ = true;
  }
  poke_service_.reset();
  own_wake_.notify_all();
  renewer_.stop();
  if (owning_.joinable()) owning_.join();

  // The rounds are over: what remains is done here. Losses first (the caller's writers stop),
  // then the leases are given back, so no other node starts before this one has stopped writing.
  deliver_losses();
  std::vector<std::uint32_t> held;
  {
    std::lock_guard lock(mu_);
    for (std::uint32_t s = 0; s < shards_; ++s) {
      auto& m = claims_[s];
      if (m.phase == Claim::kNone) continue;
      if (m.phase == Claim::kHeld) held.push_back(s);
      renewer_.give_back(s, m.epoch);
      m.phase = Claim::kNone;
    }
  }
  for (auto s : held) {
    try {
      on_lose_(s);
    } catch (const std::exception& e) {
      warn("on_lose failed", e);
    }
  }
  renewer_.write_give_backs(true);
  registry_.leave();
  // The others take over at once if they poll now: the leases are free, this node has left.
  std::vector<std::string> others;
  {
    std::lock_guard lock(mu_);
    for (const auto& name : live_nodes(clock_.steady()))
      if (name != node_) others.push_back(name);
  }
  for (const auto& name : others) poke(name);
}

void ShardOwnership::renew_once() {
  check_rounds_are_the_callers("renew_once");
  renewer_.round();
}

void ShardOwnership::poll_once() {
  check_rounds_are_the_callers("poll_once");
  deliver_losses();
  poll_and_act();
}

void ShardOwnership::check_rounds_are_the_callers(const char* what) const {
  std::lock_guard lock(mu_);
  if (threads_ || !started_ || stopping_)
    throw std::logic_error(std::string("ShardOwnership::") + what + ": only without threads, after start(), before stop()");
}

void ShardOwnership::poke(const std::string& node) {
  try {
    nats_.request(poke_subject(node), "", std::chrono::milliseconds(200));
  } catch (const std::exception&) {
    // It polls soon anyway.
  }
}

}  // namespace eventsd
