// What an operator sees of a running eventsd (docs/operations.md): --version of both programs,
// the build and process metrics on /metrics, under the names Prometheus' own client libraries
// use; and what others do not see (docs/security.md, "Files and metadata"): /healthz's positions
// without an operator's token, /metrics without the secret of --metrics-token-file, the data
// directory's files as another local user.
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "common/version.h"
#include "tests/support/e2e.h"

namespace eventsd {
namespace {

using test::E2E;
using test::HttpClient;
namespace fs = std::filesystem;

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

// Liveness for anyone (a load balancer, systemd); the positions, which span every tenant, for an
// operator's token only.
TEST_F(E2E, HealthShowsPositionsToOperatorsOnly) {
  ASSERT_EQ(client().post("/v1/events", R"({"event":"view"})").status, 201);
  auto anonymous = HttpClient(server_->port()).get("/healthz");
  EXPECT_EQ(anonymous.status, 200);
  EXPECT_EQ(anonymous.body, R"({"status":"ok"})");
  // Nor can a position be probed with min_position (it waits for a tenant's read models).
  EXPECT_EQ(HttpClient(server_->port()).get("/healthz?min_position=1").status, 400);
  // A token that is sent must be an operator's.
  auto tenant_admin = client().get("/healthz");
  EXPECT_EQ(tenant_admin.status, 403);
  EXPECT_NE(tenant_admin.body.find("operator scope"), std::string::npos) << tenant_admin.body;
  EXPECT_EQ(client("eds_0000000000000000000000000000000000000000000000000000000000000000").get("/healthz").status, 401);
  auto op = client(operator_token()).get("/healthz");
  ASSERT_EQ(op.status, 200);
  const auto health = op.json();
  EXPECT_EQ(health.at("status"), "ok");
  EXPECT_EQ(health.at("log_position"), 1);
  EXPECT_EQ(health.at("read_models"), "serving");
}

// eventsd --metrics-token-file: /metrics for the bearer of the file's secret only.
class MetricsToken : public E2E {
 protected:
  static constexpr const char* kSecret = "mEtr1cs-s3cret_0123456789abcdef";
  void SetUp() override {
    // As an operator writes it: with a trailing newline (Prometheus trims it too).
    std::ofstream(secret_dir_.path() / "metrics-token") << kSecret << "\n";
    E2E::SetUp();
  }
  std::vector<std::string> server_args() const override {
    return {"--metrics-token-file", (secret_dir_.path() / "metrics-token").string()};
  }
  test::TempDir secret_dir_;
};

TEST_F(MetricsToken, MetricsNeedTheFilesSecret) {
  for (const std::string& token : {std::string(), std::string(kSecret) + "x", std::string(kSecret).substr(1), token_,
                                   operator_token()}) {
    auto r = client(token).get("/metrics");
    EXPECT_EQ(r.status, 401) << token;
    EXPECT_EQ(r.header("WWW-Authenticate"), "Bearer");
    EXPECT_EQ(r.json().at("error").at("code"), "unauthorized");
  }
  auto r = client(kSecret).get("/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("eventsd_build_info"), std::string::npos);
  // Other routes know nothing of that secret.
  EXPECT_EQ(client(kSecret).get("/v1/events").status, 401);
}

TEST(MetricsTokenFile, AMissingOrWeakSecretIsAUsageError) {
  test::TempDir dir;
  std::ofstream(dir.path() / "weak") << "password\n";
  for (const auto& file : {dir.path() / "weak", dir.path() / "missing"}) {
    auto r = test::run_command({test::eventsd_binary(), "--data", (dir.path() / "data").string(), "--listen",
                                "127.0.0.1:0", "--metrics-token-file", file.string()});
    EXPECT_EQ(r.status, 2) << file;
  }
}

// Every directory under `dir` (itself included) and every file: their modes, by path.
std::map<std::string, fs::perms> modes(const fs::path& dir) {
  std::map<std::string, fs::perms> out{{".", fs::status(dir).permissions()}};
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    out[fs::relative(e.path(), dir).string()] = e.symlink_status().permissions();
  }
  return out;
}

// The data directory holds the log, password hashes and hashes of tokens: no other local user
// may read them. A directory that was open to others is closed at start (with a warning); what
// eventsd and eventctl create is the user's alone, whatever the umask they were started with
// (this test's is the usual 022).
TEST(DataDirectory, IsTheUsersAlone) {
  const mode_t umask_was = ::umask(022);
  test::TempDir scratch;
  const fs::path data = scratch.path() / "data";
  // A directory an administrator made with the usual modes.
  fs::create_directory(data);
  fs::permissions(data, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                            fs::perms::others_read | fs::perms::others_exec);
  {
    test::ServerProcess server(data);
    HttpClient c(server.port(), test::create_token(data, "acme", test::kAllScopes));
    ASSERT_EQ(c.post("/v1/events", R"({"event":"view"})").status, 201);
    ASSERT_EQ(server.terminate(), 0);
  }
  // eventctl making a new directory.
  const fs::path fresh = scratch.path() / "fresh";
  test::create_token(fresh, "acme", "admin");
  ::umask(umask_was);

  for (const auto& dir : {data, fresh}) {
    const auto found = modes(dir);
    EXPECT_TRUE(found.count("log/data.mdb")) << dir;
    for (const auto& [path, mode] : found) {
      const bool is_dir = fs::is_directory(dir / path);
      EXPECT_EQ(mode, is_dir ? fs::perms::owner_all : fs::perms::owner_read | fs::perms::owner_write)
          << dir / path << " has mode " << std::oct << static_cast<unsigned>(mode);
    }
  }
  EXPECT_TRUE(modes(data).count("read/CURRENT"));
}

}  // namespace
}  // namespace eventsd
