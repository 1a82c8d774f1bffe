// The writer: the one thread that writes to LMDB.
//
// Callers (HTTP handlers on I/O threads, tools) submit commands with a completion callback. The
// writer takes everything queued, and in one write transaction decides each command, appends its
// fact to the log and applies it to every read model; then it commits once (LMDB's commit
// fsyncs) and only then calls each command's callback. So an acknowledged command is on disk,
// and many requests share one fsync (group commit).
//
// A rejected command writes nothing and does not disturb its neighbours. If the map is full the
// transaction is retried after the map grows; nothing queued is lost. If the disk itself is full
// the affected commands fail with 507 storage_full. An unexpected exception (a bug) aborts the
// batch, which is then run again one command per transaction so that only the culprit fails.
//
// Thread safety: submit() may be called from any thread; the callback runs on the writer thread
// and must not block.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <iterator>
#include <mutex>
#include <thread>
#include <vector>

#include "commands/command.h"
#include "commands/ids.h"
#include "eventlog/log.h"
#include "eventlog/store.h"
#include "projections/read_models.h"

namespace eventsd {

struct WriterStats {
  // Upper bounds of the events-per-commit histogram buckets (the last bucket is +Inf).
  static constexpr std::uint64_t kEventBuckets[] = {1, 10, 100, 1000, 10000};
  std::atomic<std::uint64_t> events_per_commit[std::size(kEventBuckets) + 1]{};
  std::atomic<std::uint64_t> commits{0};
  std::atomic<std::uint64_t> commands{0};
  std::atomic<std::uint64_t> events_ingested{0};
  std::atomic<std::uint64_t> map_growths{0};
  std::atomic<std::uint64_t> head{0};  // log position after the last commit
};

class Writer {
 public:
  using Done = std::function<void(Outcome)>;

  Writer(Store& store, Log& log, const ReadModels& models);
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  void start();
  // Queues a command. `done` runs exactly once, on the writer thread, after the outcome is final
  // (committed, or rejected).
  void submit(Command command, Done done);
  // Decides and commits everything already queued, then joins the thread.
  void stop();

  // Called on the writer thread after each commit with the new log head position.
  void set_commit_listener(std::function<void(std::uint64_t)> listener) {
    commit_listener_ = std::move(listener);
  }

  const WriterStats& stats() const { return stats_; }

 private:
  struct Pending {
    Command command;
    Done done;
  };

  void run();
  void process(std::vector<Pending>& batch);
  // Decides and commits `batch` in one transaction; grows the map and retries when it is full.
  std::vector<Outcome> commit(std::vector<Pending>& batch, std::size_t begin, std::size_t end);

  Store& store_;
  Log& log_;
  const ReadModels& models_;
  IdGenerator ids_;
  std::function<void(std::uint64_t)> commit_listener_;
  WriterStats stats_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Pending> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace eventsd
