// Rate limits as token buckets (one mechanism for every limit: per API token, per publishable
// key, per client address of a key, per login address, per login address and e-mail). A bucket
// refills at its rate up to its burst (by default one second's worth, at least one request); each
// request takes one token. Time is the Clock's (common/clock.h), so tests drive it.
//
// Waits are short and honest: a rate below kMinRate counts as kMinRate, so no caller is told to
// wait more than 1/kMinRate seconds, and the wait it is told is when its bucket holds a token again.
//
// Memory is bounded, and no owner can spend another's share of it (docs/security.md, "Tenants
// and limits"). Every bucket belongs to an owner — a tenant (only authenticated requests name one,
// so owners are as many as the accounts make them, not as callers choose), or the server itself
// for logins — and, within the owner, to a group: a token or key with its client addresses, or a
// client address with the e-mails tried from it. An owner's buckets are a table of its own with
// at most Bounds::per_owner buckets, of which at most Bounds::per_group are one group's. Past a
// bound the least recently used bucket of the group, else of the owner, is forgotten, in O(1): a
// flood of new keys pushes out only its own group's or owner's buckets, never another owner's,
// and a new key is never refused for want of room. A forgotten bucket comes back full (its key
// may burst again): the price of bounded memory, paid by the owner whose traffic caused it.
//
// Thread safety: every member may be called from any thread. Owners are spread over shards, each
// with its own mutex, held for O(1) work per request.
#pragma once

#include <array>
#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.h"

namespace eventsd::http {

// How many buckets a TokenBuckets keeps (eventsd --limiter-tenant-buckets, --limiter-key-buckets).
struct BucketBounds {
  std::size_t per_owner = 100'000;  // buckets of one owner (a tenant; the server for logins)
  std::size_t per_group = 10'000;   // of which one group's (a key's addresses, an address's e-mails)
};

class TokenBuckets {
 public:
  using Bounds = BucketBounds;
  static constexpr double kMinRate = 0.1;  // requests per second: waits of at most 10 s

  explicit TokenBuckets(const Clock& clock, Bounds bounds = {});
  ~TokenBuckets();

  // Takes one request from the bucket `key` of `group` of `owner`, which refills at `rate` per
  // second (at least kMinRate) up to `burst` (0: max(1, rate)). nullopt: allowed; otherwise the
  // whole seconds until a request would be, from 1 to 1/kMinRate.
  std::optional<unsigned> take(std::string_view owner, std::string_view group, std::string_view key, double rate,
                               double burst = 0);
  // The buckets `owner` holds, and of them `group`'s.
  std::size_t size(std::string_view owner) const;
  std::size_t size(std::string_view owner, std::string_view group) const;

 private:
  struct Table;  // one owner's buckets (rate_limit.cpp)
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, std::unique_ptr<Table>, StringHash, std::equal_to<>> tables;
  };
  Shard& shard_of(std::string_view owner) const;

  const Clock& clock_;
  const Bounds bounds_;
  mutable std::array<Shard, 16> shards_;
};

// The limit every API token (and console user) has (eventsd --rate-limit): `rate` requests per
// second, bursts of one second's worth, each tenant's buckets apart from the others'.
class RateLimiter {
 public:
  RateLimiter(const Clock& clock, double rate, TokenBuckets::Bounds bounds = {}) : buckets_(clock, bounds), rate_(rate) {}
  std::optional<unsigned> take(std::string_view tenant, std::string_view token_id) {
    return buckets_.take(tenant, token_id, "", rate_);
  }

 private:
  TokenBuckets buckets_;
  const double rate_;
};

}  // namespace eventsd::http
