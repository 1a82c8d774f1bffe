// Console users and their sessions (accounts/users.h).
#include <gtest/gtest.h>

#include "accounts/users.h"
#include "eventlog/store.h"
#include "tests/support/temp_dir.h"

namespace eventsd {
namespace {

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

// E-mails are listed to operators (eventctl user list): no control character gets in.
TEST(Users, EmailsWithoutControlCharacters) {
  EXPECT_TRUE(is_valid_email("ada@example.com"));
  EXPECT_TRUE(is_valid_email("ad\xC3\xA9@example.com"));  // é
  for (const char* bad : {"ada@exa\x1bmple.com", "ada@example.com\nbob@example.com", "ada\t@example.com",
                          "ada@example.com\x7f", "ada@example.com\xC2\x85", "moc.elpmaxe\xE2\x80\xAE@ada",
                          "ada@\x9b" "example.com"}) {
    EXPECT_FALSE(is_valid_email(bad)) << bad;
  }
}

// A user leaves a tenant: sessions stay, the user's tenants are the new list.
TEST(Users, TenantsReplaced) {
  test::TempDir dir;
  Store store(dir.path());
  UserStore users(store);
  const auto ada = users.create_user("ada@example.com", "long enough", {"acme", "beta"}, "admin");
  std::string secret;
  store.write([&](lmdb::Txn& txn) { secret = users.create_session(txn, ada, "acme", 1'000, 5'000); });
  EXPECT_TRUE(users.set_tenants("ADA@example.com", {"beta", "gamma", "beta"}));
  EXPECT_FALSE(users.set_tenants("nobody@example.com", {"beta"}));
  EXPECT_THROW(users.set_tenants("ada@example.com", {}), std::invalid_argument);
  EXPECT_THROW(users.set_tenants("ada@example.com", {"bad tenant"}), std::invalid_argument);
  auto r = store.read();
  const auto user = users.find_user(r.txn(), "ada@example.com");
  ASSERT_TRUE(user);
  EXPECT_EQ(user->tenants, (std::vector<std::string>{"beta", "gamma"}));
  EXPECT_EQ(user->id, ada.id);
  EXPECT_EQ(user->password_hash, ada.password_hash);
  EXPECT_TRUE(users.find_session(r.txn(), secret, 1'000));
}

}  // namespace
}  // namespace eventsd
