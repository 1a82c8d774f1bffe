// How a listing's filter is answered (event_queries.h): which index drives the scan, what the
// counters say without one, and what is left to check per entry or per event. Internal to
// projections/.
#pragma once

#include <optional>
#include <string>

#include "eventlog/log_events.h"
#include "projections/index_scan.h"

namespace eventsd::listing {

// One indexed dimension a filter may name; `kind` is unset for the contact index, which has no
// counters.
struct Dimension {
  std::optional<CountKind> kind;
  MDB_dbi db;
  const std::optional<std::string>* value;
};

// Decides how a filter is answered: which index drives the scan, and what is left to check.
class Plan {
 public:
  Plan(const ReadView& view, std::uint32_t tno, const EventFilter& f)
      : models_(view.models), txn_(view.txn), tno_(tno), f_(f) {
    const ReadModels& models = view.models;
    const lmdb::Txn& txn = view.txn;
    const auto& db = models.dbs();
    Dimension dims[] = {{CountKind::type, db.by_type, &f.event_type},
                        {CountKind::domain, db.by_domain, &f.domain},
                        {CountKind::campaign, db.by_campaign, &f.campaign_id}};
    if (f.contact_id) {
      // One contact's events are few next to a type's or a domain's: it always drives.
      ++named_;
      driver_ = Dimension{std::nullopt, db.by_contact, &f.contact_id};
      driver_counted_ = false;
    }
    for (const auto& d : dims) {
      if (!d.value->has_value()) continue;
      ++named_;
      if (driver_ && !driver_counted_) continue;
      const std::uint64_t n = pick(models.counters(txn, rm::counts_named_key(tno, *d.kind, **d.value)), f);
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
      s.db = driver_->db;
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
