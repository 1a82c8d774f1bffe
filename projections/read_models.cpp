#include "projections/read_models.h"

#include <cstring>
#include <stdexcept>

#include "eventlog/keys.h"
#include "projections/stored_event.h"

namespace eventsd {

using keys::Key;

namespace {
constexpr std::string_view kCheckpoint = "checkpoint";
constexpr std::string_view kNextTenant = "next_tenant";

std::uint8_t flags_of(schema::Event::Reader e) {
  std::uint8_t f = 0;
  if (e.hasContactId()) f |= kIdentified;
  if (e.getSuppression() != schema::SuppressionReason::NONE) f |= kSuppressed;
  return f;
}

std::string_view sv(capnp::Text::Reader t) { return {t.cStr(), t.size()}; }
}  // namespace

ReadModels::ReadModels(Store& store) {
  dbs_.meta = store.db("rm_meta");
  dbs_.tenants = store.db("rm_tenants");
  dbs_.events = store.db("rm_events");
  dbs_.ids = store.db("rm_ids");
  dbs_.by_time = store.db("rm_by_time");
  dbs_.by_type = store.db("rm_by_type");
  dbs_.by_contact = store.db("rm_by_contact");
  dbs_.by_domain = store.db("rm_by_domain");
  dbs_.by_campaign = store.db("rm_by_campaign");
  dbs_.counts = store.db("rm_counts");
}

std::vector<MDB_dbi> ReadModels::all_dbs() const {
  return {dbs_.meta,      dbs_.tenants,   dbs_.events,     dbs_.ids,         dbs_.by_time,
          dbs_.by_type,   dbs_.by_contact, dbs_.by_domain, dbs_.by_campaign, dbs_.counts};
}

std::uint64_t ReadModels::checkpoint(const lmdb::Txn& txn) const {
  std::string_view v;
  return txn.get(dbs_.meta, kCheckpoint, v) ? keys::load_native_u64(v) : 0;
}

std::optional<std::uint32_t> ReadModels::tenant_no(const lmdb::Txn& txn,
                                                   std::string_view tenant) const {
  std::string_view v;
  if (!txn.get(dbs_.tenants, tenant, v)) return std::nullopt;
  return keys::read_u32(v, 0);
}

std::uint32_t ReadModels::assign_tenant(lmdb::Txn& txn, std::string_view tenant) const {
  if (auto tno = tenant_no(txn, tenant)) return *tno;
  std::string_view v;
  const std::uint64_t next = txn.get(dbs_.meta, kNextTenant, v) ? keys::load_native_u64(v) : 1;
  txn.put(dbs_.tenants, tenant, Key().u32(static_cast<std::uint32_t>(next)));
  const std::uint64_t after = next + 1;
  txn.put(dbs_.meta, kNextTenant, keys::native_u64(after));
  return static_cast<std::uint32_t>(next);
}

Counters ReadModels::counters(const lmdb::Txn& txn, std::string_view key) const {
  Counters c;
  std::string_view v;
  if (txn.get(dbs_.counts, key, v) && v.size() == sizeof c) std::memcpy(&c, v.data(), sizeof c);
  return c;
}

std::optional<std::uint64_t> ReadModels::find_seq(const lmdb::Txn& txn, std::uint32_t tno,
                                                  std::string_view id) const {
  std::string_view v;
  if (!txn.get(dbs_.ids, Key().u32(tno).raw(id), v)) return std::nullopt;
  return keys::read_u64(v, 0);
}

void ReadModels::apply(lmdb::Txn& txn, std::uint64_t position,
                       schema::LogRecord::Reader record) const {
  const auto fact = record.getFact();
  switch (fact.which()) {
    case schema::LogRecord::Fact::EVENTS_INGESTED: {
      const std::uint32_t tno = assign_tenant(txn, sv(record.getTenant()));
      std::uint32_t index = 0;
      for (auto event : fact.getEventsIngested().getEvents()) {
        insert_event(txn, tno, event_seq(position, index++), event);
      }
      break;
    }
    case schema::LogRecord::Fact::EVENTS_DELETED: {
      const auto tno = tenant_no(txn, sv(record.getTenant()));
      if (!tno) break;
      for (auto id : fact.getEventsDeleted().getIds()) {
        if (auto seq = find_seq(txn, *tno, sv(id))) remove_event(txn, *tno, *seq);
      }
      break;
    }
  }
  txn.put(dbs_.meta, kCheckpoint, keys::native_u64(position));
}

void ReadModels::insert_event(lmdb::Txn& txn, std::uint32_t tno, std::uint64_t seq,
                              schema::Event::Reader event) const {
  txn.put(dbs_.events, Key().u32(tno).u64(seq), encode_event(event));
  txn.put(dbs_.ids, Key().u32(tno).raw(sv(event.getId())), Key().u64(seq));
  index(txn, tno, seq, event, true);
}

void ReadModels::remove_event(lmdb::Txn& txn, std::uint32_t tno, std::uint64_t seq) const {
  const Key key = Key().u32(tno).u64(seq);
  std::string_view bytes;
  if (!txn.get(dbs_.events, key, bytes)) return;
  // The value lives in the map and the next write may move it: decode from a copy.
  EventMessage message(bytes);
  auto event = message.get();
  index(txn, tno, seq, event, false);
  txn.del(dbs_.ids, Key().u32(tno).raw(sv(event.getId())));
  txn.del(dbs_.events, key);
}

void ReadModels::index(lmdb::Txn& txn, std::uint32_t tno, std::uint64_t seq,
                       schema::Event::Reader e, bool insert) const {
  const std::uint8_t flags = flags_of(e);
  const std::string_view flag_value(reinterpret_cast<const char*>(&flags), 1);
  const std::int64_t ts = e.getTimestamp();
  auto entry = [&](MDB_dbi db, const Key& key) {
    if (insert) txn.put(db, key, flag_value);
    else txn.del(db, key);
  };
  entry(dbs_.by_time, Key().u32(tno).i64(ts).u64(seq));
  entry(dbs_.by_type, Key().u32(tno).str(sv(e.getEvent())).i64(ts).u64(seq));
  bump(txn, Key().u32(tno).u8(static_cast<std::uint8_t>(CountKind::tenant)), flags, insert);
  bump(txn, Key().u32(tno).u8(static_cast<std::uint8_t>(CountKind::type)).str(sv(e.getEvent())),
       flags, insert);
  if (e.hasContactId()) {
    entry(dbs_.by_contact, Key().u32(tno).str(sv(e.getContactId())).i64(ts).u64(seq));
    bump(txn,
         Key().u32(tno).u8(static_cast<std::uint8_t>(CountKind::contact)).str(sv(e.getContactId())),
         flags, insert);
  }
  if (e.hasDomain()) {
    entry(dbs_.by_domain, Key().u32(tno).str(sv(e.getDomain())).i64(ts).u64(seq));
    bump(txn, Key().u32(tno).u8(static_cast<std::uint8_t>(CountKind::domain)).str(sv(e.getDomain())),
         flags, insert);
  }
  if (e.hasCampaignId()) {
    entry(dbs_.by_campaign, Key().u32(tno).str(sv(e.getCampaignId())).i64(ts).u64(seq));
    bump(txn,
         Key().u32(tno).u8(static_cast<std::uint8_t>(CountKind::campaign)).str(sv(e.getCampaignId())),
         flags, insert);
  }
}

void ReadModels::bump(lmdb::Txn& txn, std::string_view key, std::uint8_t flags,
                      bool insert) const {
  Counters c = counters(txn, key);
  const std::uint64_t d = insert ? 1 : std::uint64_t(-1);
  c.all += d;
  if (flags & kIdentified) c.identified += d;
  if (flags & kSuppressed) c.suppressed += d;
  if ((flags & kIdentified) && (flags & kSuppressed)) c.identified_suppressed += d;
  if (c.all == 0) {
    txn.del(dbs_.counts, key);
  } else {
    txn.put(dbs_.counts, key, std::string_view(reinterpret_cast<const char*>(&c), sizeof c));
  }
}

}  // namespace eventsd
