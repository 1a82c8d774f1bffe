// The write model as a fold of the log (WriteModel::apply): what each fact changes of the state
// the deciders read — tenants, live event ids, aliases and members, rules, events under their
// contacts and campaign events by age — and the checkpoint, in the writer's transaction.
#include <algorithm>
#include <string>
#include <vector>

#include "commands/write_model.h"
#include "commands/write_model_layout.h"
#include "eventlog/keys.h"
#include "eventlog/log_events.h"

namespace eventsd {

using keys::Key;
using namespace write_model_layout;

std::uint32_t WriteModel::assign_tenant(lmdb::Txn& txn, std::string_view tenant) const {
  if (auto tno = tenant_no(txn, tenant)) return *tno;
  const std::uint64_t next = std::max<std::uint64_t>(meta_u64(txn, dbs_.meta, kNextTenant), 1);
  txn.put(dbs_.tenants, tenant, Key().u32(static_cast<std::uint32_t>(next)));
  txn.put(dbs_.tenants, Key().u8(0).u32(static_cast<std::uint32_t>(next)), tenant);
  put_u64(txn, dbs_.meta, kNextTenant, next + 1);
  return static_cast<std::uint32_t>(next);
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
