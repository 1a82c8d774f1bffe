// An engine: a log with everything folded from it, wired as the server runs it — the log's
// environment, the write model, the projector folding the read models behind the writer, the
// writer (a write is answered once the read models hold it), and the broadcaster that coroutines
// waiting for a position listen to. The whole store on a single node; one shard's replica in
// cluster mode (docs/cluster.md). eventsd's main(), the tests and the benchmarks all wire it this
// one way.
//
// Lifetime: construct (opens and checks the log, brings the write model up to date, opens or
// starts rebuilding the read models), then start(); stop() answers what is queued and flushes.
// Thread safety: the members follow their own headers' rules; start() and stop() from the
// owner's thread.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "commands/write_model.h"
#include "commands/writer.h"
#include "engine/commit_broadcaster.h"
#include "eventlog/log.h"
#include "eventlog/store.h"
#include "projections/projector.h"

namespace eventsd {

struct EngineOptions {
  std::size_t map_size = 0;  // of each LMDB environment; 0: the volume's size (eventlog/store.h)
  // A replica of a log appended elsewhere too (cluster mode): a position beyond its head may
  // still arrive, so a read waiting for it waits rather than being refused.
  bool replica = false;
  WriterLimits limits = {};
  const Clock* clock = &system_clock();  // what the deciders see as now; outlives the engine
};

class Engine {
 public:
  // `log_dir` holds the log's environment (created when missing), `read_dir` its read-model
  // generations. Throws when the log was damaged at its tail or the read models are ahead of it.
  Engine(const std::filesystem::path& log_dir, const std::filesystem::path& read_dir, EngineOptions options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // What opening found, for the start-up log (the write model caught up, the generation served).
  const std::vector<std::string>& report() const { return report_; }
  // Before start(): `listener` is called with each position the read models reach, after the
  // broadcaster (on the projector's thread; it must not block).
  void on_applied(std::function<void(std::uint64_t)> listener) { applied_listeners_.push_back(std::move(listener)); }
  // Starts the projector, then the writer (a test may start them one by one instead).
  void start();
  // Decides what is queued, folds it, flushes the read models. Idempotent; the destructor stops.
  void stop();

  const bool replica;
  Store store;
  Log log;
  WriteModel model;
  Projector projector;
  Writer writer;
  CommitBroadcaster commits;

 private:
  std::vector<std::string> report_;
  std::vector<std::function<void(std::uint64_t)>> applied_listeners_;
};

}  // namespace eventsd
