// A fixture for tests that share one NATS cluster per test suite: three servers (nats_cluster.h)
// started before the suite's first test and killed after its last, for tests that leave the
// servers running as they found them (a test that stops one starts it again).
#pragma once

#include <gtest/gtest.h>

#include "tests/support/nats_cluster.h"

namespace eventsd::test {

class NatsSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cluster_ = new NatsCluster(3); }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }

  // The suite's cluster, between SetUpTestSuite and TearDownTestSuite.
  static inline NatsCluster* cluster_ = nullptr;
};

}  // namespace eventsd::test
