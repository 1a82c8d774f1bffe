#include "http/api/rate_limit.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace eventsd::http {

std::optional<unsigned> TokenBuckets::take(const std::string& key, double rate, double burst) {
  if (burst <= 0) burst = std::max(1.0, rate);
  const auto now = clock_.steady();
  std::lock_guard lock(mutex_);
  if (buckets_.size() >= max_keys_ && !buckets_.contains(key)) {
    // Forget the buckets that have refilled: they hold no state worth keeping.
    std::erase_if(buckets_, [&](const auto& entry) {
      const Bucket& b = entry.second;
      return b.tokens + std::chrono::duration<double>(now - b.last).count() * b.rate >= b.burst;
    });
    if (buckets_.size() >= max_keys_) return 1;  // every bucket is busy: an attack; shed load
  }
  auto [it, fresh] = buckets_.try_emplace(key, Bucket{burst, rate, burst, now});
  Bucket& b = it->second;
  if (!fresh) {
    const double elapsed = std::chrono::duration<double>(now - b.last).count();
    b.rate = rate;
    b.burst = burst;
    b.tokens = std::min(burst, b.tokens + elapsed * rate);
    b.last = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return std::nullopt;
  }
  return static_cast<unsigned>(std::max(1.0, std::ceil((1.0 - b.tokens) / rate)));
}

}  // namespace eventsd::http
