#include "cluster/renewer.h"

#include <cstdio>
#include <exception>
#include <utility>
#include <variant>

#include "cluster/lease.h"

namespace eventsd {
namespace {

void warn(const char* what, const std::exception& e) {
  std::fprintf(stderr, "eventsd: cluster ownership: %s: %s\n", what, e.what());
}

}  // namespace

Renewer::Renewer(SealedKv& kv, const Clock& clock, NodeRegistry& registry, std::string node,
                 std::uint32_t shards, std::chrono::milliseconds lease, std::chrono::milliseconds renew_interval,
                 OnLost on_lost, OnHandedOver on_handed_over)
    : kv_(kv),
      clock_(clock),
      registry_(registry),
      node_(std::move(node)),
      lease_(lease),
      renew_interval_(renew_interval),
      on_lost_(std::move(on_lost)),
      on_handed_over_(std::move(on_handed_over)),
      shards_(shards) {}

Renewer::~Renewer() { stop(); }

void Renewer::hold(std::uint32_t shard, std::uint64_t epoch, std::uint64_t revision) {
  std::lock_guard lock(mu_);
  shards_[shard].held = Held{epoch, revision};
}

bool Renewer::give_back(std::uint32_t shard, std::uint64_t epoch, std::string to) {
  {
    std::lock_guard lock(mu_);
    auto& s = shards_[shard];
    if (!s.held || s.held->epoch != epoch) return false;
    s.give_back = GiveBack{epoch, s.held->revision, clock_.steady() + lease_, std::move(to)};
    s.held.reset();
    give_back_queued_ = true;
  }
  wake_.notify_all();
  return true;
}

bool Renewer::giving_back(std::uint32_t shard) const {
  std::lock_guard lock(mu_);
  return shards_[shard].give_back.has_value();
}

std::uint64_t Renewer::revision(std::uint32_t shard) const {
  std::lock_guard lock(mu_);
  return shards_[shard].held ? shards_[shard].held->revision : 0;
}

void Renewer::start() {
  thread_ = std::thread([this] { loop(); });
}

void Renewer::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Renewer::loop() {
  // Real waiting: between rounds the thread sleeps on the real steady clock.
  using Steady = std::chrono::steady_clock;
  auto next_round = Steady::now() + renew_interval_;
  while (true) {
    {
      std::unique_lock lock(mu_);
      wake_.wait_until(lock, next_round, [&] { return stopping_ || give_back_queued_; });
      if (stopping_) return;
      give_back_queued_ = false;
    }
    if (Steady::now() >= next_round) {
      next_round = Steady::now() + renew_interval_;
      round();
    } else {
      write_give_backs(false);
    }
  }
}

void Renewer::round() {
  registry_.renew();
  renew_leases();
  // One that cannot be written now is tried again at the next round.
  write_give_backs(false);
}

std::vector<Renewer::Shard> Renewer::snapshot() const {
  std::lock_guard lock(mu_);
  return shards_;
}

void Renewer::renew_leases() {
  const auto shards = snapshot();
  for (std::uint32_t shard = 0; shard < shards.size(); ++shard) {
    if (!shards[shard].held) continue;
    const Held held = *shards[shard].held;
    std::optional<std::uint64_t> revision;
    try {
      const auto value = lease_value(node_, held.epoch);
      auto written = kv_.update(kOwnersBucket, lease_key(shard), value, held.revision);
      if (auto* rev = std::get_if<std::uint64_t>(&written)) {
        revision = *rev;
      } else if (auto entry = kv_.get(kOwnersBucket, lease_key(shard)); entry && entry->value == value) {
        revision = entry->revision;  // the previous renewal was stored but its answer lost
      }
    } catch (const std::exception& e) {
      warn("renewing a lease", e);
      continue;
    }
    bool lost = false;
    {
      std::lock_guard lock(mu_);
      auto& s = shards_[shard];
      if (s.held && s.held->epoch == held.epoch) {
        if (revision) {
          s.held->revision = *revision;
        } else {
          s.held.reset();
          lost = true;
        }
      } else if (s.give_back && s.give_back->epoch == held.epoch) {
        // Given back meanwhile: the give-back must overwrite this renewal, or is moot.
        if (revision)
          s.give_back->revision = *revision;
        else
          s.give_back.reset();
      }
    }
    if (lost) {
      std::fprintf(stderr, "eventsd: cluster ownership: lost the lease of shard %u (epoch %llu)\n", shard,
                   static_cast<unsigned long long>(held.epoch));
      on_lost_(shard, held.epoch);
    }
  }
}

void Renewer::write_give_backs(bool final) {
  const auto shards = snapshot();
  for (std::uint32_t shard = 0; shard < shards.size(); ++shard) {
    if (!shards[shard].give_back) continue;
    const GiveBack& what = *shards[shard].give_back;
    bool done = true;
    try {
      // A conflict means someone else took the lease already: nothing to give back.
      kv_.update(kOwnersBucket, lease_key(shard), lease_value(kGivenBack, what.epoch), what.revision);
      std::fprintf(stderr, "eventsd: cluster ownership: gave back shard %u (epoch %llu)\n", shard,
                   static_cast<unsigned long long>(what.epoch));
      if (!what.to.empty() && !final) on_handed_over_(what.to);
    } catch (const std::exception& e) {
      warn("giving a lease back", e);
      done = final || clock_.steady() >= what.deadline;
    }
    if (!done) continue;
    std::lock_guard lock(mu_);
    auto& give_back = shards_[shard].give_back;
    if (give_back && give_back->epoch == what.epoch && give_back->revision == what.revision) give_back.reset();
  }
}

}  // namespace eventsd
