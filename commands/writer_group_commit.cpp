// The group commit of commands: one write transaction decides each command of a batch against
// the write model, appends its record to the log and folds it into the write model; the
// replication hook (cluster mode) stores the records elsewhere before the one commit; then the
// outcomes go to the delivery, and a command decided in steps goes back into the queue.
#include <capnp/message.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>

#include "commands/decide.h"
#include "commands/writer.h"

namespace eventsd {

namespace {

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

void set_position(Outcome& outcome, std::uint64_t position) {
  std::visit([position](auto& o) {
    if constexpr (requires { o.position; }) o.position = position;
  }, outcome);
}

}  // namespace

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

}  // namespace eventsd
