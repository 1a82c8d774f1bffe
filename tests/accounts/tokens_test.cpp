// API tokens and publishable keys with their origins (accounts/tokens.h).
#include <gtest/gtest.h>

#include <cmath>

#include "accounts/tokens.h"
#include "eventlog/store.h"
#include "tests/support/temp_dir.h"

namespace eventsd {
namespace {

TEST(Tokens, CreateFindRevoke) {
  test::TempDir dir;
  Store store(dir.path());
  TokenStore tokens(store);
  const auto secret = tokens.create("acme", {"events:read", "admin"});
  {
    auto reader = store.read();
    auto info = tokens.find(reader.txn(), secret);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->tenant, "acme");
    EXPECT_TRUE(info->has_scope("admin"));
    EXPECT_FALSE(info->has_scope("events:write"));
    EXPECT_FALSE(tokens.find(reader.txn(), secret + "x"));
  }
  auto listed = tokens.list();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_TRUE(tokens.revoke(listed[0].id));
  EXPECT_FALSE(tokens.revoke(listed[0].id));
  auto reader = store.read();
  EXPECT_FALSE(tokens.find(reader.txn(), secret));
}

TEST(Tokens, RejectBadTenantsAndScopes) {
  test::TempDir dir;
  Store store(dir.path());
  TokenStore tokens(store);
  EXPECT_THROW(tokens.create("", {"admin"}), std::invalid_argument);
  EXPECT_THROW(tokens.create("has space", {"admin"}), std::invalid_argument);
  EXPECT_THROW(tokens.create("acme", {"root"}), std::invalid_argument);
  EXPECT_THROW(tokens.create("acme", {}), std::invalid_argument);
}

// The operator scope is not a tenant's: no tenant token can be made with it (POST /v1/tokens
// and eventctl token create --scopes both go through create()), and an operator's token
// belongs to no tenant.
TEST(Tokens, OperatorTokensHaveNoTenantAndTenantTokensNoOperatorScope) {
  test::TempDir dir;
  Store store(dir.path());
  TokenStore tokens(store);
  EXPECT_FALSE(is_known_scope(kOperatorScope));
  EXPECT_THROW(tokens.create("acme", {"admin", std::string(kOperatorScope)}), std::invalid_argument);
  EXPECT_THROW(tokens.import("acme", {std::string(kOperatorScope)}, "k3y-0123456789abcdefghijklmn"),
               std::invalid_argument);
  const auto secret = tokens.create_operator();
  const auto admin = tokens.create("acme", {"admin"});
  auto reader = store.read();
  auto info = tokens.find(reader.txn(), secret);
  ASSERT_TRUE(info);
  EXPECT_TRUE(info->is_operator());
  EXPECT_EQ(info->tenant, "");
  EXPECT_EQ(info->scopes, std::vector<std::string>{"operator"});
  EXPECT_FALSE(info->has_scope("admin"));
  ASSERT_TRUE(tokens.find(reader.txn(), admin));
  EXPECT_FALSE(tokens.find(reader.txn(), admin)->is_operator());
}

TEST(Origins, Normalized) {
  EXPECT_EQ(normalize_origin("https://Shop.Example"), "https://shop.example");
  EXPECT_EQ(normalize_origin("https://shop.example:443"), "https://shop.example");
  EXPECT_EQ(normalize_origin("http://shop.example:80"), "http://shop.example");
  EXPECT_EQ(normalize_origin("http://localhost:3000"), "http://localhost:3000");
  EXPECT_EQ(normalize_origin("https://shop.example:8443"), "https://shop.example:8443");
  EXPECT_EQ(normalize_origin("http://[::1]:8080"), "http://[::1]:8080");
  EXPECT_EQ(normalize_origin("HTTP://127.0.0.1:80"), "http://127.0.0.1");
  for (const char* bad : {"", "null", "shop.example", "ftp://shop.example", "https://", "https://shop.example/",
                          "https://shop.example/path", "https://user@shop.example", "https://shop.example:",
                          "https://shop.example:99999", "https://shop.example:80a", "https://sh op.example",
                          "https://shop.example?x", "https://[::1", "https://shop.example#x",
                          "https://sh\top.example", "http://[::1\x1b]", "http://[::1]\n", "https://[v1.x]",
                          "https://sh%6Fp.example"}) {
    EXPECT_FALSE(normalize_origin(bad)) << bad;
  }
}

// An origin is shown to operators (eventctl token list, GET /v1/tokens): nothing of it, inside
// IPv6 brackets included, may be a control character.
TEST(Origins, NothingInsideTheBracketsButAnAddress) {
  EXPECT_EQ(normalize_origin("http://[::FFFF:192.0.2.1]"), "http://[::ffff:192.0.2.1]");
  EXPECT_EQ(normalize_origin("https://[2001:DB8::1]:8443"), "https://[2001:db8::1]:8443");
  for (const char* bad : {"http://[\x1b[31m]", "http://[::1\t\n]", "http://[\x1b]", "http://[::1\xC2\x9B]",
                          "http://[::1\xE2\x80\xAE]", "http://[fe80::1%25\x1b]", "http://[fe80::1%25eth0]",
                          "http://[v1.\x1b]", "http://[]", "http://[::1]\x7f"}) {
    EXPECT_FALSE(normalize_origin(bad)) << bad;
  }
  for (const char* ok : {"http://[::1]", "https://Shop.Example:8443", "http://192.0.2.1:81"}) {
    const auto origin = normalize_origin(ok);
    ASSERT_TRUE(origin) << ok;
    for (char c : *origin) EXPECT_TRUE(c > 0x20 && c < 0x7F) << *origin;
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

// What the API and eventctl refuse alike, each naming its field (docs/api.md "Tokens over the API").
TEST(PublishableKeys, EveryParameterWithinItsBounds) {
  test::TempDir dir;
  Store store(dir.path());
  TokenStore tokens(store);
  auto field_of = [&](const PublishableSpec& spec, const std::string& tenant = "acme") -> std::string {
    try {
      tokens.create_publishable(tenant, spec);
      return "";
    } catch (const InvalidTokenField& e) {
      return e.field;
    }
  };
  const std::vector<std::string> site{"https://a.example"};
  EXPECT_EQ(field_of({site, 1e6, 0}), "rate");
  EXPECT_EQ(field_of({site, 0, 1e-9}), "address_rate");
  EXPECT_EQ(field_of({site, 0.09, 0}), "rate");
  EXPECT_EQ(field_of({site, std::nan(""), 0}), "rate");
  EXPECT_EQ(field_of({site, 0, -1}), "address_rate");
  EXPECT_EQ(field_of({std::vector<std::string>(101, "https://a.example"), 0, 0}), "origins");
  EXPECT_EQ(field_of({{"https://" + std::string(250, 'a') + ".example"}, 0, 0}), "origins");
  EXPECT_EQ(field_of({site, 0, 0}, "no spaces"), "tenant");
  EXPECT_EQ(field_of({site, 0.1, 10'000}), "") << "the bounds themselves are allowed";
  EXPECT_EQ(field_of({std::vector<std::string>(100, "https://a.example"), 0, 0}), "");
  try {
    tokens.create("acme", {"admin", "admin", "admin", "admin", "admin"});
    ADD_FAILURE() << "five scopes taken";
  } catch (const InvalidTokenField& e) {
    EXPECT_EQ(e.field, "scopes");
  }
  const auto twice = tokens.create("acme", {"admin", "admin"});
  auto reader = store.read();
  EXPECT_EQ(tokens.find(reader.txn(), twice)->scopes, std::vector<std::string>{"admin"}) << "a scope given twice is one";
}

}  // namespace
}  // namespace eventsd
