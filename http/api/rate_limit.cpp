#include "http/api/rate_limit.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iterator>

namespace eventsd::http {

// One owner's buckets: a list from most to least recently used, an index by group and key, and per
// group the list of its own, also most recent first. Evicting the back of either list, touching
// (splicing to the front) and inserting are O(1).
struct TokenBuckets::Table {
  struct Bucket {
    double tokens;
    double rate;
    double burst;
    Clock::Steady::time_point last;
  };
  struct Entry;
  using Lru = std::list<Entry>;
  struct Group {
    std::list<Lru::iterator> lru;
  };
  using Groups = std::unordered_map<std::string, Group, StringHash, std::equal_to<>>;
  using Index = std::unordered_map<std::string, Lru::iterator, StringHash, std::equal_to<>>;
  struct Entry {
    Bucket bucket;
    Groups::value_type* group;  // map nodes never move, so these pointers stay valid
    std::list<Lru::iterator>::iterator in_group;
    const Index::value_type* slot = nullptr;
  };

  Lru lru;
  Index index;
  Groups groups;

  void forget(Lru::iterator e) {
    Group& g = e->group->second;
    g.lru.erase(e->in_group);
    if (g.lru.empty()) groups.erase(groups.find(e->group->first));
    index.erase(index.find(e->slot->first));
    lru.erase(e);
  }
};

TokenBuckets::TokenBuckets(const Clock& clock, Bounds bounds)
    : clock_(clock), bounds_{std::max<std::size_t>(1, bounds.per_owner), std::max<std::size_t>(1, bounds.per_group)} {}

TokenBuckets::~TokenBuckets() = default;

TokenBuckets::Shard& TokenBuckets::shard_of(std::string_view owner) const {
  return shards_[StringHash{}(owner) % shards_.size()];
}

std::optional<unsigned> TokenBuckets::take(std::string_view owner, std::string_view group, std::string_view key,
                                           double rate, double burst) {
  if (!(rate >= kMinRate)) rate = kMinRate;  // NaN too
  if (!(burst > 0)) burst = std::max(1.0, rate);
  const auto now = clock_.steady();
  std::string id;
  id.reserve(group.size() + 1 + key.size());
  id.append(group).push_back('\0');  // no group (an id, an address) holds a NUL
  id.append(key);

  Shard& shard = shard_of(owner);
  std::lock_guard lock(shard.mutex);
  auto table = shard.tables.find(owner);
  if (table == shard.tables.end()) table = shard.tables.emplace(std::string(owner), std::make_unique<Table>()).first;
  Table& t = *table->second;
  Table::Bucket* b = nullptr;
  if (auto found = t.index.find(id); found != t.index.end()) {
    const Table::Lru::iterator e = found->second;
    t.lru.splice(t.lru.begin(), t.lru, e);
    auto& mine = e->group->second.lru;
    mine.splice(mine.begin(), mine, e->in_group);
    b = &e->bucket;
    const double elapsed = std::chrono::duration<double>(now - b->last).count();
    b->rate = rate;
    b->burst = burst;
    b->tokens = std::min(burst, b->tokens + elapsed * rate);
    b->last = now;
  } else {
    // Room first: from the group when it has its share, else from the whole table.
    if (auto g = t.groups.find(group); g != t.groups.end() && g->second.lru.size() >= bounds_.per_group) {
      t.forget(g->second.lru.back());
    } else if (t.lru.size() >= bounds_.per_owner) {
      t.forget(std::prev(t.lru.end()));
    }
    auto g = t.groups.find(group);
    if (g == t.groups.end()) g = t.groups.emplace(std::string(group), Table::Group{}).first;
    t.lru.push_front(Table::Entry{Table::Bucket{burst, rate, burst, now}, &*g, {}});
    const Table::Lru::iterator e = t.lru.begin();
    g->second.lru.push_front(e);
    e->in_group = g->second.lru.begin();
    e->slot = &*t.index.emplace(std::move(id), e).first;
    b = &e->bucket;
  }
  if (b->tokens >= 1.0) {
    b->tokens -= 1.0;
    return std::nullopt;
  }
  return static_cast<unsigned>(std::max(1.0, std::ceil((1.0 - b->tokens) / rate)));
}

std::size_t TokenBuckets::size(std::string_view owner) const {
  Shard& shard = shard_of(owner);
  std::lock_guard lock(shard.mutex);
  auto table = shard.tables.find(owner);
  return table == shard.tables.end() ? 0 : table->second->lru.size();
}

std::size_t TokenBuckets::size(std::string_view owner, std::string_view group) const {
  Shard& shard = shard_of(owner);
  std::lock_guard lock(shard.mutex);
  auto table = shard.tables.find(owner);
  if (table == shard.tables.end()) return 0;
  auto g = table->second->groups.find(group);
  return g == table->second->groups.end() ? 0 : g->second.lru.size();
}

}  // namespace eventsd::http
