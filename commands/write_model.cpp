#include "commands/write_model.h"

#include <capnp/message.h>
#include <capnp/serialize.h>

#include <cstring>
#include <stdexcept>

#include "eventlog/keys.h"
#include "eventlog/log_events.h"

namespace eventsd {

using keys::Key;

namespace {

constexpr std::string_view kLayout = "layout";
constexpr std::string_view kCheckpoint = "checkpoint";
constexpr std::string_view kNextTenant = "next_tenant";
constexpr std::uint8_t kSuppressedFlag = 1;
constexpr std::uint8_t kSuppressionRules = 1, kScoringRules = 2;

// Work per transaction when folding many records (catch_up).
constexpr std::uint64_t kRecordsPerTxn = 20'000;
constexpr std::uint64_t kEventsPerTxn = 100'000;

std::uint64_t meta_u64(const lmdb::Txn& txn, MDB_dbi meta, std::string_view key) {
  std::string_view v;
  return txn.get(meta, key, v) ? keys::load_native_u64(v) : 0;
}

void put_u64(lmdb::Txn& txn, MDB_dbi meta, std::string_view key, std::uint64_t value) {
  txn.put(meta, key, keys::native_u64(value));
}

Key contact_key(std::uint32_t tno, std::string_view contact, Millis ts, std::uint64_t seq) {
  return Key().u32(tno).str(contact).i64(ts).u64(seq);
}

// A struct of a record, stored as a message of its own (so that it outlives the record's bytes).
template <class Reader>
std::string to_message(Reader reader) {
  capnp::MallocMessageBuilder message;
  message.setRoot(reader);
  auto words = capnp::messageToFlatArray(message);
  auto bytes = words.asBytes();
  return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

template <class T, class F>
auto from_message(std::string_view bytes, F&& use) {
  kj::Array<capnp::word> words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), bytes.data(), words.size() * sizeof(capnp::word));
  capnp::FlatArrayMessageReader reader(words);
  return use(reader.getRoot<T>());
}

}  // namespace

WriteModel::WriteModel(Store& store, const Log& log) : log_(log) {
  auto open = [&](const char* name) {
    const MDB_dbi dbi = store.db(name);
    all_.push_back(dbi);
    names_.emplace_back(name);
    return dbi;
  };
  dbs_.meta = open("wm_meta");
  dbs_.tenants = open("wm_tenants");
  dbs_.ids = open("wm_ids");
  dbs_.aliases = open("wm_aliases");
  dbs_.members = open("wm_members");
  dbs_.rules = open("wm_rules");
  dbs_.contact_events = open("wm_contact_events");
  dbs_.campaign_events = open("wm_campaign_events");
}

std::uint64_t WriteModel::checkpoint(const lmdb::Txn& txn) const {
  return meta_u64(txn, dbs_.meta, kCheckpoint);
}

void WriteModel::reset(lmdb::Txn& txn) const {
  for (auto db : all_) txn.clear(db);
  put_u64(txn, dbs_.meta, kLayout, kLayoutVersion);
}

std::uint64_t WriteModel::catch_up(Store& store) const {
  std::uint64_t total = 0;
  for (;;) {
    std::uint64_t folded = 0;
    store.write([&](lmdb::Txn& txn) {
      folded = 0;
      if (meta_u64(txn, dbs_.meta, kLayout) != kLayoutVersion) reset(txn);
      const std::uint64_t from = checkpoint(txn);
      if (from > log_.head().position) {
        throw std::runtime_error("the write model has folded position " + std::to_string(from) +
                                 " but the log ends at " + std::to_string(log_.head().position) +
                                 ": the log lost records (run eventctl verify)");
      }
      std::uint64_t events = 0;
      LogCursor cursor(txn, log_);
      for (bool ok = cursor.seek(from + 1); ok && folded < kRecordsPerTxn && events < kEventsPerTxn;
           ok = cursor.next()) {
        // Decoded from a copy: the fold writes between reads of the log.
        RecordView view(cursor.bytes(), true);
        apply(txn, cursor.position(), view.root());
        ++folded;
        const auto fact = view.root().getFact();
        if (fact.isEventsIngested()) events += fact.getEventsIngested().getEvents().size();
      }
    });
    total += folded;
    if (folded == 0) return total;
  }
}

std::optional<std::uint32_t> WriteModel::tenant_no(const lmdb::Txn& txn, std::string_view tenant) const {
  std::string_view v;
  if (!txn.get(dbs_.tenants, tenant, v)) return std::nullopt;
  return keys::read_u32(v, 0);
}

std::uint32_t WriteModel::assign_tenant(lmdb::Txn& txn, std::string_view tenant) const {
  if (auto tno = tenant_no(txn, tenant)) return *tno;
  const std::uint64_t next = std::max<std::uint64_t>(meta_u64(txn, dbs_.meta, kNextTenant), 1);
  txn.put(dbs_.tenants, tenant, Key().u32(static_cast<std::uint32_t>(next)));
  txn.put(dbs_.tenants, Key().u8(0).u32(static_cast<std::uint32_t>(next)), tenant);
  put_u64(txn, dbs_.meta, kNextTenant, next + 1);
  return static_cast<std::uint32_t>(next);
}

std::optional<std::string> WriteModel::tenant_name(const lmdb::Txn& txn, std::uint32_t tno) const {
  std::string_view v;
  if (!txn.get(dbs_.tenants, Key().u8(0).u32(tno), v)) return std::nullopt;
  return std::string(v);
}

std::optional<std::uint64_t> WriteModel::find_seq(const lmdb::Txn& txn, std::uint32_t tno,
                                                  std::string_view id) const {
  std::string_view v;
  if (!txn.get(dbs_.ids, Key().u32(tno).raw(id), v)) return std::nullopt;
  return keys::read_u64(v, 0);
}

std::string WriteModel::resolve_contact(const lmdb::Txn& txn, std::uint32_t tno,
                                        std::string_view contact) const {
  std::string_view v;
  if (txn.get(dbs_.aliases, Key().u32(tno).str(contact), v)) return std::string(v);
  return std::string(contact);
}

std::vector<std::string> WriteModel::members(const lmdb::Txn& txn, std::uint32_t tno,
                                             std::string_view contact) const {
  std::vector<std::string> out;
  const Key prefix = Key().u32(tno).str(contact);
  lmdb::Cursor cursor(txn, dbs_.members);
  for (bool ok = cursor.seek(prefix); ok && cursor.key().starts_with(prefix.view()); ok = cursor.next()) {
    const auto rest = cursor.key().substr(prefix.size());
    out.emplace_back(rest.substr(0, rest.size() - 1));
  }
  return out;
}

SuppressionRules WriteModel::suppression_rules(const lmdb::Txn& txn, std::uint32_t tno) const {
  std::string_view v;
  if (!txn.get(dbs_.rules, Key().u32(tno).u8(kSuppressionRules), v)) return {};
  return from_message<schema::SuppressionRulesSet>(v, [](auto r) { return eventsd::suppression_rules(r); });
}

ScoringRules WriteModel::scoring_rules(const lmdb::Txn& txn, std::uint32_t tno) const {
  std::string_view v;
  if (!txn.get(dbs_.rules, Key().u32(tno).u8(kScoringRules), v)) return {};
  return from_message<schema::ScoringRulesSet>(v, [](auto r) { return eventsd::scoring_rules(r); });
}

void WriteModel::contact_events(const lmdb::Txn& txn, std::uint32_t tno, std::string_view contact,
                                Millis from, Millis to,
                                const std::function<bool(const WindowEvent&)>& visit) const {
  const Key prefix = Key().u32(tno).str(contact);
  lmdb::Cursor cursor(txn, dbs_.contact_events);
  for (bool ok = cursor.seek(Key().raw(prefix).i64(from)); ok && cursor.key().starts_with(prefix.view());
       ok = cursor.next()) {
    const auto key = cursor.key();
    const Millis ts = keys::read_i64(key, key.size() - 16);
    if (ts > to) break;
    const auto value = cursor.value();
    const bool suppressed = !value.empty() && (value[0] & kSuppressedFlag);
    if (!visit({ts, keys::read_u64(key, key.size() - 8), suppressed, value.substr(value.empty() ? 0 : 1)})) break;
  }
}

void WriteModel::contact_events(const lmdb::Txn& txn, std::uint32_t tno,
                                const std::vector<std::string>& contacts, Millis from, Millis to,
                                const std::function<bool(const WindowEvent&)>& visit) const {
  if (contacts.size() == 1) return contact_events(txn, tno, contacts[0], from, to, visit);
  // A k-way merge of the contacts' ranges (a contact and the few merged into it).
  struct Head {
    lmdb::Cursor cursor;
    std::size_t prefix;
    bool live;
  };
  std::vector<Head> heads;
  for (const auto& c : contacts) {
    const Key prefix = Key().u32(tno).str(c);
    lmdb::Cursor cursor(txn, dbs_.contact_events);
    const bool ok = cursor.seek(Key().raw(prefix).i64(from)) && cursor.key().starts_with(prefix.view()) &&
                    keys::read_i64(cursor.key(), cursor.key().size() - 16) <= to;
    heads.push_back({std::move(cursor), prefix.size(), ok});
  }
  auto order = [](const Head& h) {
    const auto key = h.cursor.key();
    return std::pair(keys::read_i64(key, key.size() - 16), keys::read_u64(key, key.size() - 8));
  };
  for (;;) {
    Head* next = nullptr;
    for (auto& h : heads) {
      if (h.live && (!next || order(h) < order(*next))) next = &h;
    }
    if (!next) return;
    const auto key = next->cursor.key();
    const auto value = next->cursor.value();
    const bool suppressed = !value.empty() && (value[0] & kSuppressedFlag);
    if (!visit({keys::read_i64(key, key.size() - 16), keys::read_u64(key, key.size() - 8), suppressed,
                value.substr(value.empty() ? 0 : 1)})) {
      return;
    }
    const std::string prefix(key.substr(0, next->prefix));
    next->live = next->cursor.next() && next->cursor.key().starts_with(prefix) &&
                 keys::read_i64(next->cursor.key(), next->cursor.key().size() - 16) <= to;
  }
}

std::vector<std::uint64_t> WriteModel::contact_seqs(const lmdb::Txn& txn, std::uint32_t tno,
                                                    std::string_view contact, std::string& after,
                                                    std::size_t limit) const {
  std::vector<std::uint64_t> out;
  const Key prefix = Key().u32(tno).str(contact);
  lmdb::Cursor cursor(txn, dbs_.contact_events);
  bool ok = after.empty() ? cursor.seek(prefix) : cursor.seek(after);
  if (ok && !after.empty() && cursor.key() == after) ok = cursor.next();
  for (; ok && out.size() < limit && cursor.key().starts_with(prefix.view()); ok = cursor.next()) {
    out.push_back(keys::read_u64(cursor.key(), cursor.key().size() - 8));
    after = std::string(cursor.key());
  }
  return out;
}

std::vector<AgedEvent> WriteModel::expired_campaign_events(const lmdb::Txn& txn, Millis cutoff,
                                                           std::size_t limit) const {
  std::vector<AgedEvent> out;
  lmdb::Cursor cursor(txn, dbs_.campaign_events);
  for (bool ok = cursor.first(); ok && out.size() < limit; ok = cursor.next()) {
    const auto key = cursor.key();
    const Millis ts = keys::read_i64(key, 0);
    if (ts >= cutoff) break;
    out.push_back({ts, keys::read_u32(key, 8), keys::read_u64(key, 12)});
  }
  return out;
}

void WriteModel::insert_event(lmdb::Txn& txn, std::uint32_t tno, std::uint64_t seq,
                              schema::Event::Reader e) const {
  // Server-made ids are sortable, and times usually grow: these mostly go at the end.
  txn.put_likely_last(dbs_.ids, Key().u32(tno).raw(text_view(e.getId())), Key().u64(seq));
  if (e.hasContactId()) {
    const std::uint8_t flags = e.getSuppression() != schema::SuppressionReason::NONE ? kSuppressedFlag : 0;
    txn.put(dbs_.contact_events, contact_key(tno, text_view(e.getContactId()), e.getTimestamp(), seq),
            Key().u8(flags).raw(text_view(e.getEvent())));
  }
  if (e.hasCampaignId()) {
    txn.put(dbs_.campaign_events, Key().i64(e.getTimestamp()).u32(tno).u64(seq), std::string_view());
  }
}

void WriteModel::remove_event(lmdb::Txn& txn, std::uint32_t tno, std::uint64_t seq,
                              schema::Event::Reader e) const {
  const Key id_key = Key().u32(tno).raw(text_view(e.getId()));
  if (auto current = find_seq(txn, tno, text_view(e.getId())); current && *current == seq) txn.del(dbs_.ids, id_key);
  if (e.hasContactId()) txn.del(dbs_.contact_events, contact_key(tno, text_view(e.getContactId()), e.getTimestamp(), seq));
  if (e.hasCampaignId()) txn.del(dbs_.campaign_events, Key().i64(e.getTimestamp()).u32(tno).u64(seq));
}

void WriteModel::merge(lmdb::Txn& txn, std::uint32_t tno, std::string_view from, std::string_view into) const {
  // `from` and everything merged into it now stand for `into`: one hop, always.
  std::vector<std::string> all = members(txn, tno, from);
  all.emplace_back(from);
  for (const auto& m : all) {
    txn.put(dbs_.aliases, Key().u32(tno).str(m), into);
    txn.del(dbs_.members, Key().u32(tno).str(from).str(m));
    txn.put(dbs_.members, Key().u32(tno).str(into).str(m), std::string_view());
  }
}

void WriteModel::apply(lmdb::Txn& txn, std::uint64_t position, schema::LogRecord::Reader record) const {
  const auto fact = record.getFact();
  const std::string_view tenant = text_view(record.getTenant());
  LogEvents events(txn, log_);
  switch (fact.which()) {
    case schema::LogRecord::Fact::EVENTS_INGESTED: {
      const std::uint32_t tno = assign_tenant(txn, tenant);
      const auto ingested = fact.getEventsIngested();
      std::uint32_t index = 0;
      for (auto e : ingested.getEvents()) insert_event(txn, tno, event_seq(position, index++), e);
      for (auto id : ingested.getRegrouped()) {
        auto seq = find_seq(txn, tno, text_view(id));
        auto e = seq ? events.get(*seq) : std::nullopt;
        if (!e || !e->hasContactId()) continue;
        txn.put(dbs_.contact_events, contact_key(tno, text_view(e->getContactId()), e->getTimestamp(), *seq),
                Key().u8(kSuppressedFlag).raw(text_view(e->getEvent())));
      }
      break;
    }
    case schema::LogRecord::Fact::EVENTS_DELETED: {
      const auto tno = tenant_no(txn, tenant);
      if (!tno) break;
      for (auto id : fact.getEventsDeleted().getIds()) {
        auto seq = find_seq(txn, *tno, text_view(id));
        if (auto e = seq ? events.get(*seq) : std::nullopt) remove_event(txn, *tno, *seq, *e);
      }
      break;
    }
    case schema::LogRecord::Fact::CONTACTS_MERGED: {
      const auto merged = fact.getContactsMerged();
      merge(txn, assign_tenant(txn, tenant), text_view(merged.getFrom()), text_view(merged.getInto()));
      break;
    }
    case schema::LogRecord::Fact::RETENTION_APPLIED: {
      const auto retention = fact.getRetentionApplied();
      if (retention.getListed()) {
        for (auto purged : retention.getEvents()) {
          const auto tno = tenant_no(txn, text_view(purged.getTenant()));
          auto seq = tno ? find_seq(txn, *tno, text_view(purged.getId())) : std::nullopt;
          if (auto e = seq ? events.get(*seq) : std::nullopt) remove_event(txn, *tno, *seq, *e);
        }
      } else {
        for (const auto& aged : expired_campaign_events(txn, retention.getCampaignCutoff(), SIZE_MAX)) {
          if (auto e = events.get(aged.seq)) remove_event(txn, aged.tno, aged.seq, *e);
        }
      }
      break;
    }
    case schema::LogRecord::Fact::SUPPRESSION_RULES_SET:
      txn.put(dbs_.rules, Key().u32(assign_tenant(txn, tenant)).u8(kSuppressionRules),
              to_message(fact.getSuppressionRulesSet()));
      break;
    case schema::LogRecord::Fact::SCORING_RULES_SET:
      txn.put(dbs_.rules, Key().u32(assign_tenant(txn, tenant)).u8(kScoringRules),
              to_message(fact.getScoringRulesSet()));
      break;
    case schema::LogRecord::Fact::CONTACT_UPSERTED:
      assign_tenant(txn, tenant);
      break;
  }
  put_u64(txn, dbs_.meta, kCheckpoint, position);
}

}  // namespace eventsd
