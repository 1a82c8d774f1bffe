#include "projections/audit.h"

#include <set>

namespace eventsd {

std::size_t audit_event(const ReadView& view, std::uint32_t tno,
                        std::string_view id,
                        const std::function<void(std::uint64_t, schema::LogRecord::Reader)>& visit) {
  const ReadModels& models = view.models;
  const lmdb::Txn& txn = view.txn;
  // The records that changed the event are in rm_audit, each with the event's sequence number;
  // the ingestions are the positions inside those sequence numbers (an id deleted and used again
  // names several events), and the live event's.
  std::set<std::uint64_t> positions;
  if (auto seq = models.find_seq(txn, tno, id)) positions.insert(seq_position(*seq));
  const rm::Key prefix = rm::audit_prefix(tno, id);
  {
    lmdb::Cursor cursor(txn, models.dbs().audit);
    for (bool ok = cursor.seek(prefix); ok && cursor.key().starts_with(prefix.view()); ok = cursor.next()) {
      if (cursor.key().size() != prefix.size() + 8 || cursor.value().size() != 8) continue;
      positions.insert(rm::audit_key_position(cursor.key()));
      positions.insert(seq_position(rm::read_seq_value(cursor.value())));
    }
  }
  for (auto position : positions) {
    std::string_view bytes;
    if (!models.log().read(view.log_txn, position, bytes)) continue;
    RecordView view(bytes);
    visit(position, view.root());
  }
  return positions.size();
}

}  // namespace eventsd
