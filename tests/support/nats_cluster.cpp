#include "tests/support/nats_cluster.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "cluster/nats.h"
#include "tests/support/server_process.h"

namespace eventsd::test {

namespace {

std::string find_nats_server() {
  if (::access("/usr/sbin/nats-server", X_OK) == 0) return "/usr/sbin/nats-server";
  if (const char* path = std::getenv("PATH")) {
    std::stringstream dirs(path);
    for (std::string d; std::getline(dirs, d, ':');) {
      const auto candidate = std::filesystem::path(d) / "nats-server";
      if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
  }
  throw std::runtime_error("nats-server not found (tools/setup.sh installs Debian's nats-server)");
}

// `count` distinct free loopback ports: all bound at once (so none is handed out twice), then
// released for the servers to take.
// The first port the kernel hands out to outgoing connections (ip_local_port_range).
int first_ephemeral_port() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 32768;
  in >> low;
  return low;
}

// `count` ports free now, below the kernel's ephemeral range: a server that is killed and
// started again must find its ports free, and a port of the ephemeral range may meanwhile be
// taken by any client's outgoing connection.
std::vector<std::uint16_t> free_ports(int count) {
  const int high = std::min(first_ephemeral_port(), 65536) - 1;
  const int low = std::min(10'000, high - 1000);
  std::random_device seed;
  std::mt19937 rng(seed());
  std::uniform_int_distribution<int> pick(low, high);
  std::vector<int> fds;
  std::vector<std::uint16_t> ports;
  for (int tries = 0; static_cast<int>(ports.size()) < count; ++tries) {
    if (tries == 1000) {
      for (int f : fds) ::close(f);
      throw std::runtime_error("cannot find a free port");
    }
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error("socket failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(pick(rng)));
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd);
      continue;
    }
    fds.push_back(fd);  // held until every port is chosen: no port twice
    ports.push_back(ntohs(addr.sin_port));
  }
  for (int f : fds) ::close(f);
  return ports;
}

}  // namespace

NatsCluster::NatsCluster(int servers, std::optional<SecuredNats> secured)
    : binary_(find_nats_server()), secured_(std::move(secured)) {
  if (servers != 1 && servers != 3) throw std::invalid_argument("NatsCluster: 1 or 3 servers");
  const auto ports = free_ports(2 * servers);
  servers_.resize(static_cast<std::size_t>(servers));
  for (int i = 0; i < servers; ++i) {
    auto& s = servers_[static_cast<std::size_t>(i)];
    s.client_port = ports[static_cast<std::size_t>(2 * i)];
    s.cluster_port = ports[static_cast<std::size_t>(2 * i + 1)];
    s.config = dir_.path() / (name(i) + ".conf");
    std::filesystem::create_directories(dir_.path() / name(i));
  }
  for (int i = 0; i < servers; ++i) {
    write_config(i);
    launch(i);
  }
  for (int i = 0; i < servers; ++i) wait_ready(i);
  wait_placement();
}

NatsCluster::~NatsCluster() {
  for (int i = 0; i < size(); ++i) {
    if (running(i)) kill(i);
  }
}

std::vector<std::string> NatsCluster::urls() const {
  std::vector<std::string> all;
  for (int i = 0; i < size(); ++i) all.push_back(url(i));
  return all;
}

std::string NatsCluster::url(int i) const {
  return std::string(secured_ ? "tls" : "nats") + "://127.0.0.1:" +
         std::to_string(servers_.at(static_cast<std::size_t>(i)).client_port);
}

nats::Security NatsCluster::client_security() const { return secured_ ? secured_->client : nats::Security{}; }

std::vector<std::string> NatsCluster::client_flags() const {
  const nats::Security s = client_security();
  std::vector<std::string> flags;
  auto add = [&flags](const char* flag, const std::string& file) {
    if (!file.empty()) flags.insert(flags.end(), {flag, file});
  };
  add("--nats-creds", s.creds_file);
  add("--nats-user-file", s.user_file);
  add("--nats-nkey-seed", s.nkey_seed_file);
  add("--nats-ca", s.ca_file);
  add("--nats-cert", s.cert_file);
  add("--nats-key", s.key_file);
  return flags;
}

std::filesystem::path NatsCluster::log_file(int i) const { return dir_.path() / (name(i) + ".log"); }

void NatsCluster::write_config(int i) const {
  const auto& s = servers_.at(static_cast<std::size_t>(i));
  std::ofstream out(s.config);
  out << "server_name: " << name(i) << "\n"
      << "listen: 127.0.0.1:" << s.client_port << "\n"
      << "max_payload: 8MB\n"
      << "logfile: \"" << log_file(i).string() << "\"\n"
      << "jetstream {\n  store_dir: \"" << (dir_.path() / name(i)).string() << "\"\n}\n";
  // TLS both ways, for clients and for routes (a handshake may take a while on a loaded machine).
  std::string tls;
  if (secured_) {
    tls = "tls {\n  cert_file: \"" + secured_->cert.string() + "\"\n  key_file: \"" + secured_->key.string() +
          "\"\n  ca_file: \"" + secured_->ca.string() + "\"\n  verify: true\n  timeout: 5\n}\n";
    out << tls << secured_->accounts << "\n";
  }
  if (size() > 1) {
    out << "cluster {\n  name: eventsd-test\n  listen: 127.0.0.1:" << s.cluster_port << "\n"
        << tls << "  routes: [\n";
    for (int j = 0; j < size(); ++j) {
      if (j == i) continue;
      out << "    nats-route://127.0.0.1:" << servers_.at(static_cast<std::size_t>(j)).cluster_port << "\n";
    }
    out << "  ]\n}\n";
  }
  if (!out) throw std::runtime_error("cannot write " + s.config.string());
}

void NatsCluster::launch(int i) {
  auto& s = servers_.at(static_cast<std::size_t>(i));
  if (s.pid > 0) throw std::logic_error("nats-server " + name(i) + " is running");
  s.pid = spawn_process({binary_, "-c", s.config.string()});
}

void NatsCluster::kill(int i) { end(i, SIGKILL); }

void NatsCluster::stop(int i) { end(i, SIGTERM); }

void NatsCluster::end(int i, int signal) {
  auto& s = servers_.at(static_cast<std::size_t>(i));
  if (s.pid <= 0) return;
  ::kill(s.pid, signal);
  wait_process(s.pid);
  s.pid = -1;
}

void NatsCluster::start(int i) {
  launch(i);
  wait_ready(i);
}

void NatsCluster::start_all() {
  for (int i = 0; i < size(); ++i) {
    if (!running(i)) launch(i);
  }
  for (int i = 0; i < size(); ++i) wait_ready(i);
  wait_placement();
}

void NatsCluster::wait_ready(int i, std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  std::string last = "not tried";
  for (;;) {
    auto& s = servers_.at(static_cast<std::size_t>(i));
    if (s.pid <= 0) throw std::logic_error("nats-server " + name(i) + " is not running");
    int status = 0;
    if (::waitpid(s.pid, &status, WNOHANG) == s.pid) {
      s.pid = -1;
      throw std::runtime_error("nats-server " + name(i) + " exited (status " + std::to_string(status) +
                               "); see its log " + log_file(i).string());
    }
    try {
      nats::Connection probe({{url(i)}, "nats-cluster-probe", std::chrono::milliseconds(1'000), client_security()});
      const auto answer = probe.request("$JS.API.INFO", "", std::chrono::milliseconds(1'000));
      if (answer.data.find("\"error\"") == std::string::npos) return;
      last = answer.data;
    } catch (const nats::Error& e) {
      last = e.what();
    }
    if (std::chrono::steady_clock::now() >= until) {
      throw std::runtime_error("nats-server " + name(i) + " not ready: " + last + " (log: " +
                               log_file(i).string() + ")");
    }
    // Polling pace, not synchronisation: the loop ends on the server's answer.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void NatsCluster::wait_placement(std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  const std::string config = R"({"name":"PLACEMENT_PROBE","subjects":["placement.probe"],"storage":"memory",)"
                             R"("num_replicas":)" + std::to_string(size()) + "}";
  std::string last = "not tried";
  for (;;) {
    try {
      nats::Connection probe({urls(), "nats-cluster-probe", std::chrono::milliseconds(1'000), client_security()});
      const auto created = probe.request("$JS.API.STREAM.CREATE.PLACEMENT_PROBE", config, std::chrono::seconds(2));
      if (created.data.find("\"error\"") == std::string::npos) {
        probe.request("$JS.API.STREAM.DELETE.PLACEMENT_PROBE", "", std::chrono::seconds(2));
        return;
      }
      last = created.data;
    } catch (const nats::Error& e) {
      last = e.what();
    }
    if (std::chrono::steady_clock::now() >= until) {
      throw std::runtime_error("nats cluster cannot place a stream on every server: " + last);
    }
    // Polling pace, not synchronisation: the loop ends on the leader's answer.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace eventsd::test
