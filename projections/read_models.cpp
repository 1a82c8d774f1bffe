// The read models' databases and their small lookups. What a record does to them is in
// apply_record.cpp, an event's index entries in event_index.cpp.
#include "projections/read_models.h"

#include "eventlog/keys.h"

namespace eventsd {

std::uint8_t index_flags(const EventView& e) {
  std::uint8_t f = 0;
  if (e.identified()) f |= kIdentified;
  if (e.suppressed()) f |= kSuppressed;
  return f;
}

ReadModels::ReadModels(Store& store, const Log& log) : log_(log) {
  dbs_.meta = all_.open(store, "rm_meta");
  dbs_.tenants = all_.open(store, "rm_tenants");
  dbs_.events = all_.open(store, "rm_events");
  dbs_.ids = all_.open(store, "rm_ids");
  dbs_.by_time = all_.open(store, "rm_by_time");
  dbs_.by_type = all_.open(store, "rm_by_type");
  dbs_.by_contact = all_.open(store, "rm_by_contact");
  dbs_.by_domain = all_.open(store, "rm_by_domain");
  dbs_.by_campaign = all_.open(store, "rm_by_campaign");
  dbs_.counts = all_.open(store, "rm_counts");
  dbs_.campaigns = all_.open(store, "rm_campaigns");
  dbs_.campaign_expiry = all_.open(store, "rm_campaign_expiry");
  dbs_.contacts = all_.open(store, "rm_contacts");
  dbs_.companies = all_.open(store, "rm_companies");
  dbs_.aliases = all_.open(store, "rm_aliases");
  dbs_.emails = all_.open(store, "rm_emails");
  dbs_.merged = all_.open(store, "rm_merged");
  dbs_.rules = all_.open(store, "rm_rules");
  dbs_.audit = all_.open(store, "rm_audit");
  const auto& names = SessionsModel::kDbNames;
  sessions_ = SessionsModel({all_.open(store, names[0]), all_.open(store, names[1]), all_.open(store, names[2]),
                             all_.open(store, names[3])});
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

std::optional<std::uint64_t> ReadModels::find_seq(const lmdb::Txn& txn, std::uint32_t tno,
                                                  std::string_view id) const {
  std::string_view v;
  if (!txn.get(dbs_.ids, rm::ids_key(tno, id), v)) return std::nullopt;
  return rm::read_seq_value(v);
}

}  // namespace eventsd
