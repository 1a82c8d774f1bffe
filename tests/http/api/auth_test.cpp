// Pieces of authentication that need no server: the rate limiters, cookies, the console's origin
// and roles (http/api/auth.h, http/api/rate_limit.h).
#include <gtest/gtest.h>

#include <cmath>
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
  EXPECT_FALSE(limiter.take("acme", "a"));
  EXPECT_FALSE(limiter.take("acme", "a"));
  auto wait = limiter.take("acme", "a");
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, 1u);
  EXPECT_FALSE(limiter.take("acme", "b")) << "buckets are per token";
  EXPECT_FALSE(limiter.take("beta", "a")) << "and each tenant's apart";
  clock.advance(milliseconds(400));
  EXPECT_TRUE(limiter.take("acme", "a"));  // 0.8 tokens: not yet
  clock.advance(milliseconds(200));
  EXPECT_FALSE(limiter.take("acme", "a"));  // 1.2 tokens
  // Idle time refills up to the burst, not beyond.
  clock.advance(milliseconds(60'000));
  EXPECT_FALSE(limiter.take("acme", "a"));
  EXPECT_FALSE(limiter.take("acme", "a"));
  EXPECT_TRUE(limiter.take("acme", "a"));
}

TEST(RateLimiter, RetryAfterCoversTheWait) {
  test::ManualClock clock;
  RateLimiter slow(clock, 0.1);  // one request per 10 s
  EXPECT_FALSE(slow.take("acme", "a"));
  auto wait = slow.take("acme", "a");
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, 10u);
  clock.advance(std::chrono::seconds(9));
  EXPECT_EQ(slow.take("acme", "a"), 1u);
  clock.advance(std::chrono::seconds(1));
  EXPECT_FALSE(slow.take("acme", "a"));
}

}  // namespace
}  // namespace eventsd::http

namespace eventsd {
namespace {

using http::TokenBuckets;

TEST(TokenBuckets, BucketPerKeyAtItsOwnRate) {
  test::ManualClock clock;
  TokenBuckets limiter(clock);
  EXPECT_FALSE(limiter.take("t", "a", "", 2));
  EXPECT_FALSE(limiter.take("t", "a", "", 2));
  EXPECT_EQ(limiter.take("t", "a", "", 2), 1u);  // a burst of one second's worth
  EXPECT_FALSE(limiter.take("t", "b", "", 2)) << "another group has its own bucket";
  EXPECT_FALSE(limiter.take("t", "a", "198.51.100.7", 2)) << "and so has another key of the group";
  EXPECT_FALSE(limiter.take("u", "a", "", 2)) << "and the same group of another owner";
  EXPECT_FALSE(limiter.take("t", "slow", "", 0.1));
  EXPECT_EQ(limiter.take("t", "slow", "", 0.1), 10u);
  // An explicit burst: three at once, then one per 5 s.
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(limiter.take("", "login", "", 0.2, 3)) << i;
  EXPECT_EQ(limiter.take("", "login", "", 0.2, 3), 5u);
  clock.advance(std::chrono::milliseconds(500));
  EXPECT_FALSE(limiter.take("t", "a", "", 2));
  clock.advance(std::chrono::milliseconds(4'500));
  EXPECT_FALSE(limiter.take("", "login", "", 0.2, 3));
}

TEST(TokenBuckets, RetryAfterIsAtMostTenSecondsWhateverTheRate) {
  test::ManualClock clock;
  TokenBuckets limiter(clock);
  int n = 0;
  for (double rate : {1e-9, 0.0, -1.0, std::nan("")}) {
    const std::string key = "key" + std::to_string(++n);
    EXPECT_FALSE(limiter.take("t", key, "", rate)) << rate;
    EXPECT_EQ(limiter.take("t", key, "", rate), 10u) << rate;
    clock.advance(std::chrono::seconds(10));
    EXPECT_FALSE(limiter.take("t", key, "", rate)) << "the wait told was honest: " << rate;
  }
}

// A tenant that fills its table with new addresses (or keys) pushes out only its own buckets:
// another tenant's are neither forgotten nor refused, however long the flood.
TEST(TokenBuckets, OneOwnersFloodNeverTouchesAnothers) {
  test::ManualClock clock;  // standing still: no bucket refills
  TokenBuckets limiter(clock, {.per_owner = 50, .per_group = 20});
  // beta's key has spent its burst from one address; that state must survive acme's flood.
  EXPECT_FALSE(limiter.take("beta", "tok_beta", "192.0.2.1", 1));
  EXPECT_EQ(limiter.take("beta", "tok_beta", "192.0.2.1", 1), 1u);
  for (int i = 0; i < 10'000; ++i) {
    const std::string address = "10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".1";
    ASSERT_FALSE(limiter.take("acme", "tok_" + std::to_string(i % 7), address, 1)) << "never refused for want of room: " << i;
  }
  EXPECT_EQ(limiter.size("acme"), 50u);
  EXPECT_EQ(limiter.size("beta"), 1u);
  EXPECT_EQ(limiter.take("beta", "tok_beta", "192.0.2.1", 1), 1u) << "beta's bucket was not forgotten";
  for (int i = 0; i < 30; ++i) {
    EXPECT_FALSE(limiter.take("beta", "tok_beta", "192.0.2." + std::to_string(i + 2), 1)) << "beta's new addresses pass: " << i;
  }
}

// Within an owner, a group (one key's addresses) holds at most its share: a key flooded with new
// addresses forgets its own least recently used ones, not another key's.
TEST(TokenBuckets, AGroupPastItsShareForgetsItsOwnLeastRecentlyUsed) {
  test::ManualClock clock;
  TokenBuckets limiter(clock, {.per_owner = 100, .per_group = 3});
  EXPECT_FALSE(limiter.take("acme", "quiet", "192.0.2.1", 1));
  EXPECT_EQ(limiter.take("acme", "quiet", "192.0.2.1", 1), 1u);
  EXPECT_FALSE(limiter.take("acme", "busy", "a", 1));
  EXPECT_FALSE(limiter.take("acme", "busy", "b", 1));
  EXPECT_FALSE(limiter.take("acme", "busy", "c", 1));
  EXPECT_EQ(limiter.take("acme", "busy", "a", 1), 1u);  // a is now the most recently used
  EXPECT_FALSE(limiter.take("acme", "busy", "d", 1));   // b, the least, is forgotten
  EXPECT_EQ(limiter.size("acme", "busy"), 3u);
  EXPECT_EQ(limiter.take("acme", "busy", "a", 1), 1u) << "a is kept, still spent";
  EXPECT_EQ(limiter.take("acme", "busy", "c", 1), 1u) << "c is kept";
  EXPECT_FALSE(limiter.take("acme", "busy", "b", 1)) << "b comes back full";
  for (int i = 0; i < 1'000; ++i) EXPECT_FALSE(limiter.take("acme", "busy", "x" + std::to_string(i), 1));
  EXPECT_EQ(limiter.size("acme", "busy"), 3u);
  EXPECT_EQ(limiter.take("acme", "quiet", "192.0.2.1", 1), 1u) << "another key's bucket survives";
}

TEST(TokenBuckets, AnOwnerPastItsBoundForgetsItsLeastRecentlyUsed) {
  test::ManualClock clock;
  TokenBuckets limiter(clock, {.per_owner = 3, .per_group = 3});
  for (const char* g : {"a", "b", "c"}) {
    EXPECT_FALSE(limiter.take("acme", g, "", 1));
    EXPECT_EQ(limiter.take("acme", g, "", 1), 1u);
  }
  EXPECT_EQ(limiter.take("acme", "a", "", 1), 1u);  // a: the most recently used
  EXPECT_FALSE(limiter.take("acme", "d", "", 1));   // b: forgotten
  EXPECT_EQ(limiter.size("acme"), 3u);
  EXPECT_EQ(limiter.size("acme", "b"), 0u);
  EXPECT_EQ(limiter.take("acme", "a", "", 1), 1u);
  EXPECT_EQ(limiter.take("acme", "c", "", 1), 1u);
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

// eventsd --console-origins: https origins, or http on a loopback host, normalized as an Origin
// header is; nothing an attacker on the way could serve, nothing with a path.
TEST(WebAppOrigin, HttpsOrLoopbackHttpNormalized) {
  EXPECT_EQ(http::web_app_origin("https://App.Example.com:443"), "https://app.example.com");
  EXPECT_EQ(http::web_app_origin("https://app.example.com:8443"), "https://app.example.com:8443");
  EXPECT_EQ(http::web_app_origin("http://localhost:5173"), "http://localhost:5173");
  EXPECT_EQ(http::web_app_origin("http://127.0.0.1:3000"), "http://127.0.0.1:3000");
  EXPECT_EQ(http::web_app_origin("http://[::1]:3000"), "http://[::1]:3000");
  for (const char* bad : {"http://app.example.com", "https://app.example.com/", "https://app.example.com/app",
                          "app.example.com", "ftp://app.example.com", "https://user@app.example.com", "null", ""}) {
    EXPECT_FALSE(http::web_app_origin(bad)) << bad;
  }
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
