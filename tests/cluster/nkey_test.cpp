// NATS user nkeys (cluster/nkey.h): the public key of a seed, as NATS computes it, and new keys.
#include <gtest/gtest.h>

#include <stdexcept>

#include "cluster/nkey.h"

namespace eventsd::nats {
namespace {

// The example user of NATS' documentation (nkeys authentication).
constexpr const char* kSeed = "SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY";
constexpr const char* kPublic = "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4";

TEST(Nkey, APublicKeyIsDerivedFromItsSeedAsNatsDoes) { EXPECT_EQ(nkey_public_key(kSeed), kPublic); }

TEST(Nkey, ANewKeyIsAUsersAndItsSeedGivesItsPublicKey) {
  const UserNkey key = new_user_nkey();
  EXPECT_EQ(key.seed.size(), 58u);
  EXPECT_TRUE(key.seed.starts_with("SU")) << key.seed;
  EXPECT_EQ(key.public_key.size(), 56u);
  EXPECT_TRUE(key.public_key.starts_with("U")) << key.public_key;
  EXPECT_EQ(nkey_public_key(key.seed), key.public_key);
  EXPECT_NE(new_user_nkey().public_key, key.public_key);
}

TEST(Nkey, WhatIsNotAUsersSeedIsRefusedSayingWhy) {
  auto why = [](const std::string& text) -> std::string {
    try {
      nkey_public_key(text);
      return "accepted";
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
  };
  std::string bad_checksum = kSeed;
  bad_checksum[20] = bad_checksum[20] == 'A' ? 'B' : 'A';
  EXPECT_NE(why(bad_checksum).find("checksum"), std::string::npos) << why(bad_checksum);
  EXPECT_NE(why(kPublic).find("not an nkey seed"), std::string::npos) << why(kPublic);
  EXPECT_NE(why("SUACSSL3UAHUD0KF").find("base32"), std::string::npos);
  EXPECT_NE(why(std::string(kSeed) + "\r").find("base32"), std::string::npos);
  EXPECT_NE(why("").find("too short"), std::string::npos);
}

}  // namespace
}  // namespace eventsd::nats
