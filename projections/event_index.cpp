// An event's entries in the read models: rm_events and rm_ids, every index (rm_by_*,
// rm_campaign_expiry, rm_campaigns), its counters and its sessions — put when it is ingested,
// taken out when it is deleted or purged, and both around a change of its overlay (a merge, a
// regrouping), so that every entry says what the event is now.
#include <stdexcept>

#include "projections/count_deltas.h"
#include "projections/read_models.h"

namespace eventsd {

void ReadModels::change_event(lmdb::Txn& txn, CountDeltas& counts, LogEvents& events, std::uint32_t tno,
                              std::uint64_t seq, const std::function<void(EventOverlay&)>& change) const {
  const rm::Key key = rm::events_key(tno, seq);
  std::string_view value;
  if (!txn.get(dbs_.events, key, value)) return;
  auto base = events.get(seq);
  if (!base) throw std::runtime_error("rm_events names an event the log does not hold");
  EventView view{*base, EventOverlay::decode(value)};
  index(txn, counts, tno, seq, view, false);
  change(view.overlay);
  index(txn, counts, tno, seq, view, true);
  txn.put(dbs_.events, key, view.overlay.encode());
}

void ReadModels::insert_event(lmdb::Txn& txn, CountDeltas& counts, std::uint32_t tno,
                              std::uint64_t seq, schema::Event::Reader event) const {
  // Sequence numbers only grow, and server-made ids too: these usually go at the end.
  txn.put_likely_last(dbs_.events, rm::events_key(tno, seq), std::string_view());
  txn.put_likely_last(dbs_.ids, rm::ids_key(tno, text_view(event.getId())), rm::seq_value(seq));
  index(txn, counts, tno, seq, EventView{event, {}}, true);
}

void ReadModels::remove_event(lmdb::Txn& txn, CountDeltas& counts, LogEvents& events,
                              std::uint32_t tno, std::uint64_t seq) const {
  const rm::Key key = rm::events_key(tno, seq);
  std::string_view overlay;
  if (!txn.get(dbs_.events, key, overlay)) return;
  auto base = events.get(seq);
  if (!base) throw std::runtime_error("rm_events names an event the log does not hold");
  // The overlay lives in the map and the next write may move it: keep a copy while indexing.
  const std::string overlay_copy(overlay);
  const EventView view{*base, EventOverlay::decode(overlay_copy)};
  index(txn, counts, tno, seq, view, false);
  txn.del(dbs_.ids, rm::ids_key(tno, text_view(base->getId())));
  txn.del(dbs_.events, key);
}

void ReadModels::index(lmdb::Txn& txn, CountDeltas& counts, std::uint32_t tno, std::uint64_t seq,
                       const EventView& e, bool insert) const {
  const std::uint8_t flags = index_flags(e);
  const std::string_view flag_value = rm::flags_value(flags);
  const auto reason = static_cast<std::uint8_t>(e.suppression());
  const std::int64_t ts = e.base.getTimestamp();
  auto entry = [&](MDB_dbi db, const rm::Key& key) {
    if (insert) txn.put(db, key, flag_value);
    else txn.del(db, key);
  };
  const std::string_view name = text_view(e.base.getEvent());
  const std::string_view domain = e.base.hasDomain() ? text_view(e.base.getDomain()) : "";
  const Millis day = day_start(ts);
  // Live events mostly arrive in time order: the time index usually grows at its end.
  if (insert) txn.put_likely_last(dbs_.by_time, rm::by_time_key(tno, ts, seq), flag_value);
  else txn.del(dbs_.by_time, rm::by_time_key(tno, ts, seq));
  entry(dbs_.by_type, rm::by_type_key(tno, name, ts, seq));
  counts.add(rm::counts_tenant_key(tno), flags, insert);
  counts.add(rm::counts_named_key(tno, CountKind::type, name), flags, insert);
  counts.add(rm::counts_type_domain_key(tno, name, domain), flags, insert);
  counts.add(rm::counts_day_type_domain_key(tno, day, name, domain), flags, insert);
  counts.add(rm::counts_day_key(tno, day), flags, insert);
  if (flags & kSuppressed) {
    counts.add(rm::counts_reason_key(tno, reason), flags, insert);
    counts.add(rm::counts_day_reason_key(tno, day, reason), flags, insert);
  }
  if (auto contact = e.contact_id()) {
    const rm::Key key = rm::by_contact_key(tno, *contact, ts, seq);
    if (insert) {
      txn.put(dbs_.by_contact, key, rm::by_contact_value(flags, e.base.getPoints(), name));
    } else {
      txn.del(dbs_.by_contact, key);
    }
  }
  if (e.base.hasDomain()) {
    entry(dbs_.by_domain, rm::by_domain_key(tno, domain, ts, seq));
    counts.add(rm::counts_named_key(tno, CountKind::domain, domain), flags, insert);
  }
  sessions_.index(txn, tno, seq, e, insert);
  if (e.base.hasCampaignId()) {
    const std::string_view campaign = text_view(e.base.getCampaignId());
    entry(dbs_.by_campaign, rm::by_campaign_key(tno, campaign, ts, seq));
    entry(dbs_.campaign_expiry, rm::campaign_expiry_key(ts, tno, seq));
    if (insert) txn.put(dbs_.campaigns, rm::campaigns_key(tno, campaign), std::string_view());
    counts.add(rm::counts_named_key(tno, CountKind::campaign, campaign), flags, insert);
  }
}

}  // namespace eventsd
