// eventsd: the server. main() only wires the parts (eventsd/node.h, docs/architecture.md): the
// flags, the data directory's lock, the node, the server.
#include <sys/stat.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>

#include "eventlog/data_dir.h"
#include "eventlog/dir_lock.h"
#include "eventsd/node.h"
#include "eventsd/options.h"
#include "http/server/server.h"

int main(int argc, char** argv) {
  using namespace eventsd;
  ::umask(077);  // every file and directory it makes is its user's alone (docs/security.md)
  auto parsed = parse_options(argc, argv);
  if (auto* status = std::get_if<int>(&parsed)) return *status;
  Options& options = std::get<Options>(parsed);
  std::signal(SIGPIPE, SIG_IGN);  // a closed stdout or socket is an error code, not a death
  std::signal(SIGXFSZ, SIG_IGN);  // a file-size limit is a failed write (507), not a death
  auto& server_options = options.server;
  if (server_options.threads == 0) server_options.threads = std::max(1u, std::thread::hardware_concurrency());
  const auto& data_dir = options.node.data_dir;

  try {
    std::filesystem::create_directories(data_dir);
    if (auto was = data_dir::make_private(data_dir)) {
      std::fprintf(stderr, "eventsd: %s was open to other users (mode %03o): made it 0700\n", data_dir.c_str(),
                   static_cast<unsigned>(*was));
    }
    auto lock = DirLock::try_acquire(data_dir);
    if (!lock) {
      std::cerr << "eventsd: " << data_dir.string() << " is in use by another eventsd (or an eventctl that needs it alone)\n";
      return 1;
    }
    data_dir::upgrade(data_dir);
    Node node(options.node);
    for (const auto& line : node.report()) std::cerr << "eventsd: " << line << "\n";

    // The campaign retention ran once as the node opened; it runs again periodically, on the
    // writers this node decides writes for.
    auto report = [](Outcome outcome) {
      if (auto line = CampaignRetention::describe(outcome); !line.empty()) std::cerr << "eventsd: " << line << "\n";
    };

    http::Server server(node.service(), server_options);
    server.listen();
    // Every stream holds a connection: no more streams than connections.
    auto& api = node.app().options;
    if (api.max_streams > server.connection_cap()) {
      std::cerr << "eventsd: serving at most " << server.connection_cap() << " event streams (--max-streams "
                << api.max_streams << "), as many as connections\n";
      api.max_streams = server.connection_cap();
    }
    node.serve(server.executor(), server_options.host + ":" + std::to_string(server.port()));
    server.drain_on_signals();
    server.on_drain([&node] { node.draining(); });
    server.every(options.retention_interval, [&] { node.run_retention(report); });
    std::cout << "eventsd listening on http://" << server_options.host << ":" << server.port()
              << " (data: " << data_dir.string()
              << (options.node.cluster ? ", node " + options.node.cluster->node : std::string()) << ")" << std::endl;
    server.run(server_options.threads);
    node.stop();
    std::cerr << "eventsd: stopped" << std::endl;
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "eventsd: " << e.what() << "\n";
    return 1;
  }
}
