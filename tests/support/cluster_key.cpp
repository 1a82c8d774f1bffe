#include "tests/support/cluster_key.h"

#include <sys/stat.h>

#include <fstream>
#include <stdexcept>

#include "tests/support/temp_dir.h"

namespace eventsd::test {

namespace {

constexpr const char* kSecret = "eventsd tests' cluster key: 32 bytes and more";

}  // namespace

const ClusterKey& cluster_key() {
  static const ClusterKey key(kSecret, system_clock());
  return key;
}

const std::string& cluster_key_file() {
  static const TempDir dir;
  static const std::string path = [] {
    const std::string p = (dir.path() / "cluster.key").string();
    std::ofstream(p) << kSecret << "\n";
    if (::chmod(p.c_str(), 0600) != 0) throw std::runtime_error("cannot chmod the test cluster key file");
    return p;
  }();
  return path;
}

}  // namespace eventsd::test
