#include "cluster/node_registry.h"

#include <cstdio>
#include <exception>
#include <stdexcept>
#include <utility>
#include <variant>

namespace eventsd {
namespace {

void warn(const char* what, const std::exception& e) {
  std::fprintf(stderr, "eventsd: cluster ownership: %s: %s\n", what, e.what());
}

}  // namespace

NodeRegistry::NodeRegistry(SealedKv& kv, const Clock& clock, std::string node, std::string info,
                           std::chrono::milliseconds lease, std::chrono::milliseconds renew_interval)
    : kv_(kv),
      clock_(clock),
      node_(std::move(node)),
      info_(std::move(info)),
      lease_(lease),
      renew_interval_(renew_interval) {}

void NodeRegistry::join(const Pause& pause) {
  refuse_a_namesake(pause);
  register_entry();
}

void NodeRegistry::refuse_a_namesake(const Pause& pause) {
  auto entry = kv_.get(kNodesBucket, node_);
  if (!entry || entry->value == kLeft) return;
  const auto until = clock_.steady() + 2 * renew_interval_;
  for (auto now = clock_.steady(); now < until; now = clock_.steady())
    pause(std::chrono::ceil<std::chrono::milliseconds>(until - now));
  auto again = kv_.get(kNodesBucket, node_);
  if (again && again->value != kLeft && again->revision != entry->revision) {
    throw std::runtime_error("another node named " + node_ + " is running (its registry entry, \"" + again->value +
                             "\", was renewed meanwhile); every node needs a name of its own");
  }
}

void NodeRegistry::register_entry() {
  // Over whatever is there: the entry is this node's alone.
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto entry = kv_.get(kNodesBucket, node_);
    nats::KvWrite written = entry ? kv_.update(kNodesBucket, node_, info_, entry->revision)
                                  : kv_.create(kNodesBucket, node_, info_);
    if (auto* revision = std::get_if<std::uint64_t>(&written)) {
      revision_ = *revision;
      return;
    }
  }
  throw nats::Error("registering node " + node_ + ": its registry entry keeps changing");
}

void NodeRegistry::renew() {
  try {
    auto written = kv_.update(kNodesBucket, node_, info_, revision_);
    if (auto* revision = std::get_if<std::uint64_t>(&written))
      revision_ = *revision;
    else
      register_entry();
  } catch (const std::exception& e) {
    warn("renewing the node registry entry", e);
  }
}

void NodeRegistry::leave() {
  try {
    kv_.update(kNodesBucket, node_, kLeft, revision_);
  } catch (const std::exception& e) {
    warn("leaving the node registry", e);
  }
}

std::map<std::string, nats::KvEntry> NodeRegistry::fetch() {
  std::vector<std::string> known;
  bool list = false;
  {
    std::lock_guard lock(mu_);
    for (const auto& [name, seen] : seen_) known.push_back(name);
    list = clock_.steady() >= next_listing_;
  }
  std::map<std::string, nats::KvEntry> entries;
  if (list) {
    try {
      entries = kv_.all(kNodesBucket);
      known.clear();
    } catch (const std::exception& e) {
      warn("listing the node registry", e);
    }
    std::lock_guard lock(mu_);
    next_listing_ = clock_.steady() + lease_;
  }
  for (const auto& name : known)
    if (auto entry = kv_.get(kNodesBucket, name)) entries.emplace(name, std::move(*entry));
  return entries;
}

void NodeRegistry::saw(std::map<std::string, nats::KvEntry> entries, Clock::Steady::time_point now, bool blind) {
  std::lock_guard lock(mu_);
  std::map<std::string, SeenEntry> seen;
  for (auto& [name, entry] : entries) {
    auto before = seen_.find(name);
    SeenEntry s = before != seen_.end() ? std::move(before->second) : SeenEntry{};
    s.saw(std::move(entry), now, blind);
    seen.emplace(name, std::move(s));
  }
  seen_ = std::move(seen);
  std::map<std::string, Clock::Steady::time_point> live_since;
  for (const auto& node : live_locked(now)) {
    auto before = live_since_.find(node.name);
    live_since.emplace(node.name, before != live_since_.end() ? before->second : now);
  }
  live_since_ = std::move(live_since);
}

std::vector<NodeRegistry::Node> NodeRegistry::live(Clock::Steady::time_point now) const {
  std::lock_guard lock(mu_);
  return live_locked(now);
}

std::vector<NodeRegistry::Node> NodeRegistry::live_locked(Clock::Steady::time_point now) const {
  std::vector<Node> live;  // by name: seen_ is ordered
  for (const auto& [name, seen] : seen_)
    if (name != node_ && seen.entry && seen.entry->value != kLeft && !seen.expired(now, lease_))
      live.push_back({name, seen.entry->value});
  return live;
}

std::optional<Clock::Steady::time_point> NodeRegistry::live_since(const std::string& node) const {
  std::lock_guard lock(mu_);
  auto it = live_since_.find(node);
  if (it == live_since_.end()) return std::nullopt;
  return it->second;
}

}  // namespace eventsd
