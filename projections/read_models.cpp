#include "projections/read_models.h"

#include <unordered_map>
#include <stdexcept>

#include "projections/rules.h"

namespace eventsd {

std::uint8_t index_flags(const EventView& e) {
  std::uint8_t f = 0;
  if (e.identified()) f |= kIdentified;
  if (e.suppressed()) f |= kSuppressed;
  return f;
}

class ReadModels::CountDeltas {
 public:
  void add(std::string_view key, std::uint8_t flags, bool insert) {
    auto it = deltas_.find(key);
    if (it == deltas_.end()) it = deltas_.emplace(std::string(key), Delta{}).first;
    auto& d = it->second;
    const std::int64_t n = insert ? 1 : -1;
    d[0] += n;
    if (flags & kIdentified) d[1] += n;
    if (flags & kSuppressed) d[2] += n;
    if ((flags & kIdentified) && (flags & kSuppressed)) d[3] += n;
  }

  void flush(const ReadModels& models, lmdb::Txn& txn) {
    for (const auto& [key, d] : deltas_) {
      Counters c = models.counters(txn, key);
      c.all += static_cast<std::uint64_t>(d[0]);
      c.identified += static_cast<std::uint64_t>(d[1]);
      c.suppressed += static_cast<std::uint64_t>(d[2]);
      c.identified_suppressed += static_cast<std::uint64_t>(d[3]);
      if (c.all == 0) {
        txn.del(models.dbs_.counts, key);
      } else {
        txn.put(models.dbs_.counts, key, rm::counts_value(c));
      }
    }
    deltas_.clear();
  }

 private:
  using Delta = std::array<std::int64_t, 4>;
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, Delta, Hash, std::equal_to<>> deltas_;
};

ReadModels::ReadModels(Store& store, const Log& log) : log_(log) {
  auto open = [&](const char* name) {
    const MDB_dbi dbi = store.db(name);
    all_.push_back(dbi);
    names_.emplace_back(name);
    return dbi;
  };
  dbs_.meta = open("rm_meta");
  dbs_.tenants = open("rm_tenants");
  dbs_.events = open("rm_events");
  dbs_.ids = open("rm_ids");
  dbs_.by_time = open("rm_by_time");
  dbs_.by_type = open("rm_by_type");
  dbs_.by_contact = open("rm_by_contact");
  dbs_.by_domain = open("rm_by_domain");
  dbs_.by_campaign = open("rm_by_campaign");
  dbs_.counts = open("rm_counts");
  dbs_.campaigns = open("rm_campaigns");
  dbs_.campaign_expiry = open("rm_campaign_expiry");
  dbs_.contacts = open("rm_contacts");
  dbs_.companies = open("rm_companies");
  dbs_.aliases = open("rm_aliases");
  dbs_.merged = open("rm_merged");
  dbs_.rules = open("rm_rules");
  dbs_.audit = open("rm_audit");
  const auto& names = SessionsModel::kDbNames;
  sessions_ = SessionsModel({open(names[0]), open(names[1]), open(names[2]), open(names[3])});
}

std::uint64_t ReadModels::checkpoint(const lmdb::Txn& txn) const {
  std::string_view v;
  return txn.get(dbs_.meta, rm::kCheckpointKey, v) ? keys::load_native_u64(v) : 0;
}

bool ReadModels::outdated(const lmdb::Txn& txn) const {
  std::string_view v;
  return !txn.get(dbs_.meta, rm::kLayoutKey, v) || keys::load_native_u64(v) != kLayoutVersion;
}

void ReadModels::stamp(lmdb::Txn& txn) const {
  const std::uint64_t version = kLayoutVersion;
  txn.put(dbs_.meta, rm::kLayoutKey, keys::native_u64(version));
}

std::optional<std::uint32_t> ReadModels::tenant_no(const lmdb::Txn& txn,
                                                   std::string_view tenant) const {
  std::string_view v;
  if (!txn.get(dbs_.tenants, tenant, v)) return std::nullopt;
  return rm::read_tenants_value(v);
}

std::uint32_t ReadModels::assign_tenant(lmdb::Txn& txn, std::string_view tenant) const {
  if (auto tno = tenant_no(txn, tenant)) return *tno;
  std::string_view v;
  const std::uint64_t next = txn.get(dbs_.meta, rm::kNextTenantKey, v) ? keys::load_native_u64(v) : 1;
  txn.put(dbs_.tenants, tenant, rm::tenants_value(static_cast<std::uint32_t>(next)));
  const std::uint64_t after = next + 1;
  txn.put(dbs_.meta, rm::kNextTenantKey, keys::native_u64(after));
  return static_cast<std::uint32_t>(next);
}

Counters ReadModels::counters(const lmdb::Txn& txn, std::string_view key) const {
  std::string_view v;
  return txn.get(dbs_.counts, key, v) ? rm::read_counts_value(v) : Counters{};
}

bool ReadModels::campaign_exists(const lmdb::Txn& txn, std::uint32_t tno,
                                 std::string_view campaign) const {
  std::string_view v;
  return txn.get(dbs_.campaigns, rm::campaigns_key(tno, campaign), v);
}

void ReadModels::audit(lmdb::Txn& txn, std::uint32_t tno, std::string_view id,
                       std::uint64_t position, std::uint64_t seq) const {
  txn.put(dbs_.audit, rm::audit_key(tno, id, position), rm::seq_value(seq));
}

std::optional<std::uint64_t> ReadModels::find_seq(const lmdb::Txn& txn, std::uint32_t tno,
                                                  std::string_view id) const {
  std::string_view v;
  if (!txn.get(dbs_.ids, rm::ids_key(tno, id), v)) return std::nullopt;
  return rm::read_seq_value(v);
}

void ReadModels::apply(lmdb::Txn& txn, const lmdb::Txn& log_txn, std::uint64_t position,
                       schema::LogRecord::Reader record) const {
  const auto fact = record.getFact();
  CountDeltas counts;
  // The log is another environment, read in its own snapshot: its memory stays valid while the
  // read models are written.
  LogEvents events(log_txn, log_);
  if (fact.isEventsIngested()) {
    const std::uint32_t tno = assign_tenant(txn, text_view(record.getTenant()));
    std::uint32_t index = 0;
    for (auto event : fact.getEventsIngested().getEvents()) {
      insert_event(txn, counts, tno, event_seq(position, index++), event);
    }
  }
  mutate(txn, counts, events, position, record);
  counts.flush(*this, txn);
  txn.put(dbs_.meta, rm::kCheckpointKey, keys::native_u64(position));
}

void ReadModels::apply_mutations(lmdb::Txn& txn, const lmdb::Txn& log_txn, std::uint64_t position,
                                 schema::LogRecord::Reader record) const {
  CountDeltas counts;
  LogEvents events(log_txn, log_);
  mutate(txn, counts, events, position, record);
  counts.flush(*this, txn);
}

bool ReadModels::mutates(schema::LogRecord::Reader record) {
  const auto fact = record.getFact();
  return !fact.isEventsIngested() || fact.getEventsIngested().hasRegrouped();
}

void ReadModels::mutate(lmdb::Txn& txn, CountDeltas& counts, LogEvents& events, std::uint64_t position,
                        schema::LogRecord::Reader record) const {
  const auto fact = record.getFact();
  switch (fact.which()) {
    case schema::LogRecord::Fact::EVENTS_INGESTED: {
      const auto ingested = fact.getEventsIngested();
      if (!ingested.hasRegrouped()) break;
      const std::uint32_t tno = assign_tenant(txn, text_view(record.getTenant()));
      for (auto id : ingested.getRegrouped()) {
        if (auto seq = find_seq(txn, tno, text_view(id))) {
          audit(txn, tno, text_view(id), position, *seq);
          change_event(txn, counts, events, tno, *seq, [](EventOverlay& o) {
            o.suppression = schema::SuppressionReason::INORGANIC_GROUPED;
          });
        }
      }
      break;
    }
    case schema::LogRecord::Fact::CONTACTS_MERGED: {
      const std::uint32_t tno = assign_tenant(txn, text_view(record.getTenant()));
      for (auto id : fact.getContactsMerged().getMoved()) {
        if (auto seq = find_seq(txn, tno, text_view(id))) audit(txn, tno, text_view(id), position, *seq);
      }
      merge_contacts(txn, counts, events, tno, fact.getContactsMerged());
      break;
    }
    case schema::LogRecord::Fact::SUPPRESSION_RULES_SET:
      txn.put(dbs_.rules, rm::rules_key(assign_tenant(txn, text_view(record.getTenant())), RuleKind::suppression),
              suppression_rules_json(fact.getSuppressionRulesSet()));
      break;
    case schema::LogRecord::Fact::SCORING_RULES_SET:
      txn.put(dbs_.rules, rm::rules_key(assign_tenant(txn, text_view(record.getTenant())), RuleKind::scoring),
              scoring_rules_json(fact.getScoringRulesSet()));
      break;
    case schema::LogRecord::Fact::EVENTS_DELETED: {
      const auto tno = tenant_no(txn, text_view(record.getTenant()));
      if (!tno) break;
      for (auto id : fact.getEventsDeleted().getIds()) {
        if (auto seq = find_seq(txn, *tno, text_view(id))) {
          remove_event(txn, counts, events, *tno, *seq);
          audit(txn, *tno, text_view(id), position, *seq);
        }
      }
      break;
    }
    case schema::LogRecord::Fact::RETENTION_APPLIED:
      apply_retention(txn, counts, events, fact.getRetentionApplied(), position);
      break;
    case schema::LogRecord::Fact::CONTACT_UPSERTED:
      upsert_contact(txn, assign_tenant(txn, text_view(record.getTenant())), fact.getContactUpserted());
      break;
  }
}

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
