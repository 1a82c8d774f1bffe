// A token bucket per API token: `rate` requests per second on average, bursts of up to one
// second's worth. Only authenticated requests reach it, so it holds at most one bucket per
// token the operator created. Thread-safe.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace eventsd::http {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit RateLimiter(double rate) : rate_(rate), burst_(std::max(1.0, rate)) {}

  // Takes one request from the token's bucket. nullopt: allowed. Otherwise the whole seconds to
  // wait before a request will be allowed again (at least 1).
  std::optional<unsigned> take(const std::string& token_id, Clock::time_point now = Clock::now());

 private:
  struct Bucket {
    double tokens;
    Clock::time_point last;
  };
  double rate_;
  double burst_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace eventsd::http
