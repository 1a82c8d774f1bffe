// The writer's queue and its bounds: what submit() admits (WriterLimits: events and bytes of
// request bodies), and how much of the queue one transaction takes.
#include <cstdint>

#include "commands/writer.h"

namespace eventsd {

namespace {

// Enough work for one transaction; more waits for the next commit.
constexpr std::size_t kMaxEventsPerCommit = 20'000;

std::size_t event_count(const Command& c) {
  if (auto* ingest = std::get_if<IngestEvents>(&c.body)) return ingest->events.size();
  return 1;
}

}  // namespace

bool Writer::admits(std::size_t bytes) const {
  std::lock_guard lock(mutex_);
  return queued_events_ < limits_.max_queued_events && queued_bytes_ + bytes <= limits_.max_queued_bytes;
}

bool Writer::submit(Command command, Done done, std::size_t bytes) {
  const std::size_t events = event_count(command);
  {
    std::lock_guard lock(mutex_);
    // One command alone is always taken (else a body near the limit could never pass).
    const bool empty = queue_.empty();
    if (!empty && (queued_events_ + events > limits_.max_queued_events ||
                   queued_bytes_ + bytes > limits_.max_queued_bytes)) {
      stats_.refused += 1;
      return false;
    }
    queued_events_ += events;
    queued_bytes_ += bytes;
    stats_.queued_events = queued_events_;
    stats_.queued_bytes = queued_bytes_;
    queue_.push_back({std::move(command), std::move(done), events, bytes, std::nullopt, {}, {}});
  }
  wake_.notify_one();
  return true;
}

void Writer::submit_task(Task task, TaskDone done) {
  {
    std::lock_guard lock(mutex_);
    Pending p;
    p.task = std::move(task);
    p.task_done = std::move(done);
    queue_.push_back(std::move(p));
  }
  wake_.notify_one();
}

void Writer::take_batch(std::vector<Pending>& batch) {
  std::lock_guard lock(mutex_);
  std::size_t events = 0, bytes = 0;
  // Commands and tasks never share a transaction.
  const bool tasks = static_cast<bool>(queue_.front().task);
  const std::size_t max_bytes = limits_.max_commit_bytes ? limits_.max_commit_bytes : SIZE_MAX;
  while (!queue_.empty() && static_cast<bool>(queue_.front().task) == tasks &&
         (batch.empty() || (events < kMaxEventsPerCommit && bytes + queue_.front().bytes <= max_bytes))) {
    events += event_count(queue_.front().command);
    bytes += queue_.front().bytes;
    dequeued(queue_.front());
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
}

void Writer::dequeued(const Pending& p) {
  queued_events_ -= p.events;
  queued_bytes_ -= p.bytes;
  stats_.queued_events = queued_events_;
  stats_.queued_bytes = queued_bytes_;
}

}  // namespace eventsd
