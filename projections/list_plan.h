// How a listing's filter is answered (event_queries.h): which index drives the scan, what the
// counters say without one, and what is left to check per entry or per event. The driving index
// is the narrowest range the filter names among field_indexes.h's (that header says why listings
// and aggregate scans plan apart). Internal to projections/.
//
// Thread safety: a Plan lives inside one listing, in the caller's snapshot.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "eventlog/log_events.h"
#include "projections/field_indexes.h"
#include "projections/index_scan.h"

namespace eventsd::listing {

// One indexed field the filter names, and the filter's value for it.
struct Dimension {
  FieldIndex index;
  const std::optional<std::string>* value;
};

// Decides how a filter is answered: which index drives the scan, and what is left to check.
class Plan {
 public:
  Plan(const ReadView& view, std::uint32_t tno, const EventFilter& f)
      : models_(view.models), txn_(view.txn), tno_(tno), f_(f) {
    const std::pair<Field, const std::optional<std::string>*> named[] = {
        {Field::contact_id, &f.contact_id}, {Field::event, &f.event_type}, {Field::domain, &f.domain},
        {Field::campaign_id, &f.campaign_id}};
    for (const auto& [field, value] : named) {
      if (!value->has_value()) continue;
      ++named_;
      if (driver_ && driver_->index.always_drives()) continue;
      const Dimension d{*field_index(view.models.dbs(), field), value};
      if (d.index.always_drives()) {  // (a contact's range, which has no counters)
        driver_ = d;
        driver_counted_ = false;
        continue;
      }
      const std::uint64_t n = pick(range_counters(view, tno, d.index, **value).value_or(Counters{}), f);
      if (!driver_ || n < driver_count_) {
        driver_ = d;
        driver_count_ = n;
      }
    }
  }

  // Total matches straight from the counters, when no filter needs a scan.
  std::optional<std::uint64_t> counted_total() const {
    if (f_.after || f_.before || f_.url_contains || f_.search || named_ > 1) return std::nullopt;
    if (driver_ && !driver_counted_) return std::nullopt;
    if (driver_) return driver_count_;
    return pick(models_.counters(txn_, rm::counts_tenant_key(tno_)), f_);
  }

  // A scan in timestamp order over the driving index (or by_time).
  Scan timestamp_scan(bool descending) const {
    Scan s;
    s.descending = descending;
    s.layout = Layout::ts_seq;
    s.lo_ts = f_.after;
    s.hi_ts = f_.before;
    if (driver_) {
      s.db = driver_->index.db;
      s.prefix = rm::named_prefix(tno_, **driver_->value).str();
    } else {
      s.db = models_.dbs().by_time;
      s.prefix = rm::tenant_prefix(tno_).str();
    }
    return s;
  }

  bool has_driver() const { return driver_.has_value(); }

  // Whether matching needs the event itself (beyond what the scanned key and flags say), given
  // which filter the scan already guarantees.
  bool needs_doc(const std::optional<std::string>* guaranteed) const {
    auto open = [&](const std::optional<std::string>& v) { return v && guaranteed != &v; };
    return f_.url_contains || f_.search || open(f_.event_type) || open(f_.contact_id) ||
           open(f_.domain) || open(f_.campaign_id);
  }

  bool doc_matches(const EventView& view) const {
    const auto& e = view.base;
    if (f_.event_type && text_view(e.getEvent()) != *f_.event_type) return false;
    if (f_.contact_id && view.contact_id() != std::string_view(*f_.contact_id)) return false;
    if (f_.domain && (!e.hasDomain() || text_view(e.getDomain()) != *f_.domain)) return false;
    if (f_.campaign_id && (!e.hasCampaignId() || text_view(e.getCampaignId()) != *f_.campaign_id)) {
      return false;
    }
    if (f_.url_contains && (!e.hasUrl() || text_view(e.getUrl()).find(*f_.url_contains) == std::string_view::npos)) {
      return false;
    }
    if (f_.search && !(contains_icase(text_view(e.getEvent()), *f_.search) ||
                       (e.hasUrl() && contains_icase(text_view(e.getUrl()), *f_.search)) ||
                       (e.hasDomain() && contains_icase(text_view(e.getDomain()), *f_.search)))) {
      return false;
    }
    return true;
  }

  // The filter the driving index guarantees (nullptr when by_time drives).
  const std::optional<std::string>* guaranteed() const { return driver_ ? driver_->value : nullptr; }

 private:
  const ReadModels& models_;
  const lmdb::Txn& txn_;
  std::uint32_t tno_;
  const EventFilter& f_;
  std::optional<Dimension> driver_;
  std::uint64_t driver_count_ = 0;
  bool driver_counted_ = true;
  int named_ = 0;
};

}  // namespace eventsd::listing
