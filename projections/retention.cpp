// Campaign retention as the read models fold it (ReadModels::apply_retention): the events a
// RetentionApplied record purges leave every index and count, each with an audit entry.
#include <utility>
#include <vector>

#include "projections/read_models.h"

namespace eventsd {

void ReadModels::apply_retention(lmdb::Txn& txn, CountDeltas& counts, LogEvents& events,
                                 schema::RetentionApplied::Reader fact, std::uint64_t position) const {
  // (tenant number, seq) of the events the record purges: those it lists, or (a record written
  // before retention took steps) every campaign event older than the cutoff. Collected first:
  // removing an event deletes its expiry entry under the cursor.
  std::vector<std::pair<std::uint32_t, std::uint64_t>> expired;
  if (fact.getListed()) {
    for (auto e : fact.getEvents()) {
      const auto tno = tenant_no(txn, text_view(e.getTenant()));
      const auto seq = tno ? find_seq(txn, *tno, text_view(e.getId())) : std::nullopt;
      if (seq) expired.emplace_back(*tno, *seq);
    }
  } else {
    lmdb::Cursor cursor(txn, dbs_.campaign_expiry);
    for (bool ok = cursor.first(); ok; ok = cursor.next()) {
      const rm::CampaignExpiry entry = rm::read_campaign_expiry_key(cursor.key());
      if (entry.ts >= fact.getCampaignCutoff()) break;
      expired.emplace_back(entry.tno, entry.seq);
    }
  }
  for (const auto& [tno, seq] : expired) {
    if (auto e = events.get(seq)) audit(txn, tno, text_view(e->getId()), position, seq);
    remove_event(txn, counts, events, tno, seq);
  }
}

}  // namespace eventsd
