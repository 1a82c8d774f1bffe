#include "projections/audit.h"

#include "eventlog/keys.h"

namespace eventsd {

std::size_t audit_event(const ReadModels& models, const lmdb::Txn& txn, std::uint32_t tno,
                        std::string_view id,
                        const std::function<void(std::uint64_t, schema::LogRecord::Reader)>& visit) {
  const keys::Key prefix = keys::Key().u32(tno).str(id);
  std::vector<std::uint64_t> positions;
  {
    lmdb::Cursor cursor(txn, models.dbs().audit);
    for (bool ok = cursor.seek(prefix); ok && cursor.key().starts_with(prefix.view()); ok = cursor.next()) {
      if (cursor.key().size() == prefix.size() + 8) positions.push_back(keys::read_u64(cursor.key(), prefix.size()));
    }
  }
  for (auto position : positions) {
    std::string_view bytes;
    if (!models.log().read(txn, position, bytes)) continue;
    RecordView view(bytes);
    visit(position, view.root());
  }
  return positions.size();
}

}  // namespace eventsd
