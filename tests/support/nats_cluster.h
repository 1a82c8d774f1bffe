// Real nats-server processes for tests of cluster mode: 1 or 3 servers with JetStream on
// loopback, clustered when 3 (cluster "eventsd-test", servers n0..n2, routes between all), each
// with its own store directory under one temporary directory and a generated configuration
// (max_payload 8MB). The server binary is Debian's /usr/sbin/nats-server, else the one in PATH.
// Open to anyone on loopback, or secured as docs/cluster.md's sample is (SecuredNats).
//
// Not thread-safe: use it from the test's main thread (servers are killed when the thread that
// started them ends).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cluster/nats.h"
#include "tests/support/temp_dir.h"

namespace eventsd::test {

// A cluster secured as docs/cluster.md ("Securing NATS") secures one: TLS for clients and for
// routes, each side verifying the other's certificate, and only the users `accounts` lists.
struct SecuredNats {
  // The servers' certificate (for clients and routes alike: it names 127.0.0.1, for serverAuth
  // and clientAuth) and the CA they verify clients' and each other's by.
  std::filesystem::path ca, cert, key;
  // Configuration text added to each server's: the accounts, their users and permissions.
  std::string accounts;
  // What the cluster's own probes connect with, and what client_security() and client_flags()
  // hand out.
  nats::Security client;
};

class NatsCluster {
 public:
  // Starts `servers` (1 or 3) and waits until every one is ready and streams of every server
  // can be placed (wait_ready, wait_placement).
  explicit NatsCluster(int servers = 3, std::optional<SecuredNats> secured = std::nullopt);
  // Kills every server (SIGKILL) and removes their directories.
  ~NatsCluster();
  NatsCluster(const NatsCluster&) = delete;
  NatsCluster& operator=(const NatsCluster&) = delete;

  int size() const { return static_cast<int>(servers_.size()); }
  // "nats://127.0.0.1:<port>" of every server, in order ("tls://" when secured).
  std::vector<std::string> urls() const;
  std::string url(int i) const;
  // What a client of a secured cluster connects with (SecuredNats::client; nothing when open),
  // and the same as eventsd's and eventctl's flags (--nats-ca FILE ...).
  nats::Security client_security() const;
  std::vector<std::string> client_flags() const;
  // The server's name, "n<i>" (what JetStream names a stream's leader by).
  static std::string name(int i) { return "n" + std::to_string(i); }
  bool running(int i) const { return servers_.at(i).pid > 0; }

  // SIGKILL, as a crash would (its store directory stays).
  void kill(int i);
  // SIGTERM, and waits until it has exited.
  void stop(int i);
  // Starts a stopped or killed server again on the same ports and store, and waits until it is
  // ready.
  void start(int i);
  // Starts every stopped server at once, then waits until each is ready and streams can be
  // placed (a clustered server alone cannot elect a JetStream leader: after all were stopped,
  // start them together).
  void start_all();
  // Polls until a client connected to server i alone gets an answer from JetStream with a
  // meta leader ($JS.API.INFO without an error); throws after `deadline`, or at once when the
  // server has exited (a bad configuration).
  void wait_ready(int i, std::chrono::milliseconds deadline = std::chrono::seconds(60));
  // Polls until the meta leader can place a stream on every server: a memory stream of one
  // replica per server is created and deleted again. A leader elected before every peer has
  // joined refuses such a stream ("no suitable peers for placement") for a while.
  void wait_placement(std::chrono::milliseconds deadline = std::chrono::seconds(60));

  // The server's log file (for a failing test's diagnostics).
  std::filesystem::path log_file(int i) const;

 private:
  struct Server {
    std::uint16_t client_port = 0;
    std::uint16_t cluster_port = 0;
    std::filesystem::path config;
    pid_t pid = -1;
  };
  void write_config(int i) const;
  void launch(int i);
  // Sends the running server i `signal` and waits until it has exited.
  void end(int i, int signal);

  TempDir dir_;
  std::string binary_;
  std::optional<SecuredNats> secured_;
  std::vector<Server> servers_;
};

}  // namespace eventsd::test
