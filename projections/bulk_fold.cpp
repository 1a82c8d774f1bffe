// The bulk fold's three passes (bulk_fold.h): collecting the log prefix (bulk_collect.h), writing
// each database in key order (bulk_write.h), then applying, record by record, what the records do
// beyond inserting their events (here).
#include "projections/bulk_fold.h"

#include <algorithm>

#include "eventlog/log_events.h"
#include "projections/bulk_collect.h"
#include "projections/bulk_write.h"
#include "projections/read_models.h"

namespace eventsd {

namespace {

// Pass 3: what the records do beyond inserting their events, in log order, and the checkpoint.
void apply_mutations(const bulk::Collected& c, Generation& generation, const Store& log_store) {
  const ReadModels& models = generation.models();
  auto log_snapshot = log_store.read();
  constexpr std::size_t kPerTxn = 2'000;
  std::size_t r = 0;
  for (std::size_t i = 0; i < c.mutations.size() || r < c.reused.size();) {
    generation.store().write([&](lmdb::Txn& txn) {
      for (std::size_t n = 0; n < kPerTxn && (i < c.mutations.size() || r < c.reused.size()); ++n) {
        // A record's own ids first, as ReadModels::apply inserts its events before the rest.
        if (r < c.reused.size() && (i == c.mutations.size() || c.reused[r].position <= c.mutations[i].position)) {
          const auto& reused = c.reused[r++];
          txn.put(models.dbs().ids, rm::ids_key(reused.tno, reused.id.id), rm::seq_value(reused.id.seq));
          continue;
        }
        const auto& m = c.mutations[i++];
        models.apply_mutations(txn, log_snapshot.txn(), m.position, c.views[m.view]->root());
      }
    });
  }
  generation.store().write(
      [&](lmdb::Txn& txn) { txn.put(models.dbs().meta, rm::kCheckpointKey, keys::native_u64(c.last)); });
}

std::uint64_t log_snapshot_head(const Store& log_store, const Log& log) {
  auto reader = log_store.read();
  LogCursor cursor(reader.txn(), log);
  return cursor.last() ? cursor.position() : 0;
}

}  // namespace

Folded bulk_fold(Generation& generation, const Store& log_store, const Log& log, const BulkLimits& limits,
                 const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
  if (generation.checkpoint() != 0) return {};
  // One snapshot of the log for the whole fold: the records kept for pass 3 are views into it.
  auto log_snapshot = log_store.read();
  bulk::Collected collected;
  if (!bulk::collect(log_snapshot.txn(), log, limits, progress, collected)) return {};
  bulk::write_databases(collected, generation);
  apply_mutations(collected, generation, log_store);
  Folded out;
  out.checkpoint = collected.last;
  out.records = collected.last;
  out.events = collected.events;
  out.at_end = collected.last == std::min(limits.until, log_snapshot_head(log_store, log));
  return out;
}

}  // namespace eventsd
