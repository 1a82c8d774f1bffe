// Pieces of the HTTP layer that need no server: JSON output, the rate limiter, the routes table.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "common/json_writer.h"
#include "http/api/rate_limit.h"
#include "http/api/router.h"
#include "http/dialects/routes.h"

namespace eventsd::http {
namespace {

TEST(JsonWriter, EscapesAndAlwaysWritesValidUtf8) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.key("plain").string("a\"b\\c\n\t\x01");
  w.key("utf8").string("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  w.key("broken").string("x\xFFy\xC3");         // invalid bytes and a cut sequence
  w.key("surrogate").string("\xED\xA0\x80z");   // UTF-16 surrogates are not UTF-8
  w.key("list").begin_array().number(1).boolean(false).null().raw(R"({"k":[1]})").end_array();
  w.end_object();
  auto v = boost::json::parse(out);  // throws if the output is not JSON
  EXPECT_EQ(v.at("plain"), "a\"b\\c\n\t\x01");
  EXPECT_EQ(v.at("utf8"), "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(v.at("broken"), "x\xEF\xBF\xBDy\xEF\xBF\xBD");
  EXPECT_EQ(v.at("surrogate"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDz");
  EXPECT_EQ(v.at("list"), boost::json::parse(R"([1,false,null,{"k":[1]}])"));
}

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

namespace eventsd::http {
namespace {

// Cluster mode forwards the routes that write the log to the shard's owner: every route that
// changes events must say so, or a non-owner would try to decide it itself (and answer 503).
TEST(Routes, EveryRouteThatChangesEventsWritesTheLog) {
  const Router router = make_router();
  std::size_t writes = 0;
  for (const auto& route : router.routes()) {
    if (route.method != bhttp::verb::get && route.scope == "events:write") {
      EXPECT_TRUE(route.writes_log) << route.name;
    }
    if (route.method == bhttp::verb::get) {
      EXPECT_FALSE(route.writes_log) << route.name;
    }
    writes += route.writes_log;
  }
  EXPECT_GE(writes, 10u);
}

}  // namespace
}  // namespace eventsd::http
