// The walks of a listing (event_queries.h), one per order: matching events in the requested
// order, resumable after a position, in bounded memory. Internal to projections/.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "eventlog/log_events.h"
#include "projections/list_plan.h"

namespace eventsd::listing {

// Walks matching events in the requested order, calling on_match(seq, position).
// Returns early when on_match returns false.
class Walker {
 public:
  // `keep`: how many matches the caller takes at most (on_match returns false after them); the
  // one walk that must gather before it can order (createdAt order over an index in timestamp
  // order) keeps no more than that.
  Walker(const ReadView& view, std::uint32_t tno, const ListRequest& r,
         std::uint64_t keep = std::numeric_limits<std::uint64_t>::max())
      : models_(view.models), txn_(view.txn), tno_(tno), r_(r), plan_(view, tno, r.filter),
        log_events_(view.log_txn, view.models.log()), keep_(keep) {
    if (view.renew) {
      renew_ = [this, &view] {
        log_events_.forget();
        view.renew();
      };
    }
  }
  Walker(const Walker&) = delete;  // renew_ refers to this object
  Walker& operator=(const Walker&) = delete;

  const Plan& plan() const { return plan_; }

  template <class OnMatch>
  void walk(OnMatch&& on_match) {
    switch (r_.sort_by) {
      case SortBy::timestamp: walk_timestamp(on_match); break;
      case SortBy::event: walk_event(on_match); break;
      case SortBy::created_at: walk_created(on_match); break;
    }
  }

  // The event `seq` with its overlay (it exists: indexes and rm_events commit together).
  std::optional<EventView> fetch(std::uint64_t seq) {
    std::string_view overlay;
    if (!txn_.get(models_.dbs().events, rm::events_key(tno_, seq), overlay)) return std::nullopt;
    auto base = log_events_.get(seq);
    if (!base) return std::nullopt;
    return EventView{*base, EventOverlay::decode(overlay)};
  }

 private:
  template <class OnMatch>
  bool emit(const Entry& e, bool need_doc, OnMatch& on_match) {
    if (!need_doc) return on_match(e.seq, position(e));
    auto doc = fetch(e.seq);
    if (!doc || !plan_.doc_matches(*doc)) return true;
    return on_match(e.seq, position(e));
  }

  ListPosition position(const Entry& e) const {
    return {std::string(e.name), e.timestamp, e.seq};
  }

  template <class OnMatch>
  void walk_timestamp(OnMatch& on_match) {
    Scan scan = plan_.timestamp_scan(r_.descending);
    if (r_.after) scan.after = rm::entry_key(scan.prefix, r_.after->timestamp, r_.after->seq).str();
    const bool need_doc = plan_.needs_doc(plan_.guaranteed());
    run_scan(txn_, scan, [&](const Entry& e, std::string_view) {
      if (!flags_match(e.flags, r_.filter)) return true;
      return emit(e, need_doc, on_match);
    }, renew_);
  }

  template <class OnMatch>
  void walk_event(OnMatch& on_match) {
    // by_type ordered by (name, ts, seq). A type filter narrows the prefix to one name, where
    // the order is by ts and the date bounds become a key range.
    Scan scan;
    scan.db = models_.dbs().by_type;
    scan.descending = r_.descending;
    const std::optional<std::string>* guaranteed = nullptr;
    if (r_.filter.event_type) {
      scan.prefix = rm::named_prefix(tno_, *r_.filter.event_type).str();
      scan.layout = Layout::ts_seq;
      scan.lo_ts = r_.filter.after;
      scan.hi_ts = r_.filter.before;
      guaranteed = &r_.filter.event_type;
      if (r_.after) scan.after = rm::entry_key(scan.prefix, r_.after->timestamp, r_.after->seq).str();
    } else {
      scan.prefix = rm::tenant_prefix(tno_).str();
      scan.layout = Layout::name_ts_seq;
      if (r_.after) scan.after = rm::by_type_key(tno_, r_.after->event, r_.after->timestamp, r_.after->seq).str();
    }
    const bool need_doc = plan_.needs_doc(guaranteed);
    const auto& f = r_.filter;
    run_scan(txn_, scan, [&](Entry e, std::string_view) {
      if (!flags_match(e.flags, f)) return true;
      if ((f.after && e.timestamp < *f.after) || (f.before && e.timestamp > *f.before)) return true;
      if (r_.filter.event_type) e.name = *r_.filter.event_type;
      return emit(e, need_doc, on_match);
    }, renew_);
  }

  template <class OnMatch>
  void walk_created(OnMatch& on_match) {
    const auto& f = r_.filter;
    if (!plan_.has_driver()) {
      // No indexed filter: rm_events is already in createdAt order.
      Scan scan;
      scan.db = models_.dbs().events;
      scan.prefix = rm::tenant_prefix(tno_).str();
      scan.layout = Layout::seq_only;
      scan.descending = r_.descending;
      if (r_.after) scan.after = rm::events_key(tno_, r_.after->seq).str();
      run_scan(txn_, scan, [&](Entry e, std::string_view overlay) {
        auto base = log_events_.get(e.seq);
        if (!base) return true;
        const EventView view{*base, EventOverlay::decode(overlay)};
        e.timestamp = base->getTimestamp();
        if (!flags_match(index_flags(view), f)) return true;
        if ((f.after && e.timestamp < *f.after) || (f.before && e.timestamp > *f.before)) return true;
        if (!plan_.doc_matches(view)) return true;
        return on_match(e.seq, position(e));
      }, renew_);
      return;
    }
    // An indexed filter: the index is in timestamp order, the answer in sequence order. Only the
    // `keep_` matches nearest the start (in the requested order) are kept, in a heap whose top
    // is the last of them: memory grows with the page asked for, not with the matches.
    const auto before = [&](const Entry& a, const Entry& b) { return r_.descending ? a.seq > b.seq : a.seq < b.seq; };
    std::optional<Entry> cursor;
    if (r_.after) cursor = Entry{r_.after->seq, 0, {}, 0};
    const bool need_doc = plan_.needs_doc(plan_.guaranteed());
    std::vector<Entry> kept;
    Scan scan = plan_.timestamp_scan(false);
    run_scan(txn_, scan, [&](const Entry& e, std::string_view) {
      if (!flags_match(e.flags, f) || (cursor && !before(*cursor, e))) return true;
      if (kept.size() == keep_ && !before(e, kept.front())) return true;
      if (need_doc) {
        auto doc = fetch(e.seq);
        if (!doc || !plan_.doc_matches(*doc)) return true;
      }
      kept.push_back(Entry{e.seq, e.timestamp, {}, e.flags});
      std::push_heap(kept.begin(), kept.end(), before);
      if (kept.size() > keep_) {
        std::pop_heap(kept.begin(), kept.end(), before);
        kept.pop_back();
      }
      return true;
    }, renew_);
    std::sort_heap(kept.begin(), kept.end(), before);
    for (const Entry& e : kept) {
      if (!on_match(e.seq, position(e))) return;
    }
  }

  const ReadModels& models_;
  const lmdb::Txn& txn_;
  std::uint32_t tno_;
  const ListRequest& r_;
  Plan plan_;
  LogEvents log_events_;
  std::uint64_t keep_;
  std::function<void()> renew_;  // empty when the view cannot move
};

}  // namespace eventsd::listing
