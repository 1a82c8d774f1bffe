// The cluster key of the tests (cluster/seal.h): one secret for every node and tool a test
// starts, as a ClusterKey for objects made in the test process and as a key file (mode 0600) for
// eventsd and eventctl processes (--cluster-key-file).
#pragma once

#include <string>

#include "cluster/seal.h"

namespace eventsd::test {

// Made once per test process; thread-safe.
const ClusterKey& cluster_key();
const std::string& cluster_key_file();

}  // namespace eventsd::test
