#include "projections/event_scan.h"

#include <algorithm>
#include <limits>

namespace eventsd {

namespace {

Condition text_condition(Field field, Op op, std::string text) {
  Condition c;
  c.field = FieldRef{field, {}};
  c.op = op;
  c.text = std::move(text);
  return c;
}

}  // namespace

void add_list_filter(const EventFilter& f, ScanSpec& spec) {
  if (f.event_type) spec.where.push_back(text_condition(Field::event, Op::eq, *f.event_type));
  if (f.contact_id) spec.where.push_back(text_condition(Field::contact_id, Op::eq, *f.contact_id));
  if (f.domain) spec.where.push_back(text_condition(Field::domain, Op::eq, *f.domain));
  if (f.campaign_id) spec.where.push_back(text_condition(Field::campaign_id, Op::eq, *f.campaign_id));
  if (f.url_contains) spec.where.push_back(text_condition(Field::url, Op::contains_exact, *f.url_contains));
  if (f.search) spec.where.push_back(text_condition(Field::event, Op::search, *f.search));
  if (f.after) spec.after = spec.after ? std::max(*spec.after, *f.after) : *f.after;
  if (f.before) spec.before = spec.before ? std::min(*spec.before, *f.before) : *f.before;
  spec.identified_only = spec.identified_only || f.identified_only;
  spec.suppressed = f.suppressed;
}

// Walks the plan's index and delivers the events that meet every condition.
class EventScan {
 public:
  EventScan(const ReadView& view, std::uint32_t tno, const ScanSpec& spec, const ScanVisitor& visit)
      : view_(view), tno_(tno), spec_(spec), visit_(visit), profiles_(view, tno),
        log_events_(view.log_txn, view.models.log()), plan_(plan_scan(view, tno, spec)) {
    for (const auto& f : spec.reads) note_data_key(f);
    for (const auto& c : spec.where) note_data_key(c.field);
    data_values_.resize(data_keys_.size());
  }

  ScanOutcome run() {
    ScanOutcome out;
    out.plan = plan_.text();
    lmdb::Cursor cursor(view_.txn, plan_.db);
    switch (plan_.kind) {
      case ScanPlan::Kind::time: walk_range(cursor, rm::tenant_prefix(tno_).str(), std::nullopt); break;
      case ScanPlan::Kind::prefixes:
        for (const auto& v : plan_.values) {
          if (!walk_range(cursor, rm::named_prefix(tno_, v).str(), std::string_view(v))) break;
        }
        break;
      case ScanPlan::Kind::all_values: walk_all_values(cursor); break;
      case ScanPlan::Kind::seq: walk_seq(cursor); break;
    }
    if (!stopped_) flush_chunk();
    out.examined = examined_;
    out.truncated = truncated_;
    return out;
  }

 private:
  struct Candidate {
    std::uint64_t seq;
    std::uint8_t flags;
  };

  void note_data_key(const FieldRef& f) {
    if (f.field == Field::data && std::find(data_keys_.begin(), data_keys_.end(), f.key) == data_keys_.end()) {
      data_keys_.push_back(f.key);
    }
  }

  bool flags_ok(std::uint8_t flags) const {
    if (spec_.identified_only && !(flags & kIdentified)) return false;
    const bool suppressed = flags & kSuppressed;
    if (spec_.suppressed == SuppressedFilter::exclude && suppressed) return false;
    if (spec_.suppressed == SuppressedFilter::only && !suppressed) return false;
    return true;
  }

  // Walks the entries [prefix][ts][seq] with ts in the spec's range, newest first. Returns false
  // when the scan stopped.
  bool walk_range(lmdb::Cursor& cursor, const std::string& prefix, std::optional<std::string_view> key_value) {
    std::string end = keys::prefix_end(prefix);
    if (spec_.before && *spec_.before < std::numeric_limits<Millis>::max()) {
      end = rm::entry_seek(prefix, *spec_.before + 1).str();
    }
    bool ok = cursor.seek(end) ? cursor.prev() : cursor.last();
    for (; ok; ok = cursor.prev()) {
      const std::string_view key = cursor.key();
      if (!key.starts_with(prefix)) break;
      const Millis ts = rm::entry_ts(key);
      if (spec_.after && ts < *spec_.after) break;
      if (!on_entry(key_value, ts, rm::entry_seq(key), cursor.value())) return false;
    }
    return true;
  }

  // Every range of the driving index: one linear pass without a date range, else each name's
  // range in turn.
  void walk_all_values(lmdb::Cursor& cursor) {
    const rm::Key tenant = rm::tenant_prefix(tno_);
    bool ok = cursor.seek(tenant);
    while (ok && cursor.key().starts_with(tenant.view())) {
      const std::string value(rm::named_key_name(cursor.key()));
      const std::string prefix = rm::named_prefix(tno_, value).str();
      if (spec_.after || spec_.before) {
        if (!walk_range(cursor, prefix, std::string_view(value))) return;
        ok = cursor.seek(keys::prefix_end(prefix));
        continue;
      }
      for (; ok; ok = cursor.next()) {
        const std::string_view k = cursor.key();
        if (!k.starts_with(prefix)) break;
        if (!on_entry(std::string_view(value), rm::entry_ts(k), rm::entry_seq(k), cursor.value())) return;
      }
    }
  }

  // Every event of the tenant in log order, straight from rm_events and the log.
  void walk_seq(lmdb::Cursor& cursor) {
    const rm::Key tenant = rm::tenant_prefix(tno_);
    for (bool ok = cursor.seek(tenant); ok && cursor.key().starts_with(tenant.view()); ok = cursor.next()) {
      if (examined_ == spec_.max_examined) {
        truncated_ = true;
        return;
      }
      ++examined_;
      const std::uint64_t seq = rm::events_key_seq(cursor.key());
      auto base = log_events_.get(seq);
      if (!base) continue;
      const Millis ts = base->getTimestamp();
      if ((spec_.after && ts < *spec_.after) || (spec_.before && ts > *spec_.before)) continue;
      const EventView doc{*base, EventOverlay::decode(cursor.value())};
      const std::uint8_t flags = index_flags(doc);
      if (!flags_ok(flags)) continue;
      ScannedEvent e = blank_event(ts, seq, flags);
      e.doc_ = &doc;
      if (!deliver(e)) return;
    }
  }

  bool on_entry(std::optional<std::string_view> key_value, Millis ts, std::uint64_t seq, std::string_view value) {
    if (examined_ == spec_.max_examined) {
      truncated_ = true;
      return false;
    }
    ++examined_;
    const ContactEntry entry = plan_.contact_values() ? rm::read_by_contact_value(value)
                                                      : ContactEntry{rm::read_flags_value(value), 0, {}};
    if (!flags_ok(entry.flags)) return true;
    if (plan_.reads_log) {
      chunk_.push_back({seq, entry.flags});
      if (chunk_.size() >= kScanChunk) return flush_chunk();
      return true;
    }
    ScannedEvent e = blank_event(ts, seq, entry.flags);
    e.key_field_ = plan_.key_field();
    e.key_value_ = key_value;
    if (plan_.contact_values()) e.entry_event_ = entry.event;
    return deliver(e);
  }

  ScannedEvent blank_event(Millis ts, std::uint64_t seq, std::uint8_t flags) {
    ScannedEvent e;
    e.ts_ = ts;
    e.seq_ = seq;
    e.flags_ = flags;
    e.data_keys_ = &data_keys_;
    e.data_values_ = &data_values_;
    e.profiles_ = &profiles_;
    return e;
  }

  // Reads the gathered events from the log in sequence order and delivers those that match.
  bool flush_chunk() {
    std::sort(chunk_.begin(), chunk_.end(), [](const Candidate& a, const Candidate& b) { return a.seq < b.seq; });
    const auto& dbs = view_.models.dbs();
    for (const Candidate& c : chunk_) {
      auto base = log_events_.get(c.seq);
      if (!base) continue;
      EventOverlay overlay;
      if (plan_.needs_contact && base->hasContactId()) {
        std::string_view v;
        if (view_.txn.get(dbs.events, rm::events_key(tno_, c.seq), v)) overlay = EventOverlay::decode(v);
      }
      const EventView doc{*base, std::move(overlay)};
      ScannedEvent e = blank_event(base->getTimestamp(), c.seq, c.flags);
      e.doc_ = &doc;
      if (!deliver(e)) {
        chunk_.clear();
        return false;
      }
    }
    chunk_.clear();
    return true;
  }

  bool deliver(ScannedEvent& e) {
    for (std::size_t i = 0; i < spec_.where.size(); ++i) {
      if (static_cast<int>(i) == plan_.guaranteed) continue;
      if (!holds(spec_.where[i], e)) return true;
    }
    if (!visit_(e)) {
      stopped_ = true;
      return false;
    }
    return true;
  }

  bool holds(const Condition& c, ScannedEvent& e) {
    if (c.op != Op::search) return condition_holds(c, e.value(c.field), scratch_);
    for (Field f : {Field::event, Field::url, Field::domain}) {
      const FieldValue v = e.value(FieldRef{f, {}});
      if (v.kind == FieldValue::Kind::text && contains_ascii_icase(v.v, c.text)) return true;
    }
    return false;
  }

  const ReadView& view_;
  std::uint32_t tno_;
  const ScanSpec& spec_;
  const ScanVisitor& visit_;
  ProfileCache profiles_;
  LogEvents log_events_;
  const ScanPlan plan_;
  std::vector<std::string> data_keys_;
  std::vector<std::optional<std::string_view>> data_values_;
  std::vector<Candidate> chunk_;
  std::uint64_t examined_ = 0;
  bool truncated_ = false;
  bool stopped_ = false;
  std::string scratch_;
};

bool scan_reads_log(const ReadView& view, std::uint32_t tno, const ScanSpec& spec) {
  return plan_scan(view, tno, spec).reads_log;
}

ScanOutcome scan_events(const ReadView& view, std::uint32_t tno, const ScanSpec& spec, const ScanVisitor& visit) {
  return EventScan(view, tno, spec, visit).run();
}

}  // namespace eventsd
