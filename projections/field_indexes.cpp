#include "projections/field_indexes.h"

namespace eventsd {

std::optional<FieldIndex> field_index(const ReadModelDbs& dbs, Field field) {
  switch (field) {
    case Field::event: return FieldIndex{field, dbs.by_type, "rm_by_type", CountKind::type};
    case Field::domain: return FieldIndex{field, dbs.by_domain, "rm_by_domain", CountKind::domain};
    case Field::campaign_id: return FieldIndex{field, dbs.by_campaign, "rm_by_campaign", CountKind::campaign};
    case Field::contact_id: return FieldIndex{field, dbs.by_contact, "rm_by_contact", std::nullopt};
    default: return std::nullopt;
  }
}

std::optional<Counters> range_counters(const ReadView& view, std::uint32_t tno, const FieldIndex& index,
                                       std::string_view name) {
  if (!index.count) return std::nullopt;
  return view.models.counters(view.txn, rm::counts_named_key(tno, *index.count, name));
}

}  // namespace eventsd
