#include "projections/catch_up.h"

namespace eventsd {

namespace {
// Records per transaction: large enough to amortise the commit, small enough to keep the dirty
// page list of one transaction bounded.
constexpr std::uint64_t kRecordsPerTxn = 20'000;
}  // namespace

std::uint64_t catch_up(Store& store, const Log& log, const ReadModels& models,
                       const Progress& progress) {
  std::uint64_t applied = 0;
  const std::uint64_t head = log.head().position;
  for (;;) {
    std::uint64_t done_in_txn = 0, checkpoint = 0;
    store.write([&](lmdb::Txn& txn) {
      done_in_txn = 0;
      checkpoint = models.checkpoint(txn);
      LogCursor cursor(txn, log);
      for (bool ok = cursor.seek(checkpoint + 1); ok && done_in_txn < kRecordsPerTxn; ok = cursor.next()) {
        RecordView view(cursor.bytes());
        checkpoint = cursor.position();
        models.apply(txn, checkpoint, view.root());
        ++done_in_txn;
      }
    });
    applied += done_in_txn;
    if (progress && done_in_txn > 0) progress(checkpoint, head);
    if (done_in_txn < kRecordsPerTxn) return applied;
  }
}

}  // namespace eventsd
