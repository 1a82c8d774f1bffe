#include "http/api/rate_limit.h"

#include <cmath>

namespace eventsd::http {

std::optional<unsigned> RateLimiter::take(const std::string& token_id, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto [it, fresh] = buckets_.try_emplace(token_id, Bucket{burst_, now});
  Bucket& b = it->second;
  if (!fresh) {
    const double elapsed = std::chrono::duration<double>(now - b.last).count();
    b.tokens = std::min(burst_, b.tokens + elapsed * rate_);
    b.last = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return std::nullopt;
  }
  return static_cast<unsigned>(std::max(1.0, std::ceil((1.0 - b.tokens) / rate_)));
}

}  // namespace eventsd::http
