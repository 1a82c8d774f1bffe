// ReadModels::apply: what each fact of a log record does to the read models. Ingested events are
// inserted (event_index.cpp); the other facts regroup, merge, delete or purge recorded events,
// or set rules and contact profiles.
#include "projections/count_deltas.h"
#include "projections/read_models.h"
#include "projections/rules.h"

namespace eventsd {

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

void ReadModels::audit(lmdb::Txn& txn, std::uint32_t tno, std::string_view id,
                       std::uint64_t position, std::uint64_t seq) const {
  txn.put(dbs_.audit, rm::audit_key(tno, id, position), rm::seq_value(seq));
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

}  // namespace eventsd
