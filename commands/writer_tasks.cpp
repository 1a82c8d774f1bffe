// Tasks on the writer thread (Writer::submit_task): work that is not a command — a batch
// received from a shard's stream, an owner claim — run in transactions of their own. What a task
// appends is folded into the write model before the commit, as a command's record is.
#include <cstdio>

#include "commands/writer.h"

namespace eventsd {

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
