// Password hashes checked in memory of the thread's own (accounts/passwords.h): every hash
// libsodium writes is checked as libsodium checks it, and anything else is refused.
#include <gtest/gtest.h>

#include <sodium.h>

#include <string>
#include <thread>
#include <vector>

#include "accounts/passwords.h"

namespace eventsd {
namespace {

// A hash of `password` as libsodium's crypto_pwhash_str_alg writes it, at a small cost.
std::string sodium_hash(const std::string& password, int alg, unsigned long long ops, std::size_t mem) {
  EXPECT_GE(sodium_init(), 0);
  char out[crypto_pwhash_STRBYTES];
  EXPECT_EQ(crypto_pwhash_str_alg(out, password.data(), password.size(), ops, mem, alg), 0);
  return out;
}

TEST(Passwords, WhatLibsodiumWritesIsCheckedAsLibsodiumChecksIt) {
  const auto ours = hash_password("correct horse");
  EXPECT_EQ(crypto_pwhash_str_verify(ours.c_str(), "correct horse", 13), 0);
  EXPECT_TRUE(verify_password(ours, "correct horse"));
  for (int alg : {crypto_pwhash_ALG_ARGON2ID13, crypto_pwhash_ALG_ARGON2I13}) {
    const auto h = sodium_hash("battery staple", alg, 3, 1 << 16);
    EXPECT_TRUE(verify_password(h, "battery staple")) << h;
    EXPECT_FALSE(verify_password(h, "battery stapl")) << h;
    EXPECT_FALSE(verify_password(h, "")) << h;
  }
  // A bigger memory cost after a smaller one (the thread's memory grows), and back.
  EXPECT_TRUE(verify_password(sodium_hash("x", crypto_pwhash_ALG_ARGON2ID13, 1, 1 << 20), "x"));
  EXPECT_TRUE(verify_password(sodium_hash("y", crypto_pwhash_ALG_ARGON2ID13, 1, 1 << 16), "y"));
}

TEST(Passwords, AnythingButAWellFormedHashIsRefused) {
  const auto good = sodium_hash("pw", crypto_pwhash_ALG_ARGON2ID13, 2, 1 << 16);  // m=64
  ASSERT_TRUE(verify_password(good, "pw"));
  auto with = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  for (const std::string& bad : {
           with("$argon2id$", "$argon2d$"), with("v=19", "v=16"), with("m=64", "m=65"), with("t=2", "t=3"),
           with("t=2", "t=0"), with("p=1", "p=0"), with("m=64", "m=9999999999"), with("m=64", "m=8388608"),
           with("m=64,", "m=64,,"), good + "$", good + "A", good.substr(0, good.size() - 1), good.substr(0, 20),
           std::string("$argon2id$v=19$m=64,t=2,p=1$$"), std::string(""), std::string("not a hash")}) {
    EXPECT_FALSE(verify_password(bad, "pw")) << bad;
  }
}

TEST(Passwords, CheckedOnManyThreadsAtOnce) {
  const auto h = sodium_hash("pw", crypto_pwhash_ALG_ARGON2ID13, 1, 1 << 18);
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 3; ++i) ok[t] += verify_password(h, "pw") && !verify_password(h, "wrong") ? 1 : 0;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, std::vector<int>(4, 3));
}

}  // namespace
}  // namespace eventsd
