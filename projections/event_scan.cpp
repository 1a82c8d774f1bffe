#include "projections/event_scan.h"

#include <algorithm>
#include <limits>

#include "projections/data_fields.h"

namespace eventsd {

namespace {

Condition text_condition(Field field, Op op, std::string text) {
  Condition c;
  c.field = FieldRef{field, {}};
  c.op = op;
  c.text = std::move(text);
  return c;
}

// The fields a field's value is computed from (a path from the url, a company from the contact).
void add_sources(const FieldRef& f, std::vector<Field>& out) {
  if (is_time_bucket(f.field)) return;
  if (is_profile_field(f.field)) out.push_back(Field::contact_id);
  else if (f.field == Field::path) out.push_back(Field::url);
  else out.push_back(f.field);
}

std::optional<std::string_view> text_if(bool has, capnp::Text::Reader t) {
  return has ? std::optional<std::string_view>(text_view(t)) : std::nullopt;
}

// An event field, read from the log's copy of the event.
FieldValue doc_value(const EventView& view, const FieldRef& f) {
  const auto& e = view.base;
  switch (f.field) {
    case Field::event: return FieldValue::text(text_view(e.getEvent()));
    case Field::contact_id: return FieldValue::text(view.contact_id());
    case Field::url: return FieldValue::text(text_if(e.hasUrl(), e.getUrl()));
    case Field::path: {
      auto url = text_if(e.hasUrl(), e.getUrl());
      return FieldValue::text(url ? url_path(*url) : std::nullopt);
    }
    case Field::referrer: return FieldValue::text(text_if(e.hasReferrer(), e.getReferrer()));
    case Field::domain: return FieldValue::text(text_if(e.hasDomain(), e.getDomain()));
    case Field::session_id: return FieldValue::text(text_if(e.hasSessionId(), e.getSessionId()));
    case Field::utm_source: return FieldValue::text(text_if(e.hasUtmSource(), e.getUtmSource()));
    case Field::utm_medium: return FieldValue::text(text_if(e.hasUtmMedium(), e.getUtmMedium()));
    case Field::utm_campaign: return FieldValue::text(text_if(e.hasUtmCampaign(), e.getUtmCampaign()));
    case Field::campaign_id: return FieldValue::text(text_if(e.hasCampaignId(), e.getCampaignId()));
    case Field::step_id: return FieldValue::text(text_if(e.hasStepId(), e.getStepId()));
    case Field::email: return FieldValue::text(text_if(e.hasEmail(), e.getEmail()));
    default: return {};
  }
}

// Which index drives a scan.
struct Driver {
  // seq: rm_events in sequence (log) order, every event read from the log with its overlay.
  enum class Kind { time, prefixes, all_values, seq } kind = Kind::time;
  MDB_dbi db = 0;
  const char* name = "rm_by_time";
  Field key_field = Field::event;  // the string in the key after the tenant (not for time)
  bool contact_values = false;     // rm_by_contact: values hold flags, points, event name
  std::vector<std::string> values;  // Kind::prefixes
  int guaranteed = -1;             // the condition the key range answers
  std::uint64_t estimate = 0;      // index entries to walk

  bool supplies(Field f) const {
    if (kind == Kind::time || kind == Kind::seq) return false;
    return f == key_field || (contact_values && f == Field::event);
  }
};

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

const ProfileCache::Entry& ProfileCache::lookup(std::string_view contact_id) {
  auto it = cache_.find(contact_id);
  if (it != cache_.end()) return it->second;
  if (cache_.size() >= kMaxEntries) cache_.clear();  // bounded memory; lookups may repeat
  Entry e;
  e.profile = find_profile(view_, tno_, contact_id);
  if (e.profile) e.company = company_of(view_, tno_, *e.profile);
  return cache_.emplace(std::string(contact_id), std::move(e)).first->second;
}

FieldValue ProfileCache::value(Field field, std::optional<std::string_view> contact_id) {
  if (!contact_id) return {};
  const Entry& e = lookup(*contact_id);
  auto opt = [](const std::optional<std::string>& s) {
    return FieldValue::text(s ? std::optional<std::string_view>(*s) : std::nullopt);
  };
  if (is_company_field(field)) {
    if (!e.company) return {};
    if (field == Field::company_id) return FieldValue::text(std::string_view(e.company->id));
    return opt(field == Field::company_name ? e.company->name : e.company->domain);
  }
  if (!e.profile) return {};
  switch (field) {
    case Field::contact_firstname: return opt(e.profile->firstname);
    case Field::contact_lastname: return opt(e.profile->lastname);
    default: return opt(e.profile->email);
  }
}

FieldValue ScannedEvent::value(const FieldRef& f) {
  if (key_value_ && f.field == key_field_) return FieldValue::text(key_value_);
  if (entry_event_ && f.field == Field::event) return FieldValue::text(entry_event_);
  if (is_profile_field(f.field)) {
    const FieldValue contact = value(FieldRef{Field::contact_id, {}});
    if (!profiles_ || contact.kind != FieldValue::Kind::text) return {};
    return profiles_->value(f.field, contact.v);
  }
  if (!doc_) return {};
  if (f.field != Field::data) return doc_value(*doc_, f);
  if (!data_keys_) return {};
  if (!data_read_) {
    const auto& e = doc_->base;
    find_data_members(e.hasData() ? text_view(e.getData()) : std::string_view("{}"), *data_keys_, *data_values_);
    data_read_ = true;
  }
  for (std::size_t i = 0; i < data_keys_->size(); ++i) {
    if ((*data_keys_)[i] == f.key) {
      const auto& v = (*data_values_)[i];
      return v ? FieldValue{FieldValue::Kind::json, *v} : FieldValue{};
    }
  }
  return {};
}

class EventScan {
 public:
  EventScan(const ReadView& view, std::uint32_t tno, const ScanSpec& spec, const ScanVisitor& visit)
      : view_(view), tno_(tno), spec_(spec), visit_(visit), profiles_(view, tno),
        log_events_(view.log_txn, view.models.log()) {
    for (const auto& f : spec.reads) note_data_key(f);
    for (const auto& c : spec.where) note_data_key(c.field);
    data_values_.resize(data_keys_.size());
  }

  bool reads_log() {
    choose_driver();
    return need_log_;
  }

  ScanOutcome run() {
    choose_driver();
    ScanOutcome out;
    out.plan = plan_text();
    lmdb::Cursor cursor(view_.txn, driver_.db);
    switch (driver_.kind) {
      case Driver::Kind::time: walk_range(cursor, rm::tenant_prefix(tno_).str(), std::nullopt); break;
      case Driver::Kind::prefixes:
        for (const auto& v : driver_.values) {
          if (!walk_range(cursor, rm::named_prefix(tno_, v).str(), std::string_view(v))) break;
        }
        break;
      case Driver::Kind::all_values: walk_all_values(cursor); break;
      case Driver::Kind::seq: walk_seq(cursor); break;
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

  Counters counter(CountKind kind, std::optional<std::string_view> value) const {
    const rm::Key key = value ? rm::counts_named_key(tno_, kind, *value) : rm::counts_prefix(tno_, kind);
    return view_.models.counters(view_.txn, key);
  }

  // The fields matching needs beyond what `d` supplies.
  bool needs_log(const Driver& d) const {
    std::vector<Field> needed;
    for (const auto& f : spec_.reads) add_sources(f, needed);
    for (std::size_t i = 0; i < spec_.where.size(); ++i) {
      if (static_cast<int>(i) == d.guaranteed) continue;
      const auto& c = spec_.where[i];
      if (c.op == Op::search) {
        needed.insert(needed.end(), {Field::event, Field::url, Field::domain});
      } else {
        add_sources(c.field, needed);
      }
    }
    return std::any_of(needed.begin(), needed.end(), [&](Field f) { return !d.supplies(f); });
  }

  void choose_driver() {
    const auto& dbs = view_.models.dbs();
    const Counters tenant = counter(CountKind::tenant, std::nullopt);
    std::vector<Driver> candidates;
    {
      Driver d;
      d.db = dbs.by_time;
      d.estimate = tenant.all;
      candidates.push_back(d);
    }
    for (std::size_t i = 0; i < spec_.where.size(); ++i) {
      const Condition& c = spec_.where[i];
      const bool eq = c.op == Op::eq && c.value == Condition::Value::string;
      if (!(eq || (c.op == Op::one_of && c.field.field == Field::event))) continue;
      Driver d;
      d.kind = Driver::Kind::prefixes;
      d.key_field = c.field.field;
      d.guaranteed = static_cast<int>(i);
      d.values = eq ? std::vector<std::string>{c.text} : c.values;
      std::optional<CountKind> kind;  // unset: rm_by_contact, which has no counters
      if (c.field.field == Field::event) {
        d.db = dbs.by_type;
        d.name = "rm_by_type";
        kind = CountKind::type;
      } else if (c.field.field == Field::domain) {
        d.db = dbs.by_domain;
        d.name = "rm_by_domain";
        kind = CountKind::domain;
      } else if (c.field.field == Field::campaign_id) {
        d.db = dbs.by_campaign;
        d.name = "rm_by_campaign";
        kind = CountKind::campaign;
      } else if (c.field.field == Field::contact_id) {
        d.db = dbs.by_contact;
        d.name = "rm_by_contact";
        d.contact_values = true;
      } else {
        continue;
      }
      for (const auto& v : d.values) d.estimate += kind ? counter(*kind, v).all : 1;
      candidates.push_back(d);
      // One contact's events are few next to a type's or a domain's: a contact always drives
      // (and a scan per contact costs no planning).
      if (d.contact_values) {
        set_driver(d);
        return;
      }
    }
    {
      Driver d;
      d.kind = Driver::Kind::all_values;
      d.db = dbs.by_type;
      d.name = "rm_by_type";
      d.estimate = tenant.all;
      candidates.push_back(d);
    }
    if (spec_.identified_only && !spec_.after && !spec_.before) {
      Driver d;
      d.kind = Driver::Kind::all_values;
      d.db = dbs.by_contact;
      d.name = "rm_by_contact";
      d.key_field = Field::contact_id;
      d.contact_values = true;
      d.estimate = tenant.identified;
      candidates.push_back(d);
    }
    {
      // The log itself, in order: no sorting and no overlay lookups, but every event of the
      // tenant is read, whatever the date range.
      Driver d;
      d.kind = Driver::Kind::seq;
      d.db = dbs.events;
      d.name = "rm_events";
      d.estimate = tenant.all;
      candidates.push_back(d);
    }
    // An event read from the log costs about what walking three or four index entries does;
    // in log order a little less (the gathered entries need no sorting, overlays no lookup).
    const double in_range = range_fraction(tenant);
    auto cost = [&](const Driver& d) {
      if (d.kind == Driver::Kind::seq) return static_cast<double>(d.estimate) * 3;
      return static_cast<double>(d.estimate) * in_range * (needs_log(d) ? 4 : 1);
    };
    set_driver(*std::min_element(candidates.begin(), candidates.end(),
                                 [&](const Driver& a, const Driver& b) { return cost(a) < cost(b); }));
  }

  void set_driver(const Driver& d) {
    driver_ = d;
    need_log_ = driver_.kind == Driver::Kind::seq || needs_log(driver_);
    std::vector<Field> needed;
    for (const auto& f : spec_.reads) add_sources(f, needed);
    for (const auto& c : spec_.where) add_sources(c.field, needed);
    need_contact_ = std::find(needed.begin(), needed.end(), Field::contact_id) != needed.end();
  }

  // The share of the tenant's events inside the date range, from the per-day counters.
  double range_fraction(const Counters& tenant) const {
    if ((!spec_.after && !spec_.before) || tenant.all == 0) return 1.0;
    const rm::Key prefix = rm::counts_prefix(tno_, CountKind::day);
    const Millis first = spec_.after ? day_start(*spec_.after) : std::numeric_limits<Millis>::min();
    std::uint64_t n = 0;
    lmdb::Cursor cursor(view_.txn, view_.models.dbs().counts);
    for (bool ok = cursor.seek(spec_.after ? rm::counts_day_seek(tno_, CountKind::day, first).view() : prefix.view());
         ok && cursor.key().starts_with(prefix.view()); ok = cursor.next()) {
      if (spec_.before && rm::counts_key_day(cursor.key()) > *spec_.before) break;
      n += rm::read_counts_value(cursor.value()).all;
    }
    return std::min(1.0, static_cast<double>(n) / static_cast<double>(tenant.all));
  }

  std::string plan_text() const {
    std::string p = driver_.name;
    if (driver_.kind == Driver::Kind::all_values) p += " (every key)";
    if (driver_.kind == Driver::Kind::prefixes) p += driver_.values.size() == 1 ? " (one key)" : " (some keys)";
    if (need_log_ && driver_.kind != Driver::Kind::seq) p += " + log";
    if (driver_.kind == Driver::Kind::seq) p += " + log (in log order)";
    return p;
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

  // Every prefix of the driving index: one linear pass without a date range, else each key's
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
      const std::uint8_t flags = (doc.identified() ? kIdentified : 0) | (doc.suppressed() ? kSuppressed : 0);
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
    const ContactEntry entry = driver_.contact_values ? rm::read_by_contact_value(value)
                                                      : ContactEntry{rm::read_flags_value(value), 0, {}};
    if (!flags_ok(entry.flags)) return true;
    if (need_log_) {
      chunk_.push_back({seq, entry.flags});
      if (chunk_.size() >= kScanChunk) return flush_chunk();
      return true;
    }
    ScannedEvent e = blank_event(ts, seq, entry.flags);
    e.key_field_ = driver_.key_field;
    e.key_value_ = key_value;
    if (driver_.contact_values) e.entry_event_ = entry.event;
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
      if (need_contact_ && base->hasContactId()) {
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
      if (static_cast<int>(i) == driver_.guaranteed) continue;
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
  Driver driver_;
  bool need_log_ = false;
  bool need_contact_ = false;
  std::vector<std::string> data_keys_;
  std::vector<std::optional<std::string_view>> data_values_;
  std::vector<Candidate> chunk_;
  std::uint64_t examined_ = 0;
  bool truncated_ = false;
  bool stopped_ = false;
  std::string scratch_;
};

bool scan_reads_log(const ReadView& view, std::uint32_t tno, const ScanSpec& spec) {
  const ScanVisitor none = [](ScannedEvent&) { return false; };
  return EventScan(view, tno, spec, none).reads_log();
}

ScanOutcome scan_events(const ReadView& view, std::uint32_t tno, const ScanSpec& spec, const ScanVisitor& visit) {
  return EventScan(view, tno, spec, visit).run();
}

}  // namespace eventsd
