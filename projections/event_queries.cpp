#include "projections/event_queries.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <limits>
#include <optional>

#include "eventlog/keys.h"

namespace eventsd {

using keys::Key;

namespace {

std::string_view sv(capnp::Text::Reader t) { return {t.cStr(), t.size()}; }

// The layout of the keys a scan walks; the sequence number is always the last 8 bytes.
enum class Layout {
  ts_seq,       // [prefix][ts][seq]        (by_time and the per-dimension indexes)
  name_ts_seq,  // [prefix][name\0][ts][seq] (by_type over a whole tenant: sort by event)
  seq_only,     // [prefix][seq]             (rm_events: sort by createdAt)
};

struct Entry {
  std::uint64_t seq;
  Millis timestamp;
  std::string_view name;  // name_ts_seq only
  std::uint8_t flags;     // index layouts only
};

struct Scan {
  MDB_dbi db;
  std::string prefix;
  Layout layout = Layout::ts_seq;
  bool descending = true;
  std::optional<Millis> lo_ts, hi_ts;  // key-range bounds (ts_seq only)
  std::optional<std::string> after;    // exclusive keyset start (a full key)
};

Entry decode_entry(const Scan& scan, std::string_view key, std::string_view value) {
  Entry e{};
  e.seq = keys::read_u64(key, key.size() - 8);
  if (scan.layout != Layout::seq_only) {
    e.timestamp = keys::read_i64(key, key.size() - 16);
    e.flags = value.empty() ? 0 : static_cast<std::uint8_t>(value[0]);
  }
  if (scan.layout == Layout::name_ts_seq) {
    e.name = key.substr(scan.prefix.size(), key.size() - 17 - scan.prefix.size());
  }
  return e;
}

// Positions `cursor` on the scan's first entry (in its order) strictly after the key `after`,
// or on its first entry. False when there is none.
bool seek(lmdb::Cursor& cursor, const Scan& scan, const std::optional<std::string>& after) {
  if (!scan.descending) {
    std::string start = scan.prefix;
    if (scan.lo_ts) start = Key().raw(scan.prefix).i64(*scan.lo_ts).str();
    if (after && *after >= start) start = *after;
    bool ok = cursor.seek(start);
    if (ok && after && cursor.key() == *after) ok = cursor.next();
    return ok;
  }
  std::string end = keys::prefix_end(scan.prefix);
  if (scan.hi_ts && *scan.hi_ts < std::numeric_limits<Millis>::max()) {
    end = Key().raw(scan.prefix).i64(*scan.hi_ts + 1).str();
  }
  if (after && (end.empty() || *after < end)) end = *after;
  // Position on the last key strictly below `end`.
  if (end.empty()) return cursor.last();
  return cursor.seek(end) ? cursor.prev() : cursor.last();
}

// Calls visit(entry, value) for each entry of the scan, in order, until it returns false. Unless
// `renew` is empty, it calls it after every kEntriesPerSnapshot entries, to move the transaction
// to the newest snapshot, and goes on after the last key visited: a scan holds no snapshot for
// more than that many entries. An entry is visited once; one written behind the scan's place
// meanwhile is not seen, one ahead of it is.
template <class Visit>
void run_scan(const lmdb::Txn& txn, const Scan& scan, Visit&& visit, const std::function<void()>& renew) {
  std::optional<lmdb::Cursor> cursor(std::in_place, txn, scan.db);
  bool ok = seek(*cursor, scan, scan.after);
  std::uint64_t visited = 0;
  while (ok) {
    const std::string_view key = cursor->key();
    if (!key.starts_with(scan.prefix)) break;
    Entry e = decode_entry(scan, key, cursor->value());
    if (scan.layout == Layout::ts_seq) {
      if (!scan.descending && scan.hi_ts && e.timestamp > *scan.hi_ts) break;
      if (scan.descending && scan.lo_ts && e.timestamp < *scan.lo_ts) break;
    }
    if (!visit(e, cursor->value())) break;
    if (renew && ++visited % kEntriesPerSnapshot == 0) {
      const std::string at(key);
      cursor.reset();
      renew();
      cursor.emplace(txn, scan.db);
      ok = seek(*cursor, scan, at);
      continue;
    }
    ok = scan.descending ? cursor->prev() : cursor->next();
  }
}

std::uint64_t pick(const Counters& c, const EventFilter& f) {
  switch (f.suppressed) {
    case SuppressedFilter::include: return f.identified_only ? c.identified : c.all;
    case SuppressedFilter::exclude:
      return f.identified_only ? c.identified - c.identified_suppressed : c.all - c.suppressed;
    case SuppressedFilter::only:
      return f.identified_only ? c.identified_suppressed : c.suppressed;
  }
  return 0;
}

bool flags_match(std::uint8_t flags, const EventFilter& f) {
  if (f.identified_only && !(flags & kIdentified)) return false;
  const bool suppressed = flags & kSuppressed;
  if (f.suppressed == SuppressedFilter::exclude && suppressed) return false;
  if (f.suppressed == SuppressedFilter::only && !suppressed) return false;
  return true;
}

bool contains_icase(std::string_view hay, std::string_view needle) {
  auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  });
  return it != hay.end();
}

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
      const std::uint64_t n = pick(models.counters(txn, count_key(*d.kind, **d.value)), f);
      if (!driver_ || n < driver_count_) {
        driver_ = d;
        driver_count_ = n;
      }
    }
  }

  Key count_key(CountKind kind, std::string_view value) const {
    return Key().u32(tno_).u8(static_cast<std::uint8_t>(kind)).str(value);
  }

  // Total matches straight from the counters, when no filter needs a scan.
  std::optional<std::uint64_t> counted_total() const {
    if (f_.after || f_.before || f_.url_contains || f_.search || named_ > 1) return std::nullopt;
    if (driver_ && !driver_counted_) return std::nullopt;
    if (driver_) return driver_count_;
    return pick(models_.counters(txn_, Key().u32(tno_).u8(0)), f_);
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
      s.prefix = Key().u32(tno_).str(**driver_->value).str();
    } else {
      s.db = models_.dbs().by_time;
      s.prefix = Key().u32(tno_).str();
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
    if (f_.event_type && sv(e.getEvent()) != *f_.event_type) return false;
    if (f_.contact_id && view.contact_id() != std::string_view(*f_.contact_id)) return false;
    if (f_.domain && (!e.hasDomain() || sv(e.getDomain()) != *f_.domain)) return false;
    if (f_.campaign_id && (!e.hasCampaignId() || sv(e.getCampaignId()) != *f_.campaign_id)) {
      return false;
    }
    if (f_.url_contains && (!e.hasUrl() || sv(e.getUrl()).find(*f_.url_contains) == std::string_view::npos)) {
      return false;
    }
    if (f_.search && !(contains_icase(sv(e.getEvent()), *f_.search) ||
                       (e.hasUrl() && contains_icase(sv(e.getUrl()), *f_.search)) ||
                       (e.hasDomain() && contains_icase(sv(e.getDomain()), *f_.search)))) {
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

std::uint8_t doc_flags(const EventView& e) {
  std::uint8_t f = 0;
  if (e.identified()) f |= kIdentified;
  if (e.suppressed()) f |= kSuppressed;
  return f;
}

// Walks matching events in the requested order, calling on_match(seq, position, doc-or-null).
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
    if (!txn_.get(models_.dbs().events, Key().u32(tno_).u64(seq), overlay)) return std::nullopt;
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
    if (r_.after) scan.after = Key().raw(scan.prefix).i64(r_.after->timestamp).u64(r_.after->seq).str();
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
      scan.prefix = Key().u32(tno_).str(*r_.filter.event_type).str();
      scan.layout = Layout::ts_seq;
      scan.lo_ts = r_.filter.after;
      scan.hi_ts = r_.filter.before;
      guaranteed = &r_.filter.event_type;
      if (r_.after) scan.after = Key().raw(scan.prefix).i64(r_.after->timestamp).u64(r_.after->seq).str();
    } else {
      scan.prefix = Key().u32(tno_).str();
      scan.layout = Layout::name_ts_seq;
      if (r_.after) {
        scan.after = Key().raw(scan.prefix).str(r_.after->event).i64(r_.after->timestamp).u64(r_.after->seq).str();
      }
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
      scan.prefix = Key().u32(tno_).str();
      scan.layout = Layout::seq_only;
      scan.descending = r_.descending;
      if (r_.after) scan.after = Key().raw(scan.prefix).u64(r_.after->seq).str();
      run_scan(txn_, scan, [&](Entry e, std::string_view overlay) {
        auto base = log_events_.get(e.seq);
        if (!base) return true;
        const EventView view{*base, EventOverlay::decode(overlay)};
        e.timestamp = base->getTimestamp();
        if (!flags_match(doc_flags(view), f)) return true;
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

}  // namespace

namespace {

// A page whose place is known from the counters: none past the end, and one nearer the end than
// the start is walked from the end, so a page costs at most half the matches skipped. Nullopt
// when the page is not answered that way.
std::optional<ListResult> counted_page(const ReadView& view, std::uint32_t tno,
                                       const ListRequest& request, std::uint64_t total) {
  ListResult result;
  result.total = total;
  if (request.offset >= total) return result;  // past the end: an empty page
  const std::uint64_t remaining = total - request.offset;
  const std::uint64_t take = std::min<std::uint64_t>(request.limit, remaining);
  const std::uint64_t skip_from_end = remaining - take;
  if (std::min(request.offset, skip_from_end) > request.max_skip) {
    result.too_deep = true;
    return result;
  }
  if (request.offset <= skip_from_end) return std::nullopt;
  ListRequest reversed = request;
  reversed.descending = !request.descending;
  Walker walker(view, tno, reversed, skip_from_end + take);
  std::uint64_t to_skip = skip_from_end;
  std::optional<ListPosition> last;  // the page's last event in the requested order
  walker.walk([&](std::uint64_t seq, const ListPosition& pos) {
    if (to_skip > 0) {
      --to_skip;
      return true;
    }
    if (auto doc = walker.fetch(seq)) result.events.push_back(to_stored_event(seq, *doc));
    if (!last) {
      last = pos;
      if (!result.events.empty()) last->event = result.events.back().event;
    }
    return result.events.size() < take;
  });
  std::reverse(result.events.begin(), result.events.end());
  if (request.offset + take < total) result.next = last;
  return result;
}

}  // namespace

ListResult list_events(const ReadView& view, std::uint32_t tno,
                       const ListRequest& request) {
  ListResult result;
  // The walk takes the page and one more (to know whether a next page exists).
  const std::uint64_t keep = request.offset + request.limit + 1;
  Walker walker(view, tno, request, keep);
  // A page deeper than max_skip is placed by the total: past the end, walked from the nearer
  // end, or too deep.
  const bool placed = !request.after && request.offset > request.max_skip;
  auto counted = request.count_total || placed ? walker.plan().counted_total() : std::nullopt;
  // From a cursor the walk sees only what follows it, and a createdAt walk only the page: count
  // the whole listing apart.
  if (!counted && (placed || (request.count_total && (request.after || request.sort_by == SortBy::created_at)))) {
    counted = count_events(view, tno, request.filter);
  }
  if (counted && !request.after) {
    if (auto page = counted_page(view, tno, request, *counted)) return std::move(*page);
  }
  const bool scan_for_total = request.count_total && !counted;
  std::uint64_t matched = 0;
  std::uint64_t to_skip = request.offset;
  bool more = false;
  ListPosition last;
  walker.walk([&](std::uint64_t seq, const ListPosition& pos) {
    ++matched;
    if (to_skip > 0) {
      --to_skip;
      return true;
    }
    if (result.events.size() < request.limit) {
      auto doc = walker.fetch(seq);
      if (doc) result.events.push_back(to_stored_event(seq, *doc));
      last = pos;
      if (!result.events.empty()) last.event = result.events.back().event;
      return true;
    }
    more = true;
    return scan_for_total;
  });
  result.total = counted ? *counted : matched;
  if (more) result.next = last;
  return result;
}

std::uint64_t count_events(const ReadView& view, std::uint32_t tno,
                           const EventFilter& filter) {
  ListRequest request;
  request.filter = filter;
  Walker walker(view, tno, request);
  if (auto counted = walker.plan().counted_total()) return *counted;
  std::uint64_t matched = 0;
  walker.walk([&](std::uint64_t, const ListPosition&) {
    ++matched;
    return true;
  });
  return matched;
}

std::optional<StoredEvent> find_event(const ReadView& view, std::uint32_t tno, std::string_view id) {
  const ReadModels& models = view.models;
  const lmdb::Txn& txn = view.txn;
  auto seq = models.find_seq(txn, tno, id);
  if (!seq) return std::nullopt;
  std::string_view overlay;
  if (!txn.get(models.dbs().events, Key().u32(tno).u64(*seq), overlay)) return std::nullopt;
  LogEvents events(view.log_txn, models.log());
  auto base = events.get(*seq);
  if (!base) return std::nullopt;
  return to_stored_event(*seq, EventView{*base, EventOverlay::decode(overlay)});
}

// Cursor format (before base64url): "c1" | sort byte | dir byte | ts i64 | seq u64 | event name.
std::string encode_cursor(SortBy sort_by, bool descending, const ListPosition& p) {
  std::string raw = Key()
                        .raw("c1")
                        .u8(static_cast<std::uint8_t>(sort_by))
                        .u8(descending ? 1 : 0)
                        .i64(p.timestamp)
                        .u64(p.seq)
                        .raw(sort_by == SortBy::event ? p.event : "")
                        .str();
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : raw) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(alphabet[(buffer >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(alphabet[(buffer << (6 - bits)) & 63]);
  return out;
}

std::optional<ListPosition> decode_cursor(std::string_view cursor, SortBy sort_by,
                                          bool descending) {
  if (cursor.size() > 400) return std::nullopt;
  std::string raw;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : cursor) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '-') v = 62;
    else if (c == '_') v = 63;
    else return std::nullopt;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      raw.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  if (raw.size() < 20 || raw.substr(0, 2) != "c1") return std::nullopt;
  if (static_cast<std::uint8_t>(raw[2]) != static_cast<std::uint8_t>(sort_by)) return std::nullopt;
  if (static_cast<std::uint8_t>(raw[3]) != (descending ? 1 : 0)) return std::nullopt;
  ListPosition p;
  p.timestamp = keys::read_i64(raw, 4);
  p.seq = keys::read_u64(raw, 12);
  p.event = raw.substr(20);
  if (sort_by != SortBy::event && !p.event.empty()) return std::nullopt;
  return p;
}

}  // namespace eventsd
