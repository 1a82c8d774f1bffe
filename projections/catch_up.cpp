#include "projections/catch_up.h"

#include <stdexcept>
#include <string>

namespace eventsd {

namespace {
// Work per transaction: large enough to amortise the commit, small enough to keep the dirty
// page list of one transaction bounded.
constexpr std::uint64_t kRecordsPerTxn = 20'000;
constexpr std::uint64_t kEventsPerTxn = 50'000;
}  // namespace

std::uint64_t catch_up(Store& store, const Log& log, const ReadModels& models,
                       const Progress& progress) {
  std::uint64_t applied = 0, events = 0;
  const std::uint64_t head = log.head().position;
  store.write([&](lmdb::Txn& txn) {
    log.check_tail(txn);
    if (models.outdated(txn) || models.checkpoint(txn) == 0) models.reset(txn);
    if (models.checkpoint(txn) > head) {
      throw std::runtime_error("the read models have applied position " + std::to_string(models.checkpoint(txn)) +
                               " but the log ends at " + std::to_string(head) +
                               ": the log lost records (run eventctl verify)");
    }
  });
  for (;;) {
    std::uint64_t done_in_txn = 0, events_in_txn = 0, checkpoint = 0;
    bool more = false;
    store.write([&](lmdb::Txn& txn) {
      done_in_txn = events_in_txn = 0;
      checkpoint = models.checkpoint(txn);
      LogCursor cursor(txn, log);
      bool ok = cursor.seek(checkpoint + 1);
      for (; ok && done_in_txn < kRecordsPerTxn && events_in_txn < kEventsPerTxn; ok = cursor.next()) {
        RecordView view(cursor.bytes());
        checkpoint = cursor.position();
        const auto record = view.root();
        models.apply(txn, checkpoint, record);
        ++done_in_txn;
        if (record.getFact().isEventsIngested()) events_in_txn += record.getFact().getEventsIngested().getEvents().size();
      }
      more = ok;
    });
    applied += done_in_txn;
    events += events_in_txn;
    if (progress && done_in_txn > 0) progress(checkpoint, head, events);
    if (!more) return applied;
  }
}

}  // namespace eventsd
