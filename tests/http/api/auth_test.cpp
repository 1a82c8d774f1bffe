// Pieces of authentication that need no server: the rate limiters, cookies, the console's origin
// and roles (http/api/auth.h, http/api/rate_limit.h).
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "http/api/auth.h"
#include "http/api/rate_limit.h"
#include "tests/support/manual_clock.h"

namespace eventsd::http {
namespace {

using std::chrono::milliseconds;

TEST(RateLimiter, BurstThenRefillPerToken) {
  test::ManualClock clock;
  RateLimiter limiter(clock, 2.0);  // 2 per second, bursts of 2
  EXPECT_FALSE(limiter.take("a"));
  EXPECT_FALSE(limiter.take("a"));
  auto wait = limiter.take("a");
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, 1u);
  EXPECT_FALSE(limiter.take("b")) << "buckets are per token";
  clock.advance(milliseconds(400));
  EXPECT_TRUE(limiter.take("a"));  // 0.8 tokens: not yet
  clock.advance(milliseconds(200));
  EXPECT_FALSE(limiter.take("a"));  // 1.2 tokens
  // Idle time refills up to the burst, not beyond.
  clock.advance(milliseconds(60'000));
  EXPECT_FALSE(limiter.take("a"));
  EXPECT_FALSE(limiter.take("a"));
  EXPECT_TRUE(limiter.take("a"));
}

TEST(RateLimiter, RetryAfterCoversTheWait) {
  test::ManualClock clock;
  RateLimiter slow(clock, 0.1);  // one request per 10 s
  EXPECT_FALSE(slow.take("a"));
  auto wait = slow.take("a");
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, 10u);
  clock.advance(std::chrono::seconds(9));
  EXPECT_EQ(slow.take("a"), 1u);
  clock.advance(std::chrono::seconds(1));
  EXPECT_FALSE(slow.take("a"));
}

}  // namespace
}  // namespace eventsd::http

namespace eventsd {
namespace {

TEST(TokenBuckets, BucketPerKeyAtItsOwnRate) {
  test::ManualClock clock;
  http::TokenBuckets limiter(clock);
  EXPECT_FALSE(limiter.take("a", 2));
  EXPECT_FALSE(limiter.take("a", 2));
  EXPECT_EQ(limiter.take("a", 2), 1u);  // a burst of one second's worth
  EXPECT_FALSE(limiter.take("b", 2)) << "another key has its own bucket";
  EXPECT_FALSE(limiter.take("slow", 0.1));
  EXPECT_EQ(limiter.take("slow", 0.1), 10u);
  // An explicit burst: three at once, then one per 5 s.
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(limiter.take("login", 0.2, 3)) << i;
  EXPECT_EQ(limiter.take("login", 0.2, 3), 5u);
  clock.advance(std::chrono::milliseconds(500));
  EXPECT_FALSE(limiter.take("a", 2));
  clock.advance(std::chrono::milliseconds(4'500));
  EXPECT_FALSE(limiter.take("login", 0.2, 3));
}

TEST(TokenBuckets, PastItsBoundRefilledBucketsAreForgottenAndNewKeysRefused) {
  test::ManualClock clock;
  http::TokenBuckets limiter(clock, 2);
  EXPECT_FALSE(limiter.take("a", 1));
  EXPECT_FALSE(limiter.take("b", 1));
  EXPECT_EQ(limiter.take("c", 1), 1u) << "both buckets are busy: a new key is refused";
  clock.advance(std::chrono::seconds(1));
  EXPECT_FALSE(limiter.take("c", 1)) << "refilled buckets are forgotten to make room";
  EXPECT_EQ(limiter.take("c", 1), 1u) << "and the new key's bucket is kept";
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

TEST(ConsoleOrigin, IsTheHostTheRequestWasSentToOverHttps) {
  http::RawRequest req;
  req.set(http::bhttp::field::host, "Events.Example:8080");
  for (bool http_loopback : {false, true}) {
    EXPECT_TRUE(http::is_console_origin(req, "https://events.example:8080", http_loopback));
    EXPECT_FALSE(http::is_console_origin(req, "http://events.example:8080", http_loopback));
    EXPECT_FALSE(http::is_console_origin(req, "https://events.example", http_loopback));
    EXPECT_FALSE(http::is_console_origin(req, "https://evil.example", http_loopback));
  }
  req.set(http::bhttp::field::host, "events.example");
  EXPECT_TRUE(http::is_console_origin(req, "https://events.example", false));
  req.erase(http::bhttp::field::host);
  EXPECT_FALSE(http::is_console_origin(req, "https://events.example", true));
}

TEST(ConsoleOrigin, PlainHttpOnlyOnALoopbackHostAndOnlyWhenAllowed) {
  http::RawRequest req;
  for (const auto& [host, origin] : std::vector<std::pair<std::string, std::string>>{
           {"127.0.0.1:8080", "http://127.0.0.1:8080"}, {"127.9.9.9", "http://127.9.9.9"},
           {"[::1]:8080", "http://[::1]:8080"}, {"localhost", "http://localhost"}}) {
    req.set(http::bhttp::field::host, host);
    EXPECT_TRUE(http::is_console_origin(req, origin, true)) << host;
    EXPECT_FALSE(http::is_console_origin(req, origin, false)) << host;
  }
  for (const auto& [host, origin] : std::vector<std::pair<std::string, std::string>>{
           {"128.0.0.1", "http://128.0.0.1"}, {"[::2]", "http://[::2]"},
           {"localhost.example", "http://localhost.example"}, {"events.example", "http://events.example"}}) {
    req.set(http::bhttp::field::host, host);
    EXPECT_FALSE(http::is_console_origin(req, origin, true)) << host;
  }
  // The Host decides, not the Origin alone.
  req.set(http::bhttp::field::host, "events.example");
  EXPECT_FALSE(http::is_console_origin(req, "http://127.0.0.1", true));
}

TEST(ConsoleRoles, GrantTenantScopesOnlyNeverTheOperators) {
  for (const char* role : {"admin", "member"}) {
    EXPECT_FALSE(http::role_grants(role, kOperatorScope)) << role;
    EXPECT_TRUE(http::role_grants(role, "events:read")) << role;
  }
  EXPECT_TRUE(http::role_grants("admin", "admin"));
  EXPECT_FALSE(http::role_grants("member", "admin"));
}

}  // namespace
}  // namespace eventsd
