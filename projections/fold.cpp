#include "projections/fold.h"

#include <stdexcept>
#include <string>

namespace eventsd {

Folded fold_step(Generation& generation, const Store& log_store, const Log& log, const FoldLimits& limits) {
  Folded out;
  const ReadModels& models = generation.models();
  // The read models' transaction first: a log snapshot taken after it holds every record the
  // generation's checkpoint names.
  auto txn = generation.store().begin_write();
  auto log_snapshot = log_store.read();
  out.checkpoint = models.checkpoint(txn);
  LogCursor cursor(log_snapshot.txn(), log);
  bool ok = cursor.seek(out.checkpoint + 1);
  if (ok && cursor.position() != out.checkpoint + 1) {
    throw std::runtime_error("the log has no record at position " + std::to_string(out.checkpoint + 1));
  }
  if (ok && cursor.position() > limits.until) ok = false;
  for (; ok && out.records < limits.records && out.events < limits.events;
       ok = cursor.next() && cursor.position() <= limits.until) {
    const std::uint64_t position = cursor.position();
    RecordView view(cursor.bytes());
    const auto record = view.root();
    models.apply(txn, log_snapshot.txn(), position, record);
    out.checkpoint = position;
    ++out.records;
    if (record.getFact().isEventsIngested()) out.events += record.getFact().getEventsIngested().getEvents().size();
  }
  out.at_end = !ok;
  if (out.records > 0) txn.commit();
  return out;
}

}  // namespace eventsd
