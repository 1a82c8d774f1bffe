#include "commands/writer.h"

#include <capnp/message.h>

#include <pthread.h>

#include <cerrno>
#include <cstdio>
#include <cstdint>
#include <cstdlib>

#include "commands/decide.h"

namespace eventsd {

namespace {

// Enough work for one transaction; more waits for the next commit.
constexpr std::size_t kMaxEventsPerCommit = 20'000;

std::size_t event_count(const Command& c) {
  if (auto* ingest = std::get_if<IngestEvents>(&c.body)) return ingest->events.size();
  return 1;
}

// Room for the whole record in the message's first segment (the log stores one segment; a
// record that outgrows it is copied once more by the appender).
unsigned first_segment_words(const Command& c) {
  std::size_t words = 256;
  if (auto* ingest = std::get_if<IngestEvents>(&c.body)) {
    for (const auto& e : ingest->events) {
      std::size_t bytes = e.event.size() + e.data.size() + e.id.value_or("").size() + e.url.value_or("").size() +
                          e.referrer.value_or("").size() + e.contact_id.value_or("").size() + 160;
      words += 24 + bytes / 8;
    }
  }
  return static_cast<unsigned>(std::min<std::size_t>(words, 1u << 22));
}

// No space on the device, over quota, over the file-size limit, or a map as large as the volume
// filled: the store cannot grow. (A short write on a full disk reaches us as EIO; the store looks
// at the disk to tell.)
bool storage_full(const Store& store, const lmdb::Error& e) {
  return e.code() == ENOSPC || e.code() == EDQUOT || e.code() == EFBIG || e.map_full() ||
         store.out_of_space();
}

Rejection storage_failure(const Store& store, const lmdb::Error& e) {
  if (storage_full(store, e)) return {507, "storage_full", "the data volume is full; nothing was recorded", ""};
  return {503, "storage_error", std::string("the store failed: ") + e.what(), ""};
}

Rejection not_replicated(const NotReplicated& e) {
  return {503, "unavailable", std::string("the write could not be replicated: ") + e.what() + "; retry later", "", 1};
}

void set_position(Outcome& outcome, std::uint64_t position) {
  std::visit([position](auto& o) {
    if constexpr (requires { o.position; }) o.position = position;
  }, outcome);
}

}  // namespace

Writer::Writer(Store& store, Log& log, const WriteModel& model, WriterLimits limits, const Clock& clock)
    : store_(store), log_(log), model_(model), limits_(limits), clock_(clock) {
  stats_.head = log.head().position;
  fatal_ = [](const std::string& message) {
    std::fprintf(stderr, "eventsd: fatal: %s; exiting so that a supervisor restarts the service\n",
                 message.c_str());
    std::fflush(stderr);
    std::_Exit(70);
  };
}

Writer::~Writer() { stop(); }

void Writer::start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "writer");
    run();
  });
}

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

void Writer::dequeued(const Pending& p) {
  queued_events_ -= p.events;
  queued_bytes_ -= p.bytes;
  stats_.queued_events = queued_events_;
  stats_.queued_bytes = queued_bytes_;
}

void Writer::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Writer::run() {
  std::vector<Pending> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) return;  // stopping, and everything is done
    }
    if (throttle_) throttle_(log_.head().position);
    {
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
    if (batch.front().task) {
      process_tasks(batch);
    } else {
      process(batch);
    }
    batch.clear();
  }
}

void Writer::process(std::vector<Pending>& batch) {
  std::vector<Step> steps;
  try {
    steps = commit(batch, 0, batch.size());
  } catch (const NotReplicated& e) {
    // Nothing was committed; retrying one by one would meet the same refusal.
    for (std::size_t i = 0; i < batch.size(); ++i) steps.push_back({not_replicated(e), {}});
  } catch (const std::exception& e) {
    const auto* storage = dynamic_cast<const lmdb::Error*>(&e);
    if (storage && (batch.size() == 1 || storage_full(store_, *storage))) {
      for (std::size_t i = 0; i < batch.size(); ++i) steps.push_back({storage_failure(store_, *storage), {}});
      return finish(batch, std::move(steps));
    }
    // A bug in a decider or a fold, or one command too large for a transaction (MDB_TXN_FULL).
    // Run the commands alone so that only the culprit fails.
    std::fprintf(stderr, "eventsd: writer: %s; retrying the batch one command at a time\n", e.what());
    steps.clear();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      try {
        steps.push_back(std::move(commit(batch, i, i + 1).front()));
      } catch (const NotReplicated& e2) {
        steps.push_back({not_replicated(e2), {}});
      } catch (const lmdb::Error& e2) {
        steps.push_back({storage_failure(store_, e2), {}});
      } catch (const std::exception& e2) {
        std::fprintf(stderr, "eventsd: writer: command failed: %s\n", e2.what());
        steps.push_back({Rejection{500, "internal_error", "the command could not be applied", ""}, {}});
      }
    }
  }
  finish(batch, std::move(steps));
}

void Writer::finish(std::vector<Pending>& batch, std::vector<Step> steps) {
  std::vector<Completion> completions;
  std::vector<Pending> continued;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    Outcome outcome = batch[i].so_far ? merge_outcomes(std::move(*batch[i].so_far), std::move(steps[i].outcome))
                                      : std::move(steps[i].outcome);
    if (steps[i].more && !std::holds_alternative<Rejection>(outcome)) {
      continued.push_back({std::move(*steps[i].more), std::move(batch[i].done), 0, 0, std::move(outcome), {}, {}});
    } else {
      completions.push_back({std::move(batch[i].done), std::move(outcome)});
    }
  }
  if (!continued.empty()) {
    // Behind what arrived meanwhile: a long command takes turns with the others.
    std::lock_guard lock(mutex_);
    for (auto& p : continued) queue_.push_back(std::move(p));
  }
  if (completions.empty()) return;
  const std::uint64_t head = log_.head().position;
  if (delivery_) return delivery_(head, std::move(completions));
  for (auto& c : completions) {
    try {
      c.done(std::move(c.outcome));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "eventsd: writer: a completion failed: %s\n", e.what());
    }
  }
}

std::vector<Writer::Step> Writer::commit(std::vector<Pending>& batch, std::size_t begin, std::size_t end) {
  std::vector<Step> steps;
  steps.reserve(end - begin);
  std::uint64_t events = 0;
  std::optional<LogHead> written;  // the new head, when the transaction appended records
  try {
    auto txn = store_.begin_write();
    Log::Appender appender(log_, txn);
    DecideContext cx{txn, model_, clock_.now_millis(), ids_};
    for (std::size_t i = begin; i < end; ++i) {
      capnp::MallocMessageBuilder message(first_segment_words(batch[i].command));
      Decision d = decide(batch[i].command, cx, message);
      if (d.record) {
        const std::uint64_t position = appender.append(message);
        auto record = message.getRoot<schema::LogRecord>().asReader();
        model_.apply(txn, position, record);
        if (record.getFact().isEventsIngested()) events += record.getFact().getEventsIngested().getEvents().size();
      }
      steps.push_back({std::move(d.outcome), std::move(d.more)});
    }
    if (appender.head().position != log_.head().position) written = appender.head();
    if (written && replication_) {
      std::vector<std::string_view> records;
      for (std::uint64_t p = log_.head().position + 1; p <= written->position; ++p) {
        std::string_view bytes;
        if (!log_.read(txn, p, bytes)) throw std::logic_error("an appended record is missing");
        records.push_back(bytes);
      }
      replication_(txn, log_.head().position + 1, records);
      try {
        txn.commit();
      } catch (const lmdb::Error& e) {
        if (e.code() == MDB_PANIC) fatal_(e.what());
        // The records are in the shard's stream already: not "nothing recorded", and not to be
        // decided again here (the replica applies them from the stream once it can).
        throw NotReplicated(std::string("the write was stored in the shard's stream, but this node could not "
                                        "commit it (") + e.what() + "); it may be recorded");
      }
    } else {
      txn.commit();
    }
    if (written) log_.advance(*written);
  } catch (const lmdb::Error& e) {
    if (e.code() == MDB_PANIC) fatal_(e.what());
    throw;
  }
  // Committed: nothing below may fail the commands (an exception here would retry them).
  const std::uint64_t head = log_.head().position;
  for (auto& s : steps) set_position(s.outcome, head);
  stats_.commands += end - begin;
  stats_.events_ingested += events;
  if (written) committed(events);
  return steps;
}

void Writer::committed(std::uint64_t events) {
  // (A transaction that wrote nothing commits without a flush; it does not count.)
  const std::uint64_t head = log_.head().position;
  stats_.commits += 1;
  std::size_t bucket = 0;
  while (bucket < std::size(WriterStats::kEventBuckets) && events > WriterStats::kEventBuckets[bucket]) ++bucket;
  stats_.events_per_commit[bucket] += 1;
  stats_.head = head;
  if (commit_listener_) {
    try {
      commit_listener_(head);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "eventsd: writer: commit listener: %s\n", e.what());
    }
  }
}

void Writer::process_tasks(std::vector<Pending>& batch) {
  std::vector<std::exception_ptr> failures(batch.size());
  try {
    commit_tasks(batch, 0, batch.size());
  } catch (const lmdb::Error&) {
    for (auto& f : failures) f = std::current_exception();
  } catch (const std::exception&) {
    // Run them alone so that only the culprit fails.
    for (std::size_t i = 0; i < batch.size(); ++i) {
      try {
        commit_tasks(batch, i, i + 1);
      } catch (const std::exception&) {
        failures[i] = std::current_exception();
      }
    }
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    try {
      if (batch[i].task_done) batch[i].task_done(failures[i]);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "eventsd: writer: a task's completion failed: %s\n", e.what());
    }
  }
}

void Writer::commit_tasks(std::vector<Pending>& batch, std::size_t begin, std::size_t end) {
  std::optional<LogHead> written;
  std::uint64_t events = 0;
  try {
    auto txn = store_.begin_write();
    Log::Appender appender(log_, txn);
    for (std::size_t i = begin; i < end; ++i) batch[i].task(txn, appender);
    if (appender.head().position != log_.head().position) written = appender.head();
    if (written) {
      // Fold what the tasks appended into the write model, and count the events.
      for (std::uint64_t p = log_.head().position + 1; p <= written->position; ++p) {
        std::string_view bytes;
        if (!log_.read(txn, p, bytes)) throw std::logic_error("an appended record is missing");
        RecordView view(bytes, true);
        auto record = view.root();
        model_.apply(txn, p, record);
        if (record.getFact().isEventsIngested()) events += record.getFact().getEventsIngested().getEvents().size();
      }
    }
    txn.commit();
    if (written) log_.advance(*written);
  } catch (const lmdb::Error& e) {
    if (e.code() == MDB_PANIC) fatal_(e.what());
    throw;
  }
  stats_.events_ingested += events;
  if (written) committed(events);
}

}  // namespace eventsd
