// A log with everything folded from it, wired as the server runs it: the log's environment, the
// write model, the projector folding the read models behind the writer, the writer (a write is
// answered once the read models hold it), and the broadcaster event streams wait on. The whole
// store on a single node; one shard's replica in cluster mode (docs/cluster.md).
//
// Lifetime: construct (opens and checks the log, brings the write model up to date, opens or
// starts rebuilding the read models), then start(); stop() answers what is queued and flushes.
// The object must outlive every Engine (engine()) handed to the HTTP layer.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "commands/write_model.h"
#include "commands/writer.h"
#include "eventlog/log.h"
#include "eventlog/store.h"
#include "http/api.h"
#include "http/broadcaster.h"
#include "projections/projector.h"

namespace eventsd::http {

class LogEngine {
 public:
  // `log_dir` holds the log's environment (created when missing), `read_dir` its read-model
  // generations. Throws when the log was damaged at its tail or the read models are ahead of it.
  LogEngine(const std::filesystem::path& log_dir, const std::filesystem::path& read_dir, std::size_t map_size);
  LogEngine(const LogEngine&) = delete;
  LogEngine& operator=(const LogEngine&) = delete;

  // What opening found, for the start-up log (the write model caught up, the generation served).
  const std::vector<std::string>& report() const { return report_; }
  void start();
  void stop();
  Engine engine(bool replica = false) { return Engine{store, log, projector, writer, &commits, replica}; }

  Store store;
  Log log;
  WriteModel model;
  Projector projector;
  Writer writer;
  CommitBroadcaster commits;

 private:
  std::vector<std::string> report_;
};

}  // namespace eventsd::http
