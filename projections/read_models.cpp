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

std::optional<std::uint64_t> ReadModels::find_seq(const lmdb::Txn& txn, std::uint32_t tno,
                                                  std::string_view id) const {
  std::string_view v;
  if (!txn.get(dbs_.ids, rm::ids_key(tno, id), v)) return std::nullopt;
  return rm::read_seq_value(v);
}

}  // namespace eventsd
