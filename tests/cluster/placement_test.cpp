// Placement (cluster/placement.h): every node of every version must compute the same shard of a
// tenant and the same preferred node of a shard, so the values are pinned here.
#include "cluster/placement.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace eventsd {
namespace {

TEST(Placement, RendezvousWeightsNeverChange) {
  EXPECT_EQ(rendezvous_weight("node-a", 0), 0xaa363e025543c791ULL);
  EXPECT_EQ(rendezvous_weight("node-a", 1), 0x00c2e81af72e6293ULL);
  EXPECT_EQ(rendezvous_weight("node-a", 1023), 0x1149399ff7aae686ULL);
  EXPECT_EQ(rendezvous_weight("node-b", 3), 0xb699ac7d8d5df787ULL);
  EXPECT_EQ(rendezvous_weight("ghost", 3), 0x7c47db49a8998b0bULL);
  EXPECT_EQ(rendezvous_weight("n1", 70000), 0xc1b489180fed8d03ULL);
  static_assert(rendezvous_weight("node-a", 2) == 0xdcf5ef08e8a40868ULL);
}

TEST(Placement, ThePreferredNodeHasTheHighestWeight) {
  const std::vector<std::string> nodes{"ghost", "node-a", "node-b"};
  EXPECT_EQ(preferred_node(nodes, 0), "node-a");
  EXPECT_EQ(preferred_node(nodes, 1), "node-b");
  EXPECT_EQ(preferred_node(nodes, 3), "node-b");
  EXPECT_EQ(preferred_node({"ghost", "node-a"}, 3), "ghost");
  EXPECT_EQ(preferred_node({"node-a"}, 3), "node-a");
  EXPECT_EQ(preferred_node({}, 3), "");
  // The order the nodes are listed in does not matter.
  EXPECT_EQ(preferred_node({"node-b", "ghost", "node-a"}, 0), "node-a");
}

}  // namespace
}  // namespace eventsd
