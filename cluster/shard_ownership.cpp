#include "cluster/shard_ownership.h"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <utility>
#include <variant>

#include "cluster/lease.h"
#include "cluster/placement.h"

namespace eventsd {
namespace {


void warn(const char* what, const std::exception& e) {
  std::fprintf(stderr, "eventsd: cluster ownership: %s: %s\n", what, e.what());
}

}  // namespace

ShardOwnership::ShardOwnership(nats::Connection& connection, const Clock& clock, std::string node, std::string info,
                               std::uint32_t shards, Options options)
    : nats_(connection),
      clock_(clock),
      node_(std::move(node)),
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
      registry_(nats_, clock_, node_, info_, lease_, renew_interval_),
      leases_(shards),
      mine_(shards) {
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
      poked_ = true;
    }
    own_wake_.notify_all();
    reply("");
  });
  {
    std::lock_guard lock(mu_);
    started_ = true;
    started_at_ = clock_.steady();
    for (auto& seen : leases_) seen.since = started_at_;
    blind_ = true;
  }
  if (!threads_) return;
  renewer_ = std::thread([this] { renew_loop(); });
  owning_ = std::thread([this] { own_loop(); });
}

void ShardOwnership::renew_once() {
  check_rounds_are_the_callers("renew_once");
  renew_round();
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

void ShardOwnership::stop() {
  {
    std::lock_guard lock(mu_);
    if (!started_ || stopping_) return;
    stopping_ = true;
  }
  poke_service_.reset();
  renew_wake_.notify_all();
  own_wake_.notify_all();
  if (renewer_.joinable()) renewer_.join();
  if (owning_.joinable()) owning_.join();

  // The threads are gone: what remains is done here. Losses first (the caller's writers stop),
  // then the leases are given back, so no other node starts before this one has stopped writing.
  deliver_losses();
  std::vector<std::uint32_t> held;
  {
    std::lock_guard lock(mu_);
    auto now = clock_.steady();
    for (std::uint32_t s = 0; s < shards_; ++s) {
      auto& m = mine_[s];
      if (m.phase == Mine::kNone) continue;
      if (m.phase == Mine::kHeld) held.push_back(s);
      m.give_back = Mine::GiveBack{m.epoch, m.revision, now + lease_};
      m.phase = Mine::kNone;
    }
  }
  for (auto s : held) {
    try {
      on_lose_(s);
    } catch (const std::exception& e) {
      warn("on_lose failed", e);
    }
  }
  write_give_backs(true);
  registry_.leave();
  // The others take over at once if they poll now: the leases are free, this node has left.
  std::vector<std::string> others;
  {
    std::lock_guard lock(mu_);
    for (const auto& name : live_nodes(clock_.steady())) {
      if (name != node_) others.push_back(name);
    }
  }
  for (const auto& name : others) poke(name);
  std::lock_guard lock(mu_);
  stopped_ = true;
}

std::string ShardOwnership::poke_subject(const std::string& node) { return "eventsd.owners.poke." + node; }

void ShardOwnership::poke(const std::string& node) {
  try {
    nats_.request(poke_subject(node), "", std::chrono::milliseconds(200));
  } catch (const std::exception&) {
    // It polls soon anyway.
  }
}

void ShardOwnership::step_down(std::uint32_t shard) {
  if (shard >= shards_) return;
  {
    std::lock_guard lock(mu_);
    if (mine_[shard].phase == Mine::kNone) return;
    auto now = clock_.steady();
    give_up_locked(shard, now, now + lease_);
  }
  std::fprintf(stderr, "eventsd: cluster ownership: stepping down from shard %u\n", shard);
  renew_wake_.notify_all();
  own_wake_.notify_all();
}

void ShardOwnership::give_up_locked(std::uint32_t shard, Instant now, Instant not_before) {
  auto& m = mine_[shard];
  // Lost while on_acquire runs: the ownership thread reports it when on_acquire returns.
  if (m.phase == Mine::kHeld) m.lose_pending = true;
  m.give_back = Mine::GiveBack{m.epoch, m.revision, now + lease_};
  m.phase = Mine::kNone;
  m.not_before = not_before;
  give_back_requested_ = true;
}

// --- the renewer ---

void ShardOwnership::renew_loop() {
  // Real waiting: between rounds the thread sleeps on the real steady clock.
  using Steady = std::chrono::steady_clock;
  auto next_renew = Steady::now() + renew_interval_;
  while (true) {
    {
      std::unique_lock lock(mu_);
      renew_wake_.wait_until(lock, next_renew, [&] { return stopping_ || give_back_requested_; });
      if (stopping_) return;
      give_back_requested_ = false;
    }
    if (Steady::now() >= next_renew) {
      next_renew = Steady::now() + renew_interval_;
      renew_round();
    } else {
      write_give_backs(false);
    }
  }
}

void ShardOwnership::renew_round() {
  registry_.renew();
  struct Renewal {
    std::uint32_t shard;
    std::uint64_t epoch, revision;
  };
  std::vector<Renewal> renewals;
  {
    std::lock_guard lock(mu_);
    for (std::uint32_t s = 0; s < shards_; ++s)
      if (mine_[s].phase != Mine::kNone) renewals.push_back({s, mine_[s].epoch, mine_[s].revision});
  }
  for (const auto& r : renewals) {
    std::optional<std::uint64_t> revision;
    try {
      auto value = lease_value(node_, r.epoch);
      auto written = nats_.kv_update(kOwnersBucket, lease_key(r.shard), value, r.revision);
      if (auto* rev = std::get_if<std::uint64_t>(&written)) {
        revision = *rev;
      } else if (auto entry = nats_.kv_get(kOwnersBucket, lease_key(r.shard)); entry && entry->value == value) {
        // The previous renewal was stored but its answer lost: the key still names this
        // node with this epoch (an epoch is never reused), so the lease is still held.
        revision = entry->revision;
      }
    } catch (const std::exception& e) {
      warn("renewing a lease", e);
      continue;  // unknown: try again next time; the fence keeps a stale writer out meanwhile
    }
    bool lost = false;
    {
      std::lock_guard lock(mu_);
      auto& m = mine_[r.shard];
      if (m.phase != Mine::kNone && m.epoch == r.epoch) {
        if (revision) {
          m.revision = *revision;
        } else {
          lost = true;
          if (m.phase == Mine::kHeld) m.lose_pending = true;
          m.phase = Mine::kNone;
        }
      } else if (m.give_back && m.give_back->epoch == r.epoch) {
        // Stepped down meanwhile: the give-back must overwrite this renewal.
        if (revision)
          m.give_back->revision = *revision;
        else
          m.give_back.reset();
      }
    }
    if (lost) {
      std::fprintf(stderr, "eventsd: cluster ownership: lost the lease of shard %u (epoch %llu)\n", r.shard,
                   static_cast<unsigned long long>(r.epoch));
      own_wake_.notify_all();
    }
  }
  // One that cannot be written now is tried again at the next round.
  write_give_backs(false);
}

void ShardOwnership::write_give_backs(bool final) {
  struct GiveBack {
    std::uint32_t shard;
    Mine::GiveBack what;
  };
  std::vector<GiveBack> todo;
  {
    std::lock_guard lock(mu_);
    for (std::uint32_t s = 0; s < shards_; ++s)
      if (mine_[s].give_back) todo.push_back({s, *mine_[s].give_back});
  }
  for (const auto& g : todo) {
    bool done = true;
    try {
      // Conflict: someone else took the lease already; nothing to give back.
      nats_.kv_update(kOwnersBucket, lease_key(g.shard), lease_value(kGivenBack, g.what.epoch), g.what.revision);
      std::fprintf(stderr, "eventsd: cluster ownership: gave back shard %u (epoch %llu)\n", g.shard,
                   static_cast<unsigned long long>(g.what.epoch));
      if (!g.what.to.empty() && !final) poke(g.what.to);
    } catch (const std::exception& e) {
      warn("giving a lease back", e);
      // Past the deadline the lease has expired for everyone anyway.
      done = final || clock_.steady() >= g.what.deadline;
    }
    if (!done) continue;
    std::lock_guard lock(mu_);
    auto& m = mine_[g.shard];
    if (m.give_back && m.give_back->epoch == g.what.epoch && m.give_back->revision == g.what.revision)
      m.give_back.reset();
  }
}

// --- the ownership thread ---

void ShardOwnership::own_loop() {
  // Real waiting: between rounds the thread sleeps on the real steady clock (or is woken by a
  // poke or a loss to report).
  using Steady = std::chrono::steady_clock;
  auto next_poll = Steady::now();
  while (true) {
    {
      std::unique_lock lock(mu_);
      own_wake_.wait_until(lock, next_poll, [&] {
        return stopping_ || poked_ ||
               std::any_of(mine_.begin(), mine_.end(), [](const Mine& m) { return m.lose_pending; });
      });
      if (stopping_) return;
      if (std::exchange(poked_, false)) next_poll = Steady::now();
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

void ShardOwnership::hand_over() {
  std::string to;
  std::optional<std::uint32_t> shard;
  std::uint64_t epoch = 0;
  {
    std::lock_guard lock(mu_);
    auto now = clock_.steady();
    shard = due_hand_over(now);
    if (!shard) return;
    to = preferred_locked(*shard, now);
    epoch = mine_[*shard].epoch;
  }
  bool ready = false;
  try {
    ready = ready_to_take_(to, *shard);
  } catch (const std::exception& e) {
    warn("asking whether a node is ready to take a shard", e);
  }
  {
    std::lock_guard lock(mu_);
    auto now = clock_.steady();
    auto& m = mine_[*shard];
    if (m.phase != Mine::kHeld || m.epoch != epoch) return;  // lost meanwhile
    if (!ready) {
      m.hand_over_not_before = now + lease_;  // ask again later (it is catching up)
      return;
    }
    // Not taken again before the others' "free for two lease times": the preferred node takes
    // it at once (asked to poll once the give-back is written), or, failing that, any node does.
    give_up_locked(*shard, now, now + 3 * lease_);
    m.give_back->to = to;
    m.handed_over = now;
  }
  std::fprintf(stderr, "eventsd: cluster ownership: handing shard %u over to %s, its preferred node\n", *shard,
               to.c_str());
  renew_wake_.notify_all();
  deliver_losses();
}

std::optional<std::uint32_t> ShardOwnership::due_hand_over(Instant now) const {
  for (std::uint32_t s = 0; s < shards_; ++s) {
    const auto& m = mine_[s];
    if (m.phase != Mine::kHeld || now < m.held_since + lease_ || now < m.hand_over_not_before) continue;
    const auto to = preferred_locked(s, now);
    if (to == node_) continue;
    const auto live = registry_.live_since(to);
    if (live && now >= *live + 2 * lease_) return s;
  }
  return std::nullopt;
}

bool ShardOwnership::poll() {
  // The leases are read one get per key: a get is answered by the bucket's stream leader alone,
  // whereas listing a bucket creates a consumer each time (through the meta leader), which is
  // heavier and, on nats-server 2.9.10, failed for tens of seconds after the server that led the
  // bucket's stream was killed while gets and updates worked again after the election.
  std::vector<std::optional<nats::KvEntry>> owners(shards_);
  std::map<std::string, nats::KvEntry> nodes;
  try {
    for (std::uint32_t s = 0; s < shards_; ++s) owners[s] = nats_.kv_get(kOwnersBucket, lease_key(s));
    nodes = registry_.fetch();
  } catch (const std::exception& e) {
    std::lock_guard lock(mu_);
    if (!blind_) warn("reading the ownership buckets", e);
    blind_ = true;  // time not seen must not count towards an expiry
    return false;
  }
  std::lock_guard lock(mu_);
  // Taken after the reads: a revision is "seen since" no earlier than it surely existed.
  const auto now = clock_.steady();
  for (std::uint32_t s = 0; s < shards_; ++s) leases_[s].saw(std::move(owners[s]), now, blind_);
  registry_.saw(std::move(nodes), now, blind_);
  blind_ = false;
  return true;
}

std::vector<std::string> ShardOwnership::live_nodes(Instant now) const {
  std::vector<std::string> live;
  if (started_ && !stopping_) live.push_back(node_);
  for (auto& node : registry_.live(now)) live.push_back(std::move(node.name));
  std::sort(live.begin(), live.end());
  return live;
}

std::string ShardOwnership::preferred_locked(std::uint32_t shard, Instant now) const {
  return preferred_node(live_nodes(now), shard);
}

std::vector<std::uint32_t> ShardOwnership::due_takes(Instant now) const {
  std::vector<std::uint32_t> due;
  if (now < started_at_ + renew_interval_) return due;  // let nodes started together see each other
  for (std::uint32_t s = 0; s < shards_; ++s) {
    if (mine_[s].phase != Mine::kNone || mine_[s].give_back || now < mine_[s].not_before) continue;
    const auto& seen = leases_[s];
    // Since when the shard has been free (possibly in the future: not yet).
    auto free_since = seen.since;
    if (seen.entry) {
      auto holder = parse_lease(seen.entry->value).node;
      if (holder != kGivenBack && holder != node_) free_since += lease_;
    }
    bool preferred = preferred_locked(s, now) == node_;
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
  std::uint64_t epoch = seen ? parse_lease(seen->value).epoch + 1 : 1;
  auto value = lease_value(node_, epoch);
  std::uint64_t revision = 0;
  try {
    auto written = seen ? nats_.kv_update(kOwnersBucket, lease_key(shard), value, seen->revision)
                        : nats_.kv_create(kOwnersBucket, lease_key(shard), value);
    auto* rev = std::get_if<std::uint64_t>(&written);
    if (!rev) return;  // someone else was faster, or the lease was renewed after all
    revision = *rev;
  } catch (const std::exception& e) {
    warn("taking a lease", e);
    return;
  }
  {
    std::lock_guard lock(mu_);
    auto& m = mine_[shard];
    m.phase = Mine::kAcquiring;
    m.epoch = epoch;
    m.revision = revision;
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
    auto& m = mine_[shard];
    if (m.phase == Mine::kAcquiring && m.epoch == epoch) {
      if (ok) {
        m.phase = Mine::kHeld;
        auto now = clock_.steady();
        m.held_since = now;
        // Back soon after it was handed over: its preferred node did not take it up.
        if (m.handed_over && now < *m.handed_over + 10 * lease_) m.hand_over_not_before = now + 30 * lease_;
      } else {
        auto now = clock_.steady();
        m.phase = Mine::kNone;
        m.give_back = Mine::GiveBack{m.epoch, m.revision, now + lease_};
        // Long enough for the others' "free for two lease times" to come true, so that a shard
        // this node cannot take up goes elsewhere instead of bouncing back to it.
        m.not_before = now + 3 * lease_;
        give_back_requested_ = true;
      }
    } else {
      lost_meanwhile = ok;
    }
  }
  if (!ok) {
    std::fprintf(stderr, "eventsd: cluster ownership: shard %u (epoch %llu) not taken up; giving it back\n", shard,
                 static_cast<unsigned long long>(epoch));
    renew_wake_.notify_all();
  }
  if (lost_meanwhile) {
    try {
      on_lose_(shard);
    } catch (const std::exception& e) {
      warn("on_lose failed", e);
    }
  }
}

void ShardOwnership::deliver_losses() {
  std::vector<std::uint32_t> lost;
  {
    std::lock_guard lock(mu_);
    for (std::uint32_t s = 0; s < shards_; ++s)
      if (mine_[s].lose_pending) {
        mine_[s].lose_pending = false;
        lost.push_back(s);
      }
  }
  for (auto s : lost) {
    try {
      on_lose_(s);
    } catch (const std::exception& e) {
      warn("on_lose failed", e);
    }
  }
}

// --- queries ---

bool ShardOwnership::owns(std::uint32_t shard) const {
  std::lock_guard lock(mu_);
  return shard < shards_ && mine_[shard].phase == Mine::kHeld;
}

std::optional<ShardOwnership::Owner> ShardOwnership::owner(std::uint32_t shard) const {
  if (shard >= shards_) return std::nullopt;
  std::lock_guard lock(mu_);
  return owner_locked(shard, clock_.steady());
}

std::optional<ShardOwnership::Owner> ShardOwnership::owner_locked(std::uint32_t shard, Instant now) const {
  const auto& m = mine_[shard];
  if (m.phase != Mine::kNone) return Owner{node_, m.epoch};
  const auto& seen = leases_[shard];
  // While the buckets cannot be read (an election of their stream), a lease's age says nothing:
  // the holder last seen is the best guess, and it answers for itself if it no longer owns it.
  if (!seen.entry || (!blind_ && seen.expired(now, lease_))) return std::nullopt;
  auto lease = parse_lease(seen.entry->value);
  if (lease.node.empty() || lease.node == kGivenBack || lease.node == node_) return std::nullopt;
  return Owner{lease.node, lease.epoch};
}

std::vector<ShardOwnership::ShardStatus> ShardOwnership::status() const {
  std::vector<ShardStatus> out;
  out.reserve(shards_);
  std::lock_guard lock(mu_);
  auto now = clock_.steady();
  for (std::uint32_t s = 0; s < shards_; ++s) {
    auto who = owner_locked(s, now);
    const auto& m = mine_[s];
    const auto& seen = leases_[s];
    ShardStatus status{s, who ? who->node : "", 0, 0, m.phase == Mine::kHeld};
    if (m.phase != Mine::kNone) {
      status.epoch = m.epoch;
      status.revision = m.revision;
    } else if (seen.entry) {
      status.epoch = parse_lease(seen.entry->value).epoch;
      status.revision = seen.entry->revision;
    }
    out.push_back(std::move(status));
  }
  return out;
}

std::vector<ShardOwnership::Node> ShardOwnership::nodes() const {
  std::lock_guard lock(mu_);
  auto out = registry_.live(clock_.steady());
  if (started_ && !stopping_) out.push_back({node_, info_});
  std::sort(out.begin(), out.end(), [](const Node& a, const Node& b) { return a.name < b.name; });
  return out;
}

std::string ShardOwnership::preferred(std::uint32_t shard) const {
  if (shard >= shards_) return "";
  std::lock_guard lock(mu_);
  return preferred_locked(shard, clock_.steady());
}

}  // namespace eventsd
