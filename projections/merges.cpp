// Contact merges as the read models fold them: the moved events change contact (keeping the one
// they were first recorded for), and aliases make every name `from` stood for stand for `into`.
#include <string>
#include <vector>

#include "projections/read_models.h"

namespace eventsd {

std::string ReadModels::resolve_contact(const lmdb::Txn& txn, std::uint32_t tno,
                                        std::string_view contact) const {
  std::string_view v;
  if (txn.get(dbs_.aliases, rm::aliases_key(tno, contact), v)) return std::string(v);
  return std::string(contact);
}

void ReadModels::merge_contacts(lmdb::Txn& txn, CountDeltas& counts, LogEvents& events, std::uint32_t tno,
                                schema::ContactsMerged::Reader fact) const {
  const std::string from(text_view(fact.getFrom()));
  const std::string into(text_view(fact.getInto()));
  for (auto id : fact.getMoved()) {
    if (auto seq = find_seq(txn, tno, text_view(id))) {
      change_event(txn, counts, events, tno, *seq, [&](EventOverlay& o) {
        // The event keeps the contact it was first recorded for, through any chain of merges.
        if (!o.original_contact_id) {
          auto base = events.get(*seq);
          o.original_contact_id = base && base->hasOriginalContactId()
                                      ? std::string(text_view(base->getOriginalContactId()))
                                      : from;
        }
        o.contact_id = into;
      });
    }
  }
  // `from` and everything merged into it now stand for `into`: one hop, always.
  std::vector<std::string> members{from};
  {
    const rm::Key prefix = rm::merged_prefix(tno, from);
    lmdb::Cursor cursor(txn, dbs_.merged);
    for (bool ok = cursor.seek(prefix); ok && cursor.key().starts_with(prefix.view()); ok = cursor.next()) {
      members.emplace_back(rm::merged_key_member(cursor.key(), prefix.size()));
    }
  }
  for (const auto& m : members) {
    txn.put(dbs_.aliases, rm::aliases_key(tno, m), into);
    txn.del(dbs_.merged, rm::merged_key(tno, from, m));
    txn.put(dbs_.merged, rm::merged_key(tno, into, m), std::string_view());
  }
}

}  // namespace eventsd
