#include "commands/writer.h"

#include <capnp/message.h>

#include <pthread.h>

#include <cerrno>
#include <cstdio>

#include "commands/decide.h"

namespace eventsd {

namespace {

// Enough work for one transaction; more waits for the next commit.
constexpr std::size_t kMaxEventsPerCommit = 20'000;

std::size_t event_count(const Command& c) {
  if (auto* ingest = std::get_if<IngestEvents>(&c.body)) return ingest->events.size();
  return 1;
}

// No space on the device, over quota, over the file-size limit: the store cannot grow. (A short
// write on a full disk reaches us as EIO; the store looks at the disk to tell.)
bool storage_full(const Store& store, const lmdb::Error& e) {
  return e.code() == ENOSPC || e.code() == EDQUOT || e.code() == EFBIG || e.map_full() ||
         store.out_of_space();
}

Rejection storage_failure(const Store& store, const lmdb::Error& e) {
  if (storage_full(store, e)) return {507, "storage_full", "the data volume is full; nothing was recorded", ""};
  return {503, "storage_error", std::string("the store failed: ") + e.what(), ""};
}

}  // namespace

Writer::Writer(Store& store, Log& log, const ReadModels& models)
    : store_(store), log_(log), models_(models) {
  stats_.head = log.head().position;
}

Writer::~Writer() { stop(); }

void Writer::start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "writer");
    run();
  });
}

void Writer::submit(Command command, Done done) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back({std::move(command), std::move(done)});
  }
  wake_.notify_one();
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
      std::size_t events = 0, take = 0;
      while (take < queue_.size() && (take == 0 || events < kMaxEventsPerCommit)) {
        events += event_count(queue_[take++].command);
      }
      std::move(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(take),
                std::back_inserter(batch));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(take));
    }
    process(batch);
    batch.clear();
  }
}

void Writer::process(std::vector<Pending>& batch) {
  std::vector<Outcome> outcomes;
  try {
    outcomes = commit(batch, 0, batch.size());
  } catch (const std::exception& e) {
    const auto* storage = dynamic_cast<const lmdb::Error*>(&e);
    if (storage && (batch.size() == 1 || storage_full(store_, *storage))) {
      outcomes.assign(batch.size(), storage_failure(store_, *storage));
      for (std::size_t i = 0; i < batch.size(); ++i) batch[i].done(std::move(outcomes[i]));
      return;
    }
    // A bug in a decider or a projection, or one command too large for a transaction
    // (MDB_TXN_FULL). Run the commands alone so that only the culprit fails.
    std::fprintf(stderr, "eventsd: writer: %s; retrying the batch one command at a time\n", e.what());
    outcomes.clear();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      try {
        outcomes.push_back(std::move(commit(batch, i, i + 1).front()));
      } catch (const lmdb::Error& e2) {
        outcomes.push_back(storage_failure(store_, e2));
      } catch (const std::exception& e2) {
        std::fprintf(stderr, "eventsd: writer: command failed: %s\n", e2.what());
        outcomes.push_back(Rejection{500, "internal_error", "the command could not be applied", ""});
      }
    }
  }
  for (std::size_t i = 0; i < batch.size(); ++i) batch[i].done(std::move(outcomes[i]));
}

std::vector<Outcome> Writer::commit(std::vector<Pending>& batch, std::size_t begin,
                                    std::size_t end) {
  for (;;) {
    std::vector<Outcome> outcomes;
    outcomes.reserve(end - begin);
    std::uint64_t events = 0;
    std::optional<LogHead> written;  // the new head, when the transaction appended records
    try {
      auto txn = store_.begin_write();
      Log::Appender appender(log_, txn);
      DecideContext cx{txn, models_, now_millis(), ids_};
      for (std::size_t i = begin; i < end; ++i) {
        capnp::MallocMessageBuilder message;
        Decision d = decide(batch[i].command, cx, message);
        if (d.record) {
          const std::uint64_t position = appender.append(message);
          auto record = message.getRoot<schema::LogRecord>().asReader();
          models_.apply(txn, position, record);
          if (record.getFact().isEventsIngested()) {
            events += record.getFact().getEventsIngested().getEvents().size();
          }
        }
        outcomes.push_back(std::move(d.outcome));
      }
      if (appender.head().position != log_.head().position) written = appender.head();
      txn.commit();
      if (written) log_.advance(*written);
    } catch (const lmdb::Error& e) {
      if (!e.map_full()) throw;
      store_.grow();
      stats_.map_growths += 1;
      continue;
    }
    // Committed: nothing below may fail the commands (an exception here would retry them).
    stats_.commands += end - begin;
    stats_.events_ingested += events;
    if (written) {
      // (A transaction that wrote nothing commits without a flush; it does not count.)
      stats_.commits += 1;
      std::size_t bucket = 0;
      while (bucket < std::size(WriterStats::kEventBuckets) && events > WriterStats::kEventBuckets[bucket]) ++bucket;
      stats_.events_per_commit[bucket] += 1;
      stats_.head = written->position;
      if (commit_listener_) {
        try {
          commit_listener_(written->position);
        } catch (const std::exception& e) {
          std::fprintf(stderr, "eventsd: writer: commit listener: %s\n", e.what());
        }
      }
    }
    return outcomes;
  }
}

}  // namespace eventsd
