// The writer: the one thread that writes to the log's environment.
//
// Callers (HTTP handlers on I/O threads, tools) submit commands with a completion callback. The
// writer takes what is queued, and in one write transaction decides each command against the
// write model, appends its fact to the log and folds it into the write model; then it commits
// once (LMDB's commit fsyncs) — group commit — and hands the outcomes to the delivery, which
// calls each callback once what the command did is visible to readers (the projector's fold;
// see set_delivery). So an acknowledged command is on disk, and many requests share one flush.
//
// A rejected command writes nothing and does not disturb its neighbours. A full volume fails the
// affected commands with 507 storage_full. An unexpected exception (a bug) aborts the batch, which
// is then run again one command per transaction so that only the culprit fails. A fatal store
// error (MDB_PANIC: the environment can no longer be trusted) goes to the fatal handler: the
// process must restart. A command decided in steps (a large merge or retention) commits one
// step per transaction and is re-queued behind the commands that arrived meanwhile, so no
// command holds the writer for long; its callback runs after the last step.
//
// The queue is bounded (WriterLimits): submit() refuses a command that would overflow it, and
// admits() tells beforehand, so a server can answer 503 before parsing a body.
//
// Cluster mode (docs/cluster.md) adds two things. A replication hook (set_replication) runs in
// every transaction that appended decided records, before it commits: it stores them in the
// shard's stream, and when it cannot (the fence moved: another node owns the shard) the
// transaction is aborted and the batch's commands fail with 503 `unavailable`. And tasks
// (submit_task): work that is not a command — a batch received from the stream, an owner claim —
// run on the writer thread in transactions of their own, never mixed with commands.
//
// Thread safety: submit(), submit_task(), admits() and stats() may be called from any thread; the
// setters before start(). Callbacks run on the writer thread or the delivery's, and must not block.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <stdexcept>
#include <string_view>
#include <functional>
#include <iterator>
#include <mutex>
#include <thread>
#include <vector>

#include "commands/command.h"
#include "commands/ids.h"
#include "commands/write_model.h"
#include "common/clock.h"
#include "eventlog/log.h"
#include "eventlog/store.h"

namespace eventsd {

struct WriterStats {
  // Upper bounds of the events-per-commit histogram buckets (the last bucket is +Inf).
  static constexpr std::uint64_t kEventBuckets[] = {1, 10, 100, 1000, 10000};
  std::atomic<std::uint64_t> events_per_commit[std::size(kEventBuckets) + 1]{};
  std::atomic<std::uint64_t> commits{0};
  std::atomic<std::uint64_t> commands{0};
  std::atomic<std::uint64_t> events_ingested{0};
  std::atomic<std::uint64_t> refused{0};       // commands refused because the queue was full
  std::atomic<std::uint64_t> queued_events{0};
  std::atomic<std::uint64_t> queued_bytes{0};
  std::atomic<std::uint64_t> head{0};  // log position after the last commit
};

// Thrown by a replication hook: the records could not be stored in the shard's stream.
struct NotReplicated : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct WriterLimits {
  std::size_t max_queued_events = 200'000;
  std::size_t max_queued_bytes = std::size_t{64} << 20;  // of request bodies
  // Request-body bytes decided in one transaction, at most (one command alone always fits);
  // 0: no bound. Cluster mode bounds it so that a group commit fits one stream message.
  std::size_t max_commit_bytes = 0;
};

class Writer {
 public:
  using Done = std::function<void(Outcome)>;
  struct Completion {
    Done done;
    Outcome outcome;
  };
  // Receives the outcomes of one transaction, which brought the log to `head`.
  using Delivery = std::function<void(std::uint64_t head, std::vector<Completion>)>;
  // Stores the records a transaction appended (positions first, first + 1, ...) elsewhere before
  // the transaction commits; throws NotReplicated when it cannot.
  using Replication = std::function<void(lmdb::Txn& txn, std::uint64_t first, const std::vector<std::string_view>& records)>;
  // Work run in a write transaction on the writer thread; may append with the appender.
  using Task = std::function<void(lmdb::Txn& txn, Log::Appender& appender)>;
  // Called once a task's transaction committed (nullptr), or with what the task threw.
  using TaskDone = std::function<void(std::exception_ptr)>;

  // `clock` is what the deciders see as now (DecideContext::now); it outlives the writer.
  Writer(Store& store, Log& log, const WriteModel& model, WriterLimits limits = {},
         const Clock& clock = system_clock());
  // Before start().
  void set_max_commit_bytes(std::size_t bytes) { limits_.max_commit_bytes = bytes; }
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Default: callbacks run on the writer thread right after the commit.
  void set_delivery(Delivery delivery) { delivery_ = std::move(delivery); }
  // Called on the writer thread before each transaction with the log's head; may block, to hold
  // the writer back while readers' models lag too far behind.
  void set_throttle(std::function<void(std::uint64_t head)> throttle) { throttle_ = std::move(throttle); }
  // Called on the writer thread after each commit that appended records, with the new head.
  void set_commit_listener(std::function<void(std::uint64_t)> listener) {
    commit_listener_ = std::move(listener);
  }
  void set_replication(Replication replication) { replication_ = std::move(replication); }
  // Called when the store failed fatally; must not return (default: log and exit(70)).
  void set_fatal(std::function<void(const std::string&)> fatal) { fatal_ = std::move(fatal); }

  void start();
  // Queues a command whose request body had `bytes` bytes. `done` runs exactly once, after the
  // outcome is final (committed and delivered, or rejected). Returns false, and never calls
  // `done`, when the queue is full.
  bool submit(Command command, Done done, std::size_t bytes = 0);
  // Queues a task. Consecutive tasks share a transaction; when one throws, the transaction is
  // aborted and they run again one per transaction, so that only it fails. `done` runs on the
  // writer thread after the commit, before the read models fold what the task appended. Tasks
  // are never refused (their producer bounds how many it has queued).
  void submit_task(Task task, TaskDone done);
  // Whether a command of `bytes` bytes would be queued now.
  bool admits(std::size_t bytes) const;
  // Decides and commits everything already queued, then joins the thread.
  void stop();

  const WriterStats& stats() const { return stats_; }

 private:
  struct Pending {
    Command command;
    Done done;
    std::size_t events = 0, bytes = 0;  // what it counts against the queue's limits
    std::optional<Outcome> so_far;      // a command decided in steps: its earlier steps
    Task task;                          // set: a task, not a command
    TaskDone task_done;
  };

  // The thread (writer.cpp): takes a batch at a time and runs it.
  void run();

  // The queue and its bounds (writer_queue.cpp). Moves the next batch off the queue into
  // `batch`: commands or tasks, never both, up to a transaction's worth. Locks mutex_.
  void take_batch(std::vector<Pending>& batch);
  // Takes what `p` counted off the queue's bounds; mutex_ held.
  void dequeued(const Pending& p);

  // A batch of commands (writer_retry.cpp): commits it, or when that fails, tells each command
  // why, or runs them again one per transaction so that only the culprit fails.
  void process(std::vector<Pending>& batch);

  // The group commit of commands (writer_group_commit.cpp). Decides and commits
  // `batch[begin, end)` in one transaction; the decisions' outcomes and follow-up steps.
  struct Step {
    Outcome outcome;
    std::optional<Command> more;
  };
  std::vector<Step> commit(std::vector<Pending>& batch, std::size_t begin, std::size_t end);
  // Hands the outcomes on (the delivery, or the callbacks), and re-queues the commands that go on
  // in steps behind what arrived meanwhile.
  void finish(std::vector<Pending>& batch, std::vector<Step> steps);
  // After a commit that moved the head: statistics and the commit listener.
  void committed(std::uint64_t events);

  // Tasks (writer_tasks.cpp): runs a batch of tasks, alone when one fails.
  void process_tasks(std::vector<Pending>& batch);
  // Runs tasks [begin, end) in one transaction and commits it.
  void commit_tasks(std::vector<Pending>& batch, std::size_t begin, std::size_t end);

  Store& store_;
  Log& log_;
  const WriteModel& model_;
  WriterLimits limits_;
  const Clock& clock_;
  IdGenerator ids_;
  Delivery delivery_;
  std::function<void(std::uint64_t)> throttle_;
  std::function<void(std::uint64_t)> commit_listener_;
  std::function<void(const std::string&)> fatal_;
  Replication replication_;
  WriterStats stats_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;
  std::size_t queued_events_ = 0, queued_bytes_ = 0;  // guarded by mutex_
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace eventsd
