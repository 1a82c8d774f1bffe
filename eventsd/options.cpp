#include "eventsd/options.h"

#include <boost/asio/ip/address.hpp>

#include <cstdint>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "accounts/tokens.h"
#include "cluster/cluster_node.h"
#include "cluster/nats_flags.h"
#include "cluster/placement.h"
#include "common/flags.h"
#include "common/version.h"
#include "http/api/auth.h"

namespace eventsd {

using flags::real;
using flags::whole;

namespace {

// HOST:PORT, HOST an IP address.
CLI::Validator listen_address() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        const auto colon = value.rfind(':');
        if (colon == std::string::npos) return "needs HOST:PORT (got '" + value + "')";
        boost::system::error_code ec;
        boost::asio::ip::make_address(value.substr(0, colon), ec);
        if (ec) return "needs an IP address before the port (got '" + value.substr(0, colon) + "')";
        std::string port = value.substr(colon + 1);
        return whole(0, 65535)(port).empty() ? std::string() : "port " + whole(0, 65535)(port);
      },
      "", "listen");
}

CLI::Validator node_name() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        return is_valid_node_name(value) ? std::string() : "needs 1-64 of A-Z a-z 0-9 _ - (got '" + value + "')";
      },
      "", "node");
}

CLI::Validator mount_spec() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        try {
          http::parse_mount(value);
          return {};
        } catch (const std::invalid_argument& e) {
          std::string why = e.what();
          if (why.starts_with("--mount: ")) why.erase(0, 9);
          return why;
        }
      },
      "", "mount");
}

// The secret in --metrics-token-file: the file's text without the blanks around it (Prometheus
// trims a credentials_file the same way); throws std::runtime_error for an unreadable file or a
// weak secret (is_strong_key).
std::string read_metrics_token(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (!in || !(text << in.rdbuf())) throw std::runtime_error("--metrics-token-file: cannot read " + path);
  std::string secret = text.str();
  const auto first = secret.find_first_not_of(" \t\r\n");
  secret = first == std::string::npos ? "" : secret.substr(first, secret.find_last_not_of(" \t\r\n") + 1 - first);
  if (!is_strong_key(secret)) {
    throw std::runtime_error("--metrics-token-file: " + path +
                             " must hold 24-256 characters of A-Z a-z 0-9 - . _ ~ + / with at least 10 different "
                             "ones (e.g. openssl rand -hex 32)");
  }
  return secret;
}

// CIDR[,CIDR...], each as http::TrustedProxies::add takes it.
CLI::Validator cidr_list() {
  return flags::list_of(
      [](const std::string& cidr) -> std::string {
        try {
          http::TrustedProxies().add(cidr);
          return {};
        } catch (const std::invalid_argument& e) {
          return e.what();
        }
      },
      "networks");
}

// 0 (off), or a rate the limiter keeps (http/api/rate_limit.h: waits of at most 10 s).
CLI::Validator limit_rate() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        if (std::string wrong = real(0, 1e6)(value); !wrong.empty()) return wrong;
        const double n = std::stod(value);
        if (n != 0 && n < http::TokenBuckets::kMinRate) return "must be 0 (off) or from 0.1 to 1000000 (got '" + value + "')";
        return {};
      },
      "", "rate");
}

}  // namespace

std::variant<Options, int> parse_options(int argc, char** argv) {
  Options o;
  auto& api = o.node.api;
  auto& server = o.server;
  CLI::App app("eventsd: engagement events service with the APIs of five products (docs/operations.md)",
               "eventsd");
  flags::configure(app, "eventsd " + std::string(version()) + " (revision " + std::string(revision()) + ")");

  std::string data, listen = "127.0.0.1:8080";
  std::uint64_t threads = 0, idle_ms = 30'000, read_ms = 30'000, retention_days = 180, retention_ms = 3'600'000;
  std::uint64_t map_size = 0, session_s = 43'200, max_connections = 10'000, max_streams = 1'000,
                max_streams_per_tenant = 100;
  double rate_limit = 0;
  std::vector<std::string> mounts;
  std::string metrics_token_file;
  bool console_http_loopback = false;
  app.add_option("--data", data, "data directory (created if missing)")->type_name("DIR")->required();
  app.add_option("--listen", listen, "IP address and port to serve on (default 127.0.0.1:8080; port 0 picks one)")
      ->type_name("HOST:PORT")->check(listen_address());
  app.add_option("--rate-limit", rate_limit, "requests per second per token, bursts of one second, 0.1-1000000 "
                                             "(default 0: off)")
      ->type_name("RPS")->check(limit_rate());
  std::string trusted_proxies;
  std::uint64_t login_threads = 0, login_queue = 32, tenant_buckets = 100'000, key_buckets = 10'000;
  app.add_option("--trusted-proxies", trusted_proxies,
                 "the proxies whose X-Forwarded-For names the client (IPv4 and IPv6 networks, or addresses); "
                 "from any other peer the peer is the client (default: none)")
      ->type_name("CIDR[,CIDR...]")->check(cidr_list());
  app.add_option("--login-threads", login_threads, "password checks at once, each on a worker thread with 64 MiB, "
                                                   "1-64 (default: one per four cores, at least one)")
      ->type_name("N")->check(whole(1, 64));
  app.add_option("--login-queue", login_queue, "logins waiting for a worker, 0-100000; beyond, 503 (default 32)")
      ->type_name("N")->check(whole(0, 100'000));
  app.add_option("--limiter-tenant-buckets", tenant_buckets,
                 "rate-limit buckets kept per tenant (and for logins), 1-100000000; past it the least recently used "
                 "is forgotten (default 100000)")
      ->type_name("N")->check(whole(1, 100'000'000));
  app.add_option("--limiter-key-buckets", key_buckets,
                 "of these, buckets kept per key (its client addresses) or per login address (its e-mails), "
                 "1-100000000 (default 10000)")
      ->type_name("N")->check(whole(1, 100'000'000));
  app.add_option("--campaign-retention-days", retention_days,
                 "campaign events older than N days are not served and are purged, 0-36500 (default 180; 0 "
                 "keeps them)")
      ->type_name("N")->check(whole(0, 36'500));
  app.add_option("--map-size", map_size,
                 "size of each LMDB memory map, 1048576-70368744177664 (default: the data volume's size; the "
                 "files grow as data does, the map only reserves address space)")
      ->type_name("BYTES")->check(whole(std::uint64_t{1} << 20, std::uint64_t{1} << 46));
  app.add_option("--retention-interval-ms", retention_ms,
                 "how often the campaign retention runs, 1000-2592000000 (default 3600000: hourly)")
      ->type_name("N")->check(whole(1'000, 2'592'000'000));
  app.add_option("--threads", threads, "I/O threads, 1-1024 (default: one per core)")->type_name("N")->check(whole(1, 1024));
  app.add_option("--idle-timeout-ms", idle_ms, "how long a connection may wait between requests, 100-3600000 "
                                               "(default 30000)")
      ->type_name("N")->check(whole(100, 3'600'000));
  app.add_option("--read-timeout-ms", read_ms, "deadline for one request, from its first byte to its last, "
                                               "100-3600000 (default 30000)")
      ->type_name("N")->check(whole(100, 3'600'000));
  app.add_option("--max-connections", max_connections, "connections served at once, 1-1000000 (default 10000; "
                                                       "lowered to what the open-file limit allows)")
      ->type_name("N")->check(whole(1, 1'000'000));
  app.add_option("--max-streams", max_streams, "event streams open at once, 1-1000000 (default 1000)")
      ->type_name("N")->check(whole(1, 1'000'000));
  app.add_option("--max-streams-per-tenant", max_streams_per_tenant,
                 "event streams open at once for one tenant, 1-1000000 (default 100)")
      ->type_name("N")->check(whole(1, 1'000'000));
  app.add_option("--session-ttl-s", session_s, "console sessions end N seconds after login, 1-31622400 "
                                               "(default 43200: 12 hours)")
      ->type_name("N")->check(whole(1, 366ull * 86'400));
  app.add_flag("--console-http-loopback", console_http_loopback,
               "trust the console at http://<Host> too when Host is a loopback address (a developer's "
               "machine without TLS); by default only https://<Host>, the TLS proxy's origin");
  std::string console_origins;
  app.add_option("--console-origins", console_origins,
                 "web apps on other origins that may use a console session on the workspace routes (/api/...): "
                 "credentialed CORS, logins and cookie-authenticated changes from them; https, or http on a "
                 "loopback host. Makes the session cookie SameSite=None (default: none)")
      ->type_name("ORIGIN[,ORIGIN...]")
      ->check(flags::list_of(
          [](const std::string& origin) -> std::string {
            if (http::web_app_origin(origin)) return {};
            return "must be https://host[:port], or http:// on a loopback host, without a path (got '" + origin + "')";
          },
          "origins"));
  app.add_option("--metrics-token-file", metrics_token_file,
                 "GET /metrics answers only Authorization: Bearer <the secret in FILE> (Prometheus' "
                 "credentials_file); by default anyone")
      ->type_name("FILE");
  app.add_option("--mount", mounts,
                 "serve a dialect's routes under PREFIX as well, so a client keeps its URL with only the host "
                 "changed; repeatable. DIALECT is native, org_unit, campaign or workspace (e.g. "
                 "campaign=/functions/v1/api-gateway)")
      ->type_name("DIALECT=/PREFIX")->check(mount_spec());

  http::ClusterOptions cluster;
  std::string nats, node;
  std::uint64_t shards = 0, replicas = 3, lease_ms = 6'000, window_ms = 60'000;
  const char* group = "Cluster mode (docs/cluster.md)";
  auto* nats_flag = app.add_option("--nats", nats, "join a cluster through these NATS servers (nats://host:port, "
                                                   "or tls://host:port; JetStream on)")
                        ->type_name("URL[,URL...]")->check(flags::nats_urls())->group(group);
  auto* node_flag = app.add_option("--node", node, "this node's name, unique in the cluster: 1-64 of A-Z a-z 0-9 _ -")
                        ->type_name("NAME")->check(node_name())->group(group);
  nats_flag->needs(node_flag);
  node_flag->needs(nats_flag);
  app.add_option("--shards", shards, "shards of a new cluster, 1-1024 (default 4); must match an existing one's")
      ->type_name("N")->check(whole(1, http::ClusterNode::kMaxShards))->needs(nats_flag)->group(group);
  app.add_option("--nats-replicas", replicas, "replicas of the streams and buckets this node creates, 1-5 "
                                              "(default 3)")
      ->type_name("N")->check(whole(1, 5))->needs(nats_flag)->group(group);
  app.add_option("--lease-ms", lease_ms, "how long a shard's owner may go unheard before another node takes the "
                                         "shard over, 600-600000 (default 6000)")
      ->type_name("N")->check(whole(600, 600'000))->needs(nats_flag)->group(group);
  auto* key_flag = app.add_option("--cluster-key-file", cluster.cluster_key_file,
                                  "the cluster key: a file only its owner may read, of at least 32 bytes, the same "
                                  "on every node (make one with: head -c 32 /dev/urandom | base64); required with --nats")
                       ->type_name("PATH")->check(CLI::ExistingFile)->needs(nats_flag)->group(group);
  nats_flag->needs(key_flag);
  app.add_option("--cluster-window-ms", window_ms, "how far the time in a sealed lease, registry entry or forwarded "
                                                   "request may be from the time it is checked against (clock skew "
                                                   "between nodes and NATS servers), 1000-600000 (default 60000)")
      ->type_name("N")->check(whole(1'000, 600'000))->needs(nats_flag)->group(group);
  nats::add_security_flags(app, cluster.nats_security, nats_flag, group);

  if (auto status = flags::parse(app, argc, argv)) return *status;

  using ms = std::chrono::milliseconds;
  o.node.data_dir = data;
  o.node.map_size = map_size;
  const auto colon = listen.rfind(':');
  server.host = listen.substr(0, colon);
  server.port = static_cast<std::uint16_t>(std::stoul(listen.substr(colon + 1)));
  server.threads = static_cast<unsigned>(threads);
  server.idle_timeout = ms(idle_ms);
  server.read_timeout = ms(read_ms);
  server.max_connections = max_connections;
  api.rate_limit = rate_limit;
  api.campaign_retention_days = static_cast<std::int64_t>(retention_days);
  api.max_streams = max_streams;
  api.max_streams_per_tenant = max_streams_per_tenant;
  api.header_limit = server.header_limit;
  api.body_limit = server.body_limit;
  o.node.auth.session_lifetime = static_cast<Millis>(session_s) * 1000;
  o.node.auth.console_http_loopback = console_http_loopback;
  for (const auto& origin : flags::split_commas(console_origins)) {
    o.node.auth.web_app_origins.push_back(*http::web_app_origin(origin));
  }
  if (!metrics_token_file.empty()) {
    try {
      api.metrics_token = read_metrics_token(metrics_token_file);
    } catch (const std::runtime_error& e) {
      return flags::usage_error(app, e.what());
    }
  }
  for (const auto& cidr : flags::split_commas(trusted_proxies)) api.trusted_proxies.add(cidr);
  o.node.auth.login_threads = login_threads;
  o.node.auth.login_queue = login_queue;
  o.node.auth.limits = {tenant_buckets, key_buckets};
  o.retention_interval = ms(retention_ms);
  for (const auto& m : mounts) {
    o.node.mounts.push_back(http::parse_mount(m));
    for (std::size_t i = 0; i + 1 < o.node.mounts.size(); ++i) {
      if (o.node.mounts[i].prefix == o.node.mounts.back().prefix) {
        return flags::usage_error(app, "--mount: prefix " + o.node.mounts.back().prefix + " is mounted twice");
      }
    }
  }
  if (!nats.empty()) {
    cluster.nats = flags::split_commas(nats);
    cluster.node = node;
    cluster.shards = static_cast<unsigned>(shards);
    cluster.replicas = static_cast<int>(replicas);
    cluster.lease = ms(lease_ms);
    cluster.forward_timeout = server.read_timeout;
    cluster.cluster_window = ms(window_ms);
    o.node.cluster = cluster;
  }
  return o;
}

}  // namespace eventsd
