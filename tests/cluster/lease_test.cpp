// The lease codec (cluster/lease.h): the keys and values of the bucket eventsd_owners, which nodes
// of different versions must read alike.
#include "cluster/lease.h"

#include <gtest/gtest.h>

namespace eventsd {
namespace {

TEST(Lease, KeysAndValuesAsStored) {
  EXPECT_EQ(lease_key(0), "s0");
  EXPECT_EQ(lease_key(1023), "s1023");
  EXPECT_EQ(lease_value("node-a", 7), "node-a 7");
  EXPECT_EQ(lease_value(kGivenBack, 12), "- 12");
  EXPECT_EQ(lease_value("n", 18446744073709551615ULL), "n 18446744073709551615");
}

TEST(Lease, ParsesWhatItWrites) {
  EXPECT_EQ(parse_lease("node-a 7"), (Lease{"node-a", 7}));
  EXPECT_EQ(parse_lease("- 12"), (Lease{"-", 12}));
  EXPECT_EQ(parse_lease(lease_value("node_B-2", 1)), (Lease{"node_B-2", 1}));
}

TEST(Lease, AnythingElseIsHeldByNobodyKnownAtEpochZero) {
  for (const char* value : {"", "node-a", "node-a ", "node-a x", "node-a -1", "node-a 7 8", "node-a 99999999999999999999"})
    EXPECT_EQ(parse_lease(value), Lease{}) << '"' << value << '"';
}

}  // namespace
}  // namespace eventsd
