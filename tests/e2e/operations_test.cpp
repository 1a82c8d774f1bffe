// What an operator sees of a running eventsd (docs/operations.md): --version of both programs,
// and the build and process metrics on /metrics, under the names Prometheus' own client
// libraries use.
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <regex>
#include <sstream>

#include "common/version.h"
#include "tests/support/e2e.h"

namespace eventsd {
namespace {

using test::E2E;

TEST(Version, BothProgramsSayTheirVersionAndRevision) {
  const std::string want = std::string(version()) + " (revision " + std::string(revision()) + ")\n";
  for (const auto& [program, binary] : {std::pair{"eventsd", test::eventsd_binary()}, {"eventctl", test::eventctl_binary()}}) {
    auto r = test::run_command({binary, "--version"});
    EXPECT_EQ(r.status, 0) << program;
    EXPECT_EQ(r.out, std::string(program) + " " + want);
  }
  EXPECT_TRUE(std::regex_match(std::string(version()), std::regex(R"(\d+\.\d+\.\d+)")));
  // From a git checkout: 12 hex digits (and -dirty when the tree had changes); else "unknown".
  EXPECT_TRUE(std::regex_match(std::string(revision()), std::regex(R"([0-9a-f]{12}(-dirty)?|unknown)")));
}

// name{labels} -> value, for every sample line.
std::map<std::string, double> samples(const std::string& exposition) {
  std::map<std::string, double> out;
  std::istringstream in(exposition);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

TEST_F(E2E, MetricsShowTheBuildAndTheProcess) {
  const double before = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  auto r = client().get("/metrics");
  ASSERT_EQ(r.status, 200);
  const auto m = samples(r.body);
  const std::string build = "eventsd_build_info{version=\"" + std::string(version()) + "\",revision=\"" +
                            std::string(revision()) + "\"}";
  ASSERT_TRUE(m.count(build)) << r.body;
  EXPECT_EQ(m.at(build), 1);
  for (const char* name : {"process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes",
                           "process_open_fds", "process_max_fds", "process_start_time_seconds",
                           "process_virtual_memory_max_bytes"}) {
    EXPECT_TRUE(m.count(name)) << name << " missing";
    EXPECT_NE(r.body.find(std::string("# TYPE ") + name + " "), std::string::npos) << name;
  }
  EXPECT_GT(m.at("process_resident_memory_bytes"), 1 << 20);
  EXPECT_GE(m.at("process_virtual_memory_bytes"), m.at("process_resident_memory_bytes"));
  EXPECT_GE(m.at("process_cpu_seconds_total"), 0);
  // The server holds at least its listening socket, this connection and the store's files, and
  // can hold no more than its limit (which it inherited from this test).
  EXPECT_GE(m.at("process_open_fds"), 3);
  rlimit limit{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  EXPECT_LE(m.at("process_open_fds"), m.at("process_max_fds"));
  EXPECT_LE(m.at("process_max_fds"), static_cast<double>(limit.rlim_max));
  // Started before this test asked, and not before the machine's clock says it could have: the
  // fixture started it moments ago (clock ticks are 10 ms).
  EXPECT_LE(m.at("process_start_time_seconds"), before + 1);
  EXPECT_GT(m.at("process_start_time_seconds"), before - 600);
}

}  // namespace
}  // namespace eventsd
