// The write model's databases, and bringing them to the log's head: a fold of the records the
// write model has not seen (after an upgrade or a layout change), in transactions of bounded
// size. The fold itself is in write_model_fold.cpp, the queries in write_model_queries.cpp.
#include "commands/write_model.h"

#include <stdexcept>

#include "commands/write_model_layout.h"

namespace eventsd {

using namespace write_model_layout;

namespace {

// Work per transaction when folding many records (catch_up).
constexpr std::uint64_t kRecordsPerTxn = 20'000;
constexpr std::uint64_t kEventsPerTxn = 100'000;

}  // namespace

WriteModel::WriteModel(Store& store, const Log& log) : log_(log) {
  dbs_.meta = all_.open(store, "wm_meta");
  dbs_.tenants = all_.open(store, "wm_tenants");
  dbs_.ids = all_.open(store, "wm_ids");
  dbs_.aliases = all_.open(store, "wm_aliases");
  dbs_.members = all_.open(store, "wm_members");
  dbs_.rules = all_.open(store, "wm_rules");
  dbs_.contact_events = all_.open(store, "wm_contact_events");
  dbs_.campaign_events = all_.open(store, "wm_campaign_events");
}

std::uint64_t WriteModel::checkpoint(const lmdb::Txn& txn) const {
  return meta_u64(txn, dbs_.meta, kCheckpoint);
}

void WriteModel::reset(lmdb::Txn& txn) const {
  for (auto db : all_.dbs()) txn.clear(db);
  put_u64(txn, dbs_.meta, kLayout, kLayoutVersion);
}

std::uint64_t WriteModel::catch_up(Store& store) const {
  std::uint64_t total = 0;
  for (;;) {
    std::uint64_t folded = 0;
    store.write([&](lmdb::Txn& txn) {
      folded = 0;
      if (meta_u64(txn, dbs_.meta, kLayout) != kLayoutVersion) reset(txn);
      const std::uint64_t from = checkpoint(txn);
      if (from > log_.head().position) {
        throw std::runtime_error("the write model has folded position " + std::to_string(from) +
                                 " but the log ends at " + std::to_string(log_.head().position) +
                                 ": the log lost records (run eventctl verify)");
      }
      std::uint64_t events = 0;
      LogCursor cursor(txn, log_);
      for (bool ok = cursor.seek(from + 1); ok && folded < kRecordsPerTxn && events < kEventsPerTxn;
           ok = cursor.next()) {
        // Decoded from a copy: the fold writes between reads of the log.
        RecordView view(cursor.bytes(), true);
        apply(txn, cursor.position(), view.root());
        ++folded;
        const auto fact = view.root().getFact();
        if (fact.isEventsIngested()) events += fact.getEventsIngested().getEvents().size();
      }
    });
    total += folded;
    if (folded == 0) return total;
  }
}

}  // namespace eventsd
