// Unit tests of the browser-facing pieces: origins, publishable keys in the token table, users and
// sessions, the keyed rate limiter and cookie parsing.
#include <gtest/gtest.h>

#include "eventlog/store.h"
#include "accounts/tokens.h"
#include "accounts/users.h"
#include "http/api/auth.h"
#include "tests/support/temp_dir.h"

namespace eventsd {
namespace {

TEST(Origins, Normalized) {
  EXPECT_EQ(normalize_origin("https://Shop.Example"), "https://shop.example");
  EXPECT_EQ(normalize_origin("https://shop.example:443"), "https://shop.example");
  EXPECT_EQ(normalize_origin("http://shop.example:80"), "http://shop.example");
  EXPECT_EQ(normalize_origin("http://localhost:3000"), "http://localhost:3000");
  EXPECT_EQ(normalize_origin("https://shop.example:8443"), "https://shop.example:8443");
  EXPECT_EQ(normalize_origin("http://[::1]:8080"), "http://[::1]:8080");
  for (const char* bad : {"", "null", "shop.example", "ftp://shop.example", "https://", "https://shop.example/",
                          "https://shop.example/path", "https://user@shop.example", "https://shop.example:",
                          "https://shop.example:99999", "https://shop.example:80a", "https://sh op.example",
                          "https://shop.example?x", "https://[::1"}) {
    EXPECT_FALSE(normalize_origin(bad)) << bad;
  }
}

TEST(PublishableKeys, StoredWithOriginsAndFoundByOrigin) {
  test::TempDir dir;
  Store store(dir.path());
  TokenStore tokens(store);
  const auto secret = tokens.create("acme", {"events:read"});
  const auto key = tokens.create_publishable("acme", {{"https://A.example", "https://a.example:443", "http://b.example"}, 2, 0});
  EXPECT_EQ(key.rfind("edp_", 0), 0u);
  auto reader = store.read();
  auto info = tokens.find(reader.txn(), key);
  ASSERT_TRUE(info);
  EXPECT_TRUE(info->publishable);
  EXPECT_EQ(info->origins, (std::vector<std::string>{"https://a.example", "http://b.example"}));
  EXPECT_EQ(info->scopes, std::vector<std::string>{"events:write"});
  EXPECT_EQ(info->rate, 2);
  EXPECT_EQ(info->id, TokenStore::id_of(key));
  EXPECT_TRUE(info->allows_origin("http://b.example"));
  EXPECT_FALSE(info->allows_origin("https://b.example"));
  EXPECT_FALSE(tokens.find(reader.txn(), secret)->publishable);
  EXPECT_FALSE(tokens.find(reader.txn(), secret)->allows_origin("https://a.example"));
  EXPECT_TRUE(tokens.any_publishable_allows(reader.txn(), "https://a.example"));
  EXPECT_FALSE(tokens.any_publishable_allows(reader.txn(), "https://c.example"));
  EXPECT_THROW(tokens.create_publishable("acme", {{}, 0, 0}), std::invalid_argument);
  EXPECT_THROW(tokens.create_publishable("acme", {{"https://a.example/x"}, 0, 0}), std::invalid_argument);
  EXPECT_THROW(tokens.create_publishable("acme", {{"https://a.example"}, -1, 0}), std::invalid_argument);
}

TEST(Users, PasswordsHashedWithArgon2id) {
  const auto hash = hash_password("correct horse");
  EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u);
  EXPECT_EQ(hash.find("correct horse"), std::string::npos);
  EXPECT_NE(hash, hash_password("correct horse")) << "each hash has its own salt";
  EXPECT_TRUE(verify_password(hash, "correct horse"));
  EXPECT_FALSE(verify_password(hash, "Correct horse"));
  EXPECT_FALSE(verify_password("not a hash", "correct horse"));
  EXPECT_FALSE(verify_password("", ""));
}

TEST(Users, SessionsLiveUntilTheyExpireOrEnd) {
  test::TempDir dir;
  Store store(dir.path());
  UserStore users(store);
  const auto ada = users.create_user("Ada@Example.com", "long enough", {"acme", "beta", "acme"}, "admin");
  EXPECT_EQ(ada.email, "ada@example.com");
  EXPECT_EQ(ada.tenants, (std::vector<std::string>{"acme", "beta"}));
  EXPECT_THROW(users.create_user("ada@example.com", "long enough", {"acme"}, "admin"), std::invalid_argument);
  EXPECT_THROW(users.create_user("x@example.com", "short", {"acme"}, "admin"), std::invalid_argument);
  EXPECT_THROW(users.create_user("x@example.com", "long enough", {"acme"}, "root"), std::invalid_argument);
  EXPECT_THROW(users.create_user("no-at-sign", "long enough", {"acme"}, "admin"), std::invalid_argument);
  EXPECT_THROW(users.create_user("x@example.com", "long enough", {"bad tenant"}, "admin"), std::invalid_argument);

  std::string first, second;
  store.write([&](lmdb::Txn& txn) {
    first = users.create_session(txn, ada, "acme", 1'000, 500);
    second = users.create_session(txn, ada, "beta", 1'000, 5'000);
  });
  {
    auto r = store.read();
    auto s = users.find_session(r.txn(), first, 1'499);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->tenant, "acme");
    EXPECT_EQ(s->user_id, ada.id);
    EXPECT_EQ(s->csrf.size(), 48u);
    EXPECT_FALSE(users.find_session(r.txn(), first, 1'500)) << "expired at its end";
    EXPECT_FALSE(users.find_session(r.txn(), first + "x", 1'000));
    EXPECT_EQ(users.sessions_of(r.txn(), ada.id).size(), 2u);
  }
  store.write([&](lmdb::Txn& txn) {
    EXPECT_EQ(users.purge_expired(txn, 2'000), 1u);
    EXPECT_TRUE(users.set_session_tenant(txn, second, "acme"));
    EXPECT_FALSE(users.set_session_tenant(txn, first, "acme"));
  });
  {
    auto r = store.read();
    EXPECT_EQ(users.find_session(r.txn(), second, 2'000)->tenant, "acme");
  }
  EXPECT_EQ(users.revoke_sessions("ADA@example.com"), 1u);
  EXPECT_TRUE(users.set_password("ada@example.com", "another long one"));
  EXPECT_TRUE(users.delete_user("ada@example.com"));
  EXPECT_FALSE(users.delete_user("ada@example.com"));
  EXPECT_TRUE(users.list_users().empty());
}

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
