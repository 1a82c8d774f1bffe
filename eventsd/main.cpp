// eventsd: the server. main() wires the parts: store, log, read models, writer, router, server.
#include <boost/asio/ip/address.hpp>

#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <future>
#include <optional>
#include <set>
#include <stdexcept>
#include <string_view>
#include <thread>

#include "accounts/tokens.h"
#include "accounts/users.h"
#include "cluster/cluster_node.h"
#include "common/clock.h"
#include "common/version.h"
#include "engine/campaign_retention.h"
#include "engine/engine.h"
#include "eventlog/data_dir.h"
#include "eventlog/dir_lock.h"
#include "http/api/auth.h"
#include "http/api/metrics.h"
#include "http/api/rate_limit.h"
#include "http/api/service.h"
#include "http/dialects/routes.h"
#include "http/server/server.h"

namespace {

const char* kUsage =
    "usage: eventsd --data DIR [--listen HOST:PORT] [options]\n"
    "  --data DIR          data directory (created if missing)\n"
    "  --listen HOST:PORT  IP address and port to serve on (default 127.0.0.1:8080; port 0 picks one)\n"
    "  --rate-limit RPS    requests per second per token, bursts of one second, 0-1000000\n"
    "                      (default 0: off)\n"
    "  --campaign-retention-days N\n"
    "                      campaign events older than N days are not served and are purged,\n"
    "                      0-36500 (default 180; 0 keeps them)\n"
    "  --map-size BYTES    size of each LMDB memory map, 1048576-70368744177664 (default:\n"
    "                      the data volume's size; the files grow as data does, the map only\n"
    "                      reserves address space)\n"
    "  --retention-interval-ms N\n"
    "                      how often the campaign retention runs, 1000-2592000000\n"
    "                      (default 3600000: hourly)\n"
    "  --threads N         I/O threads, 1-1024 (default: one per core)\n"
    "  --idle-timeout-ms N how long a connection may wait between requests, 100-3600000\n"
    "                      (default 30000)\n"
    "  --read-timeout-ms N deadline for one request, from its first byte to its last,\n"
    "                      100-3600000 (default 30000)\n"
    "  --max-connections N connections served at once, 1-1000000 (default 10000; lowered to\n"
    "                      what the open-file limit allows)\n"
    "  --max-streams N     event streams open at once, 1-1000000 (default 1000)\n"
    "  --max-streams-per-tenant N\n"
    "                      event streams open at once for one tenant, 1-1000000 (default 100)\n"
    "  --session-ttl-s N   console sessions end N seconds after login, 1-31622400\n"
    "                      (default 43200: 12 hours)\n"
    "  --mount DIALECT=/PREFIX\n"
    "                      serve a dialect's routes under PREFIX as well, so a client keeps its\n"
    "                      URL with only the host changed; repeatable. DIALECT is native, org_unit,\n"
    "                      campaign or workspace (e.g. campaign=/functions/v1/api-gateway)\n"
    "cluster mode (docs/cluster.md):\n"
    "  --nats URL[,URL...] join a cluster through these NATS servers (nats://host:port, JetStream on)\n"
    "  --node NAME         this node's name, unique in the cluster: 1-64 of A-Z a-z 0-9 _ -\n"
    "  --shards N          shards of a new cluster, 1-1024 (default 4); must match an existing one's\n"
    "  --nats-replicas N   replicas of the streams and buckets this node creates, 1-5 (default 3)\n"
    "  --lease-ms N        how long a shard's owner may go unheard before another node takes\n"
    "                      the shard over, 600-600000 (default 6000)\n"
    "  --version           print the version and the git revision it was built from\n"
    "  --help              print this help\n";

[[noreturn]] void usage_error(const std::string& message) {
  std::cerr << "eventsd: " << message << "\n" << kUsage;
  std::exit(2);
}

// A whole number within [min, max], digits only (no sign, no spaces), or a usage error naming
// the flag and its range.
std::uint64_t number(const std::string& flag, std::string_view value, std::uint64_t min, std::uint64_t max) {
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (value.empty() || value.front() == '-' || ec != std::errc() || end != value.data() + value.size() ||
      n < min || n > max) {
    usage_error(flag + " must be an integer from " + std::to_string(min) + " to " + std::to_string(max) +
                " (got '" + std::string(value) + "')");
  }
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace eventsd;
  std::string data_dir;
  http::ServerOptions options;
  http::ApiOptions api_options;
  std::chrono::milliseconds retention_interval = std::chrono::hours(1);
  std::size_t map_size = 0;  // 0: the volume's size
  http::AuthOptions auth_options;
  http::ClusterOptions cluster_options;
  std::set<std::string> given;
  http::Router router = http::make_router();
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (flag == "--version") {
      std::cout << "eventsd " << version() << " (revision " << revision() << ")\n";
      return 0;
    }
    if (i + 1 >= argc) usage_error("missing value for " + flag);
    const std::string_view value = argv[++i];
    if (flag != "--mount" && !given.insert(flag).second) usage_error(flag + " is given more than once");
    using ms = std::chrono::milliseconds;
    if (flag == "--data") {
      if (value.empty()) usage_error("--data needs a directory");
      data_dir = value;
    } else if (flag == "--listen") {
      auto colon = value.rfind(':');
      if (colon == std::string_view::npos) usage_error("--listen needs HOST:PORT (got '" + std::string(value) + "')");
      options.host = std::string(value.substr(0, colon));
      boost::system::error_code ec;
      boost::asio::ip::make_address(options.host, ec);
      if (ec) usage_error("--listen needs an IP address before the port (got '" + options.host + "')");
      options.port = static_cast<std::uint16_t>(number("--listen port", value.substr(colon + 1), 0, 65535));
    } else if (flag == "--threads") {
      options.threads = static_cast<unsigned>(number(flag, value, 1, 1024));
    } else if (flag == "--idle-timeout-ms") {
      options.idle_timeout = ms(number(flag, value, 100, 3'600'000));
    } else if (flag == "--read-timeout-ms") {
      options.read_timeout = ms(number(flag, value, 100, 3'600'000));
    } else if (flag == "--rate-limit") {
      const std::string text(value);
      char* end = nullptr;
      api_options.rate_limit = std::strtod(text.c_str(), &end);
      if (text.empty() || *end || !(api_options.rate_limit >= 0 && api_options.rate_limit <= 1e6)) {
        usage_error("--rate-limit must be a number from 0 to 1000000 (got '" + text + "')");
      }
    } else if (flag == "--campaign-retention-days") {
      api_options.campaign_retention_days = static_cast<std::int64_t>(number(flag, value, 0, 36'500));
    } else if (flag == "--retention-interval-ms") {
      retention_interval = ms(number(flag, value, 1'000, 2'592'000'000));
    } else if (flag == "--map-size") {
      map_size = number(flag, value, std::uint64_t{1} << 20, std::uint64_t{1} << 46);
    } else if (flag == "--session-ttl-s") {
      auth_options.session_lifetime = static_cast<Millis>(number(flag, value, 1, 366ull * 86400)) * 1000;
    } else if (flag == "--mount") {
      try {
        router.mount(http::parse_mount(value));
      } catch (const std::invalid_argument& e) {
        usage_error(e.what());
      }
    } else if (flag == "--max-connections") {
      options.max_connections = number(flag, value, 1, 1'000'000);
    } else if (flag == "--nats") {
      std::string_view rest = value;
      while (!rest.empty()) {
        const auto comma = rest.find(',');
        const std::string_view url = rest.substr(0, comma);
        if (!url.starts_with("nats://") || url.size() <= 7) {
          usage_error("--nats needs nats://host:port URLs separated by commas (got '" + std::string(value) + "')");
        }
        cluster_options.nats.emplace_back(url);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      }
      if (cluster_options.nats.empty()) usage_error("--nats needs at least one URL");
    } else if (flag == "--node") {
      const bool valid = !value.empty() && value.size() <= 64 && value != "-" &&
                         value.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") ==
                             std::string_view::npos;
      if (!valid) usage_error("--node needs 1-64 of A-Z a-z 0-9 _ - (got '" + std::string(value) + "')");
      cluster_options.node = value;
    } else if (flag == "--shards") {
      cluster_options.shards = static_cast<unsigned>(number(flag, value, 1, http::ClusterNode::kMaxShards));
    } else if (flag == "--nats-replicas") {
      cluster_options.replicas = static_cast<int>(number(flag, value, 1, 5));
    } else if (flag == "--lease-ms") {
      cluster_options.lease = ms(number(flag, value, 600, 600'000));
    } else if (flag == "--max-streams") {
      api_options.max_streams = number(flag, value, 1, 1'000'000);
    } else if (flag == "--max-streams-per-tenant") {
      api_options.max_streams_per_tenant = number(flag, value, 1, 1'000'000);
    } else {
      usage_error("unknown option " + flag);
    }
  }
  if (data_dir.empty()) usage_error("--data is required");
  const bool clustered = !cluster_options.nats.empty();
  if (clustered != !cluster_options.node.empty()) usage_error("--nats and --node go together");
  for (const char* flag : {"--shards", "--nats-replicas", "--lease-ms"}) {
    if (!clustered && given.contains(flag)) usage_error(std::string(flag) + " needs --nats");
  }
  std::signal(SIGPIPE, SIG_IGN);  // a closed stdout or socket is an error code, not a death
  std::signal(SIGXFSZ, SIG_IGN);  // a file-size limit is a failed write (507), not a death
  if (options.threads == 0) options.threads = std::max(1u, std::thread::hardware_concurrency());

  try {
    std::filesystem::create_directories(data_dir);
    auto lock = DirLock::try_acquire(data_dir);
    if (!lock) {
      std::cerr << "eventsd: " << data_dir << " is in use by another eventsd (or an eventctl that needs it alone)\n";
      return 1;
    }
    data_dir::upgrade(data_dir);
    // A single node: one engine over the log's environment (the log, the write model, tokens;
    // durable: every commit is flushed) and the read side folded behind the writer. A cluster
    // node: the system store and every shard's replica (cluster/cluster_node.h).
    std::optional<Engine> single;
    std::optional<TokenStore> single_tokens;
    std::optional<UserStore> single_users;
    std::optional<http::ClusterNode> cluster;
    if (clustered) {
      cluster_options.forward_timeout = options.read_timeout;
      // A cluster still forming (or recovering) may not answer JetStream requests for a while:
      // try again, with a pause, for up to a minute.
      const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(1);
      for (;;) {
        try {
          cluster.emplace(data_dir, cluster_options, map_size);
          break;
        } catch (const nats::Unavailable& e) {
          cluster.reset();
          if (std::chrono::steady_clock::now() > give_up) throw;
          std::cerr << "eventsd: NATS is not ready (" << e.what() << "); trying again\n";
          std::this_thread::sleep_for(std::chrono::seconds(1));
        }
      }
      for (const auto& line : cluster->report()) std::cerr << "eventsd: " << line << "\n";
    } else {
      single.emplace(data_dir::log_dir(data_dir), data_dir::read_dir(data_dir), EngineOptions{.map_size = map_size});
      single_tokens.emplace(single->store);
      single_users.emplace(single->store);
      for (const auto& line : single->report()) std::cerr << "eventsd: " << line << "\n";
      single->start();
    }
    Store& store = clustered ? cluster->system() : single->store;
    TokenStore& tokens = clustered ? cluster->tokens() : *single_tokens;
    UserStore& users = clustered ? cluster->users() : *single_users;

    // The campaign retention runs once before serving, then periodically: on a single node's
    // writer, or on the writers of the shards this cluster node owns.
    auto writers = [&]() -> std::vector<Writer*> {
      return clustered ? cluster->owned_writers() : std::vector<Writer*>{&single->writer};
    };
    const CampaignRetention retention(system_clock(), api_options.campaign_retention_days);
    auto report = [](Outcome outcome) {
      if (auto line = CampaignRetention::describe(outcome); !line.empty()) std::cerr << "eventsd: " << line << "\n";
    };
    for (const Outcome& outcome : retention.run_and_wait(writers())) report(outcome);

    std::optional<http::RateLimiter> limiter;
    if (api_options.rate_limit > 0) limiter.emplace(api_options.rate_limit);
    http::Metrics metrics;
    api_options.header_limit = options.header_limit;
    api_options.body_limit = options.body_limit;
    http::App app{.store = store,
                  .tokens = tokens,
                  .options = api_options,
                  .engines = clustered ? cluster->engines() : std::vector<Engine*>{&*single},
                  .limiter = limiter ? &*limiter : nullptr,
                  .metrics = &metrics};
    http::Auth auth(users, auth_options);
    app.auth = &auth;
    if (clustered) {
      app.routing = &*cluster;
      app.accounts = &*cluster;
    }
    http::ApiService service(app, router);
    http::Server server(service, options);
    server.listen();
    // Every stream holds a connection: no more streams than connections.
    if (app.options.max_streams > server.connection_cap()) {
      std::cerr << "eventsd: serving at most " << server.connection_cap() << " event streams (--max-streams "
                << app.options.max_streams << "), as many as connections\n";
      app.options.max_streams = server.connection_cap();
    }
    if (clustered) {
      cluster->start(router, app, server.executor(), options.host + ":" + std::to_string(server.port()));
    }
    server.drain_on_signals();
    server.on_drain([&app, &cluster] {
      if (cluster) cluster->draining();
      for (Engine* e : app.engines) e->commits.close();
    });
    server.every(retention_interval, [&] { retention.run(writers(), report); });
    std::cout << "eventsd listening on http://" << options.host << ":" << server.port()
              << " (data: " << data_dir << (clustered ? ", node " + cluster_options.node : std::string()) << ")"
              << std::endl;
    server.run(options.threads);
    if (cluster) cluster->stop();
    if (single) single->stop();
    std::cerr << "eventsd: stopped" << std::endl;
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "eventsd: " << e.what() << "\n";
    return 1;
  }
}
