// Rate limits as token buckets (one mechanism for every limit: per API token, per publishable
// key, per client address, per login e-mail). A bucket refills at its rate up to its burst (by
// default one second's worth, at least one request); each request takes one token. Time is the
// Clock's (common/clock.h), so tests drive it.
//
// Memory is bounded: past `max_keys` buckets, the refilled ones (full: they hold no state worth
// keeping) are forgotten; when none is, new keys are refused (load is shed) rather than stored.
// Thread safety: every member may be called from any thread.
#pragma once

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/clock.h"

namespace eventsd::http {

class TokenBuckets {
 public:
  static constexpr std::size_t kMaxKeys = 100'000;
  explicit TokenBuckets(const Clock& clock, std::size_t max_keys = kMaxKeys) : clock_(clock), max_keys_(max_keys) {}

  // Takes one request from `key`'s bucket, which refills at `rate` per second up to `burst`
  // (0: max(1, rate)). nullopt: allowed; otherwise the whole seconds to wait (at least 1).
  std::optional<unsigned> take(const std::string& key, double rate, double burst = 0);

 private:
  struct Bucket {
    double tokens;
    double rate;
    double burst;
    Clock::Steady::time_point last;
  };
  const Clock& clock_;
  const std::size_t max_keys_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

// The limit every API token has (eventsd --rate-limit): `rate` requests per second, bursts of one
// second's worth. Only authenticated requests reach it, so it holds at most one bucket per token.
class RateLimiter {
 public:
  RateLimiter(const Clock& clock, double rate) : buckets_(clock), rate_(rate) {}
  std::optional<unsigned> take(const std::string& token_id) { return buckets_.take(token_id, rate_); }

 private:
  TokenBuckets buckets_;
  const double rate_;
};

}  // namespace eventsd::http
