// Pieces of authentication that need no server: the rate limiters, cookies, the console's origin
// (http/api/auth.h, http/api/rate_limit.h).
#include <gtest/gtest.h>

#include "http/api/auth.h"
#include "http/api/rate_limit.h"

namespace eventsd::http {
namespace {

TEST(RateLimiter, BurstThenRefillPerToken) {
  RateLimiter limiter(2.0);  // 2 per second, bursts of 2
  const auto t0 = RateLimiter::Clock::time_point{};
  using std::chrono::milliseconds;
  EXPECT_FALSE(limiter.take("a", t0));
  EXPECT_FALSE(limiter.take("a", t0));
  auto wait = limiter.take("a", t0);
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, 1u);
  EXPECT_FALSE(limiter.take("b", t0)) << "buckets are per token";
  EXPECT_TRUE(limiter.take("a", t0 + milliseconds(400)));   // 0.8 tokens: not yet
  EXPECT_FALSE(limiter.take("a", t0 + milliseconds(600)));  // 1.2 tokens
  // Idle time refills up to the burst, not beyond.
  EXPECT_FALSE(limiter.take("a", t0 + milliseconds(60'000)));
  EXPECT_FALSE(limiter.take("a", t0 + milliseconds(60'000)));
  EXPECT_TRUE(limiter.take("a", t0 + milliseconds(60'000)));
}

TEST(RateLimiter, RetryAfterCoversTheWait) {
  RateLimiter slow(0.1);  // one request per 10 s
  const auto t0 = RateLimiter::Clock::time_point{};
  EXPECT_FALSE(slow.take("a", t0));
  auto wait = slow.take("a", t0);
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, 10u);
}

}  // namespace
}  // namespace eventsd::http

namespace eventsd {
namespace {

TEST(KeyedLimiter, BucketPerKeyAtItsOwnRate) {
  http::KeyedLimiter limiter;
  const auto t0 = http::KeyedLimiter::Clock::time_point{} + std::chrono::hours(1);
  EXPECT_FALSE(limiter.take("a", 2, t0));
  EXPECT_FALSE(limiter.take("a", 2, t0));
  EXPECT_EQ(limiter.take("a", 2, t0), 1u);  // a burst of one second's worth
  EXPECT_FALSE(limiter.take("b", 2, t0)) << "another key has its own bucket";
  EXPECT_FALSE(limiter.take("a", 2, t0 + std::chrono::milliseconds(500)));
  EXPECT_FALSE(limiter.take("slow", 0.1, t0));
  EXPECT_EQ(limiter.take("slow", 0.1, t0), 10u);
  // An explicit burst: three at once, then one per 5 s.
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(limiter.take("login", 0.2, t0, 3)) << i;
  EXPECT_EQ(limiter.take("login", 0.2, t0, 3), 5u);
  EXPECT_FALSE(limiter.take("login", 0.2, t0 + std::chrono::seconds(5), 3));
}

TEST(Cookies, FoundAmongOthers) {
  http::RawRequest req;
  req.insert(http::bhttp::field::cookie, "a=1; eventsd_session=ses.abc;b=2");
  req.insert(http::bhttp::field::cookie, "c=3");
  EXPECT_EQ(http::cookie(req, "eventsd_session"), "ses.abc");
  EXPECT_EQ(http::cookie(req, "b"), "2");
  EXPECT_EQ(http::cookie(req, "c"), "3");
  EXPECT_FALSE(http::cookie(req, "eventsd"));
  EXPECT_FALSE(http::cookie(req, "session"));
}

TEST(ConsoleOrigin, IsTheHostTheRequestWasSentTo) {
  http::RawRequest req;
  req.set(http::bhttp::field::host, "Events.Example:8080");
  EXPECT_TRUE(http::is_console_origin(req, "http://events.example:8080"));
  EXPECT_TRUE(http::is_console_origin(req, "https://events.example:8080"));
  EXPECT_FALSE(http::is_console_origin(req, "https://events.example"));
  EXPECT_FALSE(http::is_console_origin(req, "https://evil.example"));
  req.set(http::bhttp::field::host, "events.example");
  EXPECT_TRUE(http::is_console_origin(req, "https://events.example"));
  req.erase(http::bhttp::field::host);
  EXPECT_FALSE(http::is_console_origin(req, "https://events.example"));
}

}  // namespace
}  // namespace eventsd
