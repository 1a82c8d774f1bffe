// Taking, losing and handing over shards (cluster/shard_ownership.h): the ownership thread's
// round and the rules it follows, step-down, and the losses it reports.

#include "cluster/shard_ownership.h"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <map>
#include <utility>
#include <variant>

#include "cluster/lease.h"

namespace eventsd {
namespace {

void warn(const char* what, const std::exception& e) {
  std::fprintf(stderr, "eventsd: cluster ownership: %s: %s\n", what, e.what());
}

}  // namespace

void ShardOwnership::own_loop() {
  // Real waiting: between rounds the thread sleeps on the real steady clock (or is woken by a
  // poke or a loss to report).
  using Steady = std::chrono::steady_clock;
  auto next_poll = Steady::now();
  while (true) {
    {
      std::unique_lock lock(mu_);
      own_wake_.wait_until(lock, next_poll, [&] {
        return stopping_ || poll_asked_ ||
               std::any_of(claims_.begin(), claims_.end(), [](const Claim& m) { return m.lose_pending; });
      });
      if (stopping_) return;
      if (std::exchange(poll_asked_, false)) next_poll = Steady::now();
    }
    deliver_losses();
    if (Steady::now() < next_poll) continue;  // woken for a loss
    next_poll = Steady::now() + poll_interval_;
    poll_and_act();
  }
}

void ShardOwnership::poll_and_act() {
  const auto polled_at = clock_.steady();
  if (!poll()) return;
  std::vector<std::uint32_t> takes;
  {
    std::lock_guard lock(mu_);
    takes = due_takes(clock_.steady());
  }
  for (auto s : takes) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    take(s);
    deliver_losses();
    // After a long on_acquire what was polled is stale: poll again before taking more.
    if (clock_.steady() >= polled_at + poll_interval_) break;
  }
  if (takes.empty()) hand_over();
}

bool ShardOwnership::poll() {
  // The leases are read one get per key: a get is answered by the bucket's stream leader alone,
  // whereas listing a bucket creates a consumer each time (through the meta leader), which is
  // heavier and, on nats-server 2.9.10, failed for tens of seconds after the server that led the
  // bucket's stream was killed while gets and updates worked again after the election.
  std::vector<std::optional<nats::KvEntry>> owners(shards_);
  std::map<std::string, nats::KvEntry> nodes;
  try {
    for (std::uint32_t s = 0; s < shards_; ++s) owners[s] = kv_.get(kOwnersBucket, lease_key(s));
    nodes = registry_.fetch();
  } catch (const std::exception& e) {
    std::lock_guard lock(mu_);
    if (!last_poll_failed_) warn("reading the ownership buckets", e);
    last_poll_failed_ = true;  // time not seen must not count towards an expiry
    return false;
  }
  std::lock_guard lock(mu_);
  // Taken after the reads: a revision is "seen since" no earlier than it surely existed.
  const auto now = clock_.steady();
  for (std::uint32_t s = 0; s < shards_; ++s) leases_[s].saw(std::move(owners[s]), now, last_poll_failed_);
  registry_.saw(std::move(nodes), now, last_poll_failed_);
  last_poll_failed_ = false;
  return true;
}

std::vector<std::uint32_t> ShardOwnership::due_takes(Instant now) const {
  std::vector<std::uint32_t> due;
  if (now < started_at_ + renew_interval_) return due;  // let nodes started together see each other
  for (std::uint32_t s = 0; s < shards_; ++s) {
    if (claims_[s].phase != Claim::kNone || renewer_.giving_back(s) || now < claims_[s].not_before) continue;
    const auto& seen = leases_[s];
    // Since when the shard has been free (possibly in the future: not yet).
    auto free_since = seen.since;
    if (seen.entry) {
      const auto holder = parse_lease(seen.entry->value).node;
      if (holder != kGivenBack && holder != node_) free_since += lease_;
    }
    const bool preferred = preferred_locked(s, now) == node_;
    if ((preferred && now >= free_since) || now >= free_since + 2 * lease_) due.push_back(s);
  }
  return due;
}

void ShardOwnership::take(std::uint32_t shard) {
  std::optional<nats::KvEntry> seen;
  {
    std::lock_guard lock(mu_);
    seen = leases_[shard].entry;
  }
  const std::uint64_t epoch = seen ? parse_lease(seen->value).epoch + 1 : 1;
  const auto value = lease_value(node_, epoch);
  std::uint64_t revision = 0;
  try {
    auto written = seen ? kv_.update(kOwnersBucket, lease_key(shard), value, seen->revision)
                        : kv_.create(kOwnersBucket, lease_key(shard), value);
    auto* rev = std::get_if<std::uint64_t>(&written);
    if (!rev) return;  // someone else was faster, or the lease was renewed after all
    revision = *rev;
  } catch (const std::exception& e) {
    warn("taking a lease", e);
    return;
  }
  {
    std::lock_guard lock(mu_);
    auto& m = claims_[shard];
    m.phase = Claim::kAcquiring;
    m.epoch = epoch;
    renewer_.hold(shard, epoch, revision);
    leases_[shard] = SeenEntry{nats::KvEntry{value, revision}, clock_.steady()};
  }
  std::fprintf(stderr, "eventsd: cluster ownership: took the lease of shard %u (epoch %llu)\n", shard,
               static_cast<unsigned long long>(epoch));

  bool ok = false;
  try {
    ok = on_acquire_(shard, epoch);
  } catch (const std::exception& e) {
    warn("on_acquire failed", e);
  }
  bool lost_meanwhile = false;
  {
    std::lock_guard lock(mu_);
    auto& m = claims_[shard];
    const auto now = clock_.steady();
    if (m.phase != Claim::kAcquiring || m.epoch != epoch) {
      lost_meanwhile = ok;
    } else if (ok) {
      m.phase = Claim::kHeld;
      m.held_since = now;
      // Back soon after it was handed over: its preferred node did not take it up.
      if (m.handed_over && now < *m.handed_over + 10 * lease_) m.hand_over_not_before = now + 30 * lease_;
    } else {
      // Left alone long enough for the others' "free for two lease times" to come true, so that
      // a shard this node cannot take up goes elsewhere instead of bouncing back to it.
      give_up_locked(shard, now + 3 * lease_);
    }
  }
  if (!ok) {
    std::fprintf(stderr, "eventsd: cluster ownership: shard %u (epoch %llu) not taken up; giving it back\n", shard,
                 static_cast<unsigned long long>(epoch));
  }
  if (lost_meanwhile) {
    try {
      on_lose_(shard);
    } catch (const std::exception& e) {
      warn("on_lose failed", e);
    }
  }
}

void ShardOwnership::hand_over() {
  std::string to;
  std::optional<std::uint32_t> shard;
  std::uint64_t epoch = 0;
  {
    std::lock_guard lock(mu_);
    const auto now = clock_.steady();
    shard = due_hand_over(now);
    if (!shard) return;
    to = preferred_locked(*shard, now);
    epoch = claims_[*shard].epoch;
  }
  bool ready = false;
  try {
    ready = ready_to_take_(to, *shard);
  } catch (const std::exception& e) {
    warn("asking whether a node is ready to take a shard", e);
  }
  {
    std::lock_guard lock(mu_);
    const auto now = clock_.steady();
    auto& m = claims_[*shard];
    if (m.phase != Claim::kHeld || m.epoch != epoch) return;  // lost meanwhile
    if (!ready) {
      m.hand_over_not_before = now + lease_;  // ask again later (it is catching up)
      return;
    }
    // Not taken again before the others' "free for two lease times": the preferred node takes
    // it at once (asked to poll once the give-back is written), or, failing that, any node does.
    give_up_locked(*shard, now + 3 * lease_, to);
    m.handed_over = now;
  }
  std::fprintf(stderr, "eventsd: cluster ownership: handing shard %u over to %s, its preferred node\n", *shard,
               to.c_str());
  deliver_losses();
}

std::optional<std::uint32_t> ShardOwnership::due_hand_over(Instant now) const {
  for (std::uint32_t s = 0; s < shards_; ++s) {
    const auto& m = claims_[s];
    if (m.phase != Claim::kHeld || now < m.held_since + lease_ || now < m.hand_over_not_before) continue;
    const auto to = preferred_locked(s, now);
    if (to == node_) continue;
    const auto live = registry_.live_since(to);
    if (live && now >= *live + 2 * lease_) return s;
  }
  return std::nullopt;
}

void ShardOwnership::step_down(std::uint32_t shard) {
  if (shard >= shards_) return;
  {
    std::lock_guard lock(mu_);
    if (claims_[shard].phase == Claim::kNone) return;
    give_up_locked(shard, clock_.steady() + lease_);
  }
  std::fprintf(stderr, "eventsd: cluster ownership: stepping down from shard %u\n", shard);
  own_wake_.notify_all();
}

void ShardOwnership::give_up_locked(std::uint32_t shard, Instant not_before, std::string to) {
  auto& m = claims_[shard];
  // Lost while on_acquire runs: the ownership thread reports it when on_acquire returns.
  if (m.phase == Claim::kHeld) m.lose_pending = true;
  // (When the renewer has just lost the lease, there is nothing to give back.)
  renewer_.give_back(shard, m.epoch, std::move(to));
  m.phase = Claim::kNone;
  m.not_before = not_before;
}

void ShardOwnership::lost(std::uint32_t shard, std::uint64_t epoch) {
  {
    std::lock_guard lock(mu_);
    auto& m = claims_[shard];
    if (m.phase == Claim::kNone || m.epoch != epoch) return;
    if (m.phase == Claim::kHeld) m.lose_pending = true;
    m.phase = Claim::kNone;
  }
  own_wake_.notify_all();
}

void ShardOwnership::deliver_losses() {
  std::vector<std::uint32_t> lost;
  {
    std::lock_guard lock(mu_);
    for (std::uint32_t s = 0; s < shards_; ++s)
      if (std::exchange(claims_[s].lose_pending, false)) lost.push_back(s);
  }
  for (auto s : lost) {
    try {
      on_lose_(s);
    } catch (const std::exception& e) {
      warn("on_lose failed", e);
    }
  }
}

}  // namespace eventsd
