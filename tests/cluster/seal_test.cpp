// The cluster key's seals (cluster/seal.h): what opens, what does not, the time window and the
// replay guard, on a ManualClock.
#include "cluster/seal.h"

#include <gtest/gtest.h>
#include <openssl/hmac.h>
#include <sys/stat.h>

#include <fstream>
#include <variant>

#include "common/encoding.h"
#include "common/hash.h"
#include "tests/support/manual_clock.h"
#include "tests/support/temp_dir.h"

namespace eventsd {
namespace {

constexpr std::string_view kSecret = "a cluster key of thirty-two bytes or more";

bool opens(const ClusterKey& key, std::string_view context, const std::string& seal,
           std::initializer_list<std::string_view> parts) {
  return std::holds_alternative<SealInfo>(key.open(context, seal, parts));
}

TEST(Seal, OpensOnlyForTheSameKeyContextAndBytes) {
  test::ManualClock clock;
  const ClusterKey key(kSecret, clock);
  const std::string seal = key.seal("system#7", "node-a", {"body"});
  const auto opened = key.open("system#7", seal, {"body"});
  ASSERT_TRUE(std::holds_alternative<SealInfo>(opened));
  EXPECT_EQ(std::get<SealInfo>(opened).node, "node-a");
  EXPECT_EQ(std::get<SealInfo>(opened).at, clock.now_millis());

  EXPECT_EQ(std::get<Refusal>(key.open("system#8", seal, {"body"})), Refusal::bad_seal);
  EXPECT_EQ(std::get<Refusal>(key.open("system#7", seal, {"bodY"})), Refusal::bad_seal);
  // Parts are framed: moving a byte from one part to the next is another message.
  const std::string two = key.seal("c", "node-a", {"ab", "c"});
  EXPECT_FALSE(opens(key, "c", two, {"a", "bc"}));
  EXPECT_FALSE(opens(key, "c", two, {"abc"}));
  const ClusterKey other("another cluster's key, also long enough", clock);
  EXPECT_EQ(std::get<Refusal>(other.open("system#7", seal, {"body"})), Refusal::bad_seal);
  // Another node's name or time in the text breaks the MAC.
  std::string renamed = seal;
  renamed.replace(renamed.find("node-a"), 6, "node-b");
  EXPECT_EQ(std::get<Refusal>(key.open("system#7", renamed, {"body"})), Refusal::bad_seal);

  for (const std::string& bad : {std::string(), std::string("v1"), std::string("v2 node-a 1 AAAA"),
                                std::string("v1 node a 1 AAAA"), std::string("v1 node-a -1 AAAA"),
                                std::string("v1 node-a 1 !!!"), seal + " extra", std::string(300, 'v')}) {
    EXPECT_EQ(std::get<Refusal>(key.open("system#7", bad, {"body"})), Refusal::malformed) << bad;
  }
}

// The MAC is HMAC-SHA-256 under SHA-256(secret) of the framed input cluster/seal.h describes, as
// OpenSSL's HMAC computes it.
TEST(Seal, TheMacIsHmacSha256OfTheFramedInput) {
  test::ManualClock clock;
  const ClusterKey key(kSecret, clock);
  auto framed = [](std::string& out, std::string_view bytes) {
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((bytes.size() >> (8 * i)) & 0xff));
    out.append(bytes);
  };
  auto be64 = [](std::string& out, std::uint64_t v) {
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  std::string input;
  framed(input, "eventsd-seal-v1");
  framed(input, "kv/b/k");
  framed(input, "node-a");
  be64(input, 1234);
  be64(input, 2);
  framed(input, "one");
  framed(input, "");
  const Sha256 k = sha256(kSecret);
  unsigned char mac[32];
  unsigned int length = 0;
  HMAC(EVP_sha256(), k.data(), static_cast<int>(k.size()), reinterpret_cast<const unsigned char*>(input.data()),
       input.size(), mac, &length);
  ASSERT_EQ(length, 32u);
  EXPECT_EQ(key.seal_at("kv/b/k", "node-a", 1234, {"one", ""}),
            "v1 node-a 1234 " + to_base64url(std::string_view(reinterpret_cast<const char*>(mac), 32)));
}

TEST(Seal, FreshWithinTheWindowOnEitherSide) {
  test::ManualClock clock;
  ClusterKey key(kSecret, clock);
  key.set_window(std::chrono::seconds(60));
  const std::int64_t now = clock.now_millis();
  EXPECT_TRUE(key.fresh(now - 60'000, now));
  EXPECT_TRUE(key.fresh(now + 60'000, now));
  EXPECT_FALSE(key.fresh(now - 60'001, now));
  EXPECT_FALSE(key.fresh(now + 60'001, now));
}

TEST(Seal, TheReplayGuardServesASealOnceForTwoWindowsAndIsBounded) {
  test::ManualClock clock;
  ClusterKey key(kSecret, clock);
  key.set_window(std::chrono::seconds(10));
  ReplayGuard guard(key, 2);
  EXPECT_TRUE(guard.first_time("s1"));
  EXPECT_FALSE(guard.first_time("s1"));
  EXPECT_TRUE(guard.first_time("s2"));
  EXPECT_FALSE(guard.first_time("s3"));  // full: refused, not an older one forgotten
  clock.advance(std::chrono::seconds(20) - std::chrono::milliseconds(1));
  EXPECT_FALSE(guard.first_time("s1"));
  clock.advance(std::chrono::milliseconds(1));
  EXPECT_TRUE(guard.first_time("s3"));  // s1 and s2 are forgotten two windows on
  EXPECT_TRUE(guard.first_time("s1"));
}

TEST(Seal, TheKeyFileIsTheOwnersAloneAndLongEnough) {
  test::TempDir dir;
  const auto path = dir.path() / "cluster.key";
  auto write = [&](std::string_view content, mode_t mode) {
    std::ofstream(path, std::ios::trunc) << content;
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
  };
  write(std::string(kSecret) + "\n", 0600);
  const ClusterKey from_file = ClusterKey::from_file(path, system_clock());
  const ClusterKey direct(kSecret, system_clock());
  EXPECT_TRUE(opens(direct, "c", from_file.seal("c", "node-a", {"x"}), {"x"}));  // whitespace trimmed

  write(kSecret, 0640);
  EXPECT_THROW(ClusterKey::from_file(path, system_clock()), std::runtime_error);
  write("  too short  \n", 0600);
  EXPECT_THROW(ClusterKey::from_file(path, system_clock()), std::runtime_error);
  EXPECT_THROW(ClusterKey::from_file(dir.path() / "missing", system_clock()), std::runtime_error);
  EXPECT_THROW(ClusterKey("short", system_clock()), std::invalid_argument);
}

}  // namespace
}  // namespace eventsd
