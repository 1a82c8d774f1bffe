// Slots for event streams (http/api/stream_slots.h): a global cap and a share per tenant.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "http/api/stream_slots.h"

namespace eventsd {
namespace {

TEST(StreamSlots, ConcurrentTakersNeverExceedEitherCap) {
  std::atomic<std::int64_t> gauge{0};
  http::StreamSlots slots(&gauge);
  std::atomic<int> held{0}, most{0}, most_a{0};
  std::atomic<int> held_a{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      const std::string tenant = t % 2 ? "a" : "b";
      for (int i = 0; i < 20'000; ++i) {
        auto taken = slots.take(tenant, 5, 3);
        if (!taken.slot) continue;
        const int now = ++held;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {}
        if (tenant == "a") {
          const int mine = ++held_a;
          int seen_a = most_a.load();
          while (mine > seen_a && !most_a.compare_exchange_weak(seen_a, mine)) {}
          --held_a;
        }
        --held;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(most.load(), 5);
  EXPECT_LE(most_a.load(), 3);
  EXPECT_GE(most.load(), 1);
  EXPECT_EQ(slots.open(), 0u);
  EXPECT_EQ(gauge.load(), 0);
  auto a1 = slots.take("a", 5, 1);
  ASSERT_TRUE(a1.slot);
  auto a2 = slots.take("a", 5, 1);
  EXPECT_FALSE(a2.slot);
  EXPECT_EQ(a2.refusal, http::StreamSlots::Refusal::tenant);
  EXPECT_EQ(slots.open("a"), 1u);
  EXPECT_EQ(gauge.load(), 1);
}

}  // namespace
}  // namespace eventsd
