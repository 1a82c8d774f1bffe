#include "projections/bulk_fold.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "eventlog/log_events.h"
#include "projections/read_models.h"
#include "projections/visitor_sessions.h"

namespace eventsd {

namespace {

// An index entry: the event's timestamp, and its sequence number with its flags (kIdentified,
// kSuppressed) in the top two bits (sequence numbers stay far below 2^62).
struct Entry {
  std::int64_t ts;
  std::uint64_t seq_flags;
  std::uint64_t seq() const { return seq_flags & ((std::uint64_t{1} << 62) - 1); }
  std::uint8_t flags() const { return static_cast<std::uint8_t>(seq_flags >> 62); }
  bool operator<(const Entry& o) const { return ts != o.ts ? ts < o.ts : seq() < o.seq(); }
};

struct ContactEntry : Entry {
  std::int32_t points;
  std::uint32_t name;
};

struct IdEntry {
  std::string_view id;
  std::uint64_t seq;
};

// Copies of strings that must outlive the record they came from (a record's bytes are copied
// when they are not word-aligned in the map, and the copy goes with the record).
class Arena {
 public:
  std::string_view keep(std::string_view s) {
    if (s.size() > left_) {
      const std::size_t size = std::max(kBlock, s.size());
      blocks_.push_back(std::make_unique<char[]>(size));
      next_ = blocks_.back().get();
      left_ = size;
    }
    std::memcpy(next_, s.data(), s.size());
    const std::string_view out(next_, s.size());
    next_ += s.size();
    left_ -= s.size();
    return out;
  }

 private:
  static constexpr std::size_t kBlock = std::size_t{1} << 20;
  std::vector<std::unique_ptr<char[]>> blocks_;
  char* next_ = nullptr;
  std::size_t left_ = 0;
};

// Strings seen in the log, numbered from 1 (0: none), each kept once.
class Dictionary {
 public:
  std::uint32_t intern(std::string_view s) {
    if (auto it = ids_.find(s); it != ids_.end()) return it->second;
    const std::string_view kept = arena_.keep(s);
    ids_.emplace(kept, static_cast<std::uint32_t>(strings_.size()));
    strings_.push_back(kept);
    return static_cast<std::uint32_t>(strings_.size() - 1);
  }
  std::string_view operator[](std::uint32_t id) const { return strings_[id]; }

 private:
  Arena arena_;
  std::unordered_map<std::string_view, std::uint32_t> ids_;
  std::vector<std::string_view> strings_{std::string_view()};
};

// Counters of events that agree on everything a counter key can name.
struct CellKey {
  std::uint32_t tno, name, domain, campaign;
  std::int64_t day;
  std::uint8_t reason;
  bool operator==(const CellKey&) const = default;
};
struct CellHash {
  std::size_t operator()(const CellKey& k) const noexcept {
    std::uint64_t h = k.tno * 0x9E3779B97F4A7C15ull ^ k.name * 0xC2B2AE3D27D4EB4Full ^
                      k.domain * 0x165667B19E3779F9ull ^ k.campaign * 0x27D4EB2F165667C5ull ^
                      static_cast<std::uint64_t>(k.day) * 0x85EBCA77C2B2AE63ull ^ k.reason;
    return static_cast<std::size_t>(h ^ (h >> 31));
  }
};

void add(Counters& c, std::uint8_t flags, std::uint64_t n = 1) {
  c.all += n;
  if (flags & kIdentified) c.identified += n;
  if (flags & kSuppressed) c.suppressed += n;
  if ((flags & kIdentified) && (flags & kSuppressed)) c.identified_suppressed += n;
}
void add(Counters& c, const Counters& d) {
  c.all += d.all;
  c.identified += d.identified;
  c.suppressed += d.suppressed;
  c.identified_suppressed += d.identified_suppressed;
}

struct Tenant {
  std::string_view name;
  std::uint32_t tno = 0;
  std::vector<std::uint64_t> events;
  std::vector<IdEntry> ids;
  std::vector<Entry> by_time;
  std::unordered_map<std::uint32_t, std::vector<Entry>> by_type, by_domain, by_campaign;
  std::unordered_map<std::uint32_t, std::vector<ContactEntry>> by_contact;
  // Unsuppressed events by session subject (sessions.h): a contact, or an anonymous session id.
  std::unordered_map<std::uint32_t, std::vector<Entry>> contact_points, anonymous_points;
};

struct Aged {
  std::int64_t ts;
  std::uint32_t tno;
  std::uint64_t seq_flags;
  std::uint64_t seq() const { return Entry{ts, seq_flags}.seq(); }
  bool operator<(const Aged& o) const {
    return ts != o.ts ? ts < o.ts : tno != o.tno ? tno < o.tno : seq() < o.seq();
  }
};

// Appends entries in key order to one database, committing every so often so that one
// transaction's dirty pages stay few.
class Appender {
 public:
  Appender(Store& store, MDB_dbi db) : store_(store), db_(db) { open(); }
  void operator()(std::string_view key, std::string_view value) {
    cursor_->append(key, value);
    if (++since_commit_ == kPerTxn) {
      finish();
      open();
    }
  }
  void finish() {
    cursor_.reset();
    txn_.commit();
    since_commit_ = 0;
  }

 private:
  static constexpr std::size_t kPerTxn = 2'000'000;
  void open() {
    txn_ = store_.begin_write();
    cursor_.emplace(txn_, db_);
  }
  Store& store_;
  MDB_dbi db_;
  lmdb::Txn txn_;
  std::optional<lmdb::Cursor> cursor_;
  std::size_t since_commit_ = 0;
};

class Bulk {
 public:
  Bulk(Generation& generation, const Log& log) : generation_(generation), models_(generation.models()), log_(log) {}

  // Pass 1. False when the prefix cannot be folded in bulk.
  bool collect(const lmdb::Txn& log_txn, const BulkLimits& limits,
               const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
    LogCursor cursor(log_txn, log_);
    for (bool ok = cursor.seek(1); ok && events_ < limits.max_events && cursor.position() <= limits.until;
         ok = cursor.next()) {
      const std::uint64_t position = cursor.position();
      views_.emplace_back(std::make_unique<RecordView>(cursor.bytes()));
      const auto record = views_.back()->root();
      const auto fact = record.getFact();
      const std::string_view tenant = text_view(record.getTenant());
      switch (fact.which()) {
        case schema::LogRecord::Fact::EVENTS_INGESTED: {
          Tenant& t = assign(tenant);
          std::uint32_t index = 0;
          for (auto e : fact.getEventsIngested().getEvents()) insert(t, event_seq(position, index++), e);
          break;
        }
        case schema::LogRecord::Fact::CONTACTS_MERGED:
        case schema::LogRecord::Fact::SUPPRESSION_RULES_SET:
        case schema::LogRecord::Fact::SCORING_RULES_SET:
        case schema::LogRecord::Fact::CONTACT_UPSERTED:
          assign(tenant);
          break;
        case schema::LogRecord::Fact::RETENTION_APPLIED:
          if (!fact.getRetentionApplied().getListed()) return false;  // purges by age, not by name
          break;
        case schema::LogRecord::Fact::EVENTS_DELETED:
          break;
      }
      if (ReadModels::mutates(record)) mutations_.push_back({position, views_.size() - 1});
      else views_.back().reset();  // nothing to apply later (what pass 2 needs was copied)
      last_ = position;
      if (progress && (position & 0x3FF) == 0) progress(position, events_);
    }
    // An id used again after its event was deleted or purged names a new event from the record
    // that ingested it on: pass 2 writes each id's first event, and pass 3 puts the later ones in
    // log order, between the deletions (which find the earlier event) and what follows.
    for (auto& t : tenants_) {
      std::stable_sort(t->ids.begin(), t->ids.end(), [](const IdEntry& a, const IdEntry& b) { return a.id < b.id; });
      std::size_t kept = 0;
      for (std::size_t i = 0; i < t->ids.size(); ++i) {
        if (kept > 0 && t->ids[i].id == t->ids[kept - 1].id) {
          reused_.push_back({seq_position(t->ids[i].seq), t->tno, t->ids[i]});
        } else {
          t->ids[kept++] = t->ids[i];
        }
      }
      t->ids.resize(kept);
    }
    std::sort(reused_.begin(), reused_.end(), [](const Reused& a, const Reused& b) { return a.id.seq < b.id.seq; });
    return last_ > 0;
  }

  // Pass 2: every database the events fill, in key order.
  void write() {
    const auto& db = models_.dbs();
    Store& store = generation_.store();
    std::vector<Tenant*> by_number;
    for (auto& t : tenants_) by_number.push_back(t.get());  // assigned in order: already by number
    const std::string_view none;
    {
      std::vector<Tenant*> by_name = by_number;
      std::sort(by_name.begin(), by_name.end(), [](const Tenant* a, const Tenant* b) { return a->name < b->name; });
      Appender out(store, db.tenants);
      for (const Tenant* t : by_name) out(t->name, rm::tenants_value(t->tno));
      out.finish();
    }
    {
      Appender out(store, db.events);
      for (const Tenant* t : by_number) {
        for (auto seq : t->events) out(rm::events_key(t->tno, seq), none);
      }
      out.finish();
    }
    {
      Appender out(store, db.ids);
      for (const Tenant* t : by_number) {
        for (const auto& e : t->ids) out(rm::ids_key(t->tno, e.id), rm::seq_value(e.seq));
      }
      out.finish();
    }
    {
      Appender out(store, db.by_time);
      for (Tenant* t : by_number) {
        sort_entries(t->by_time);
        for (const auto& e : t->by_time) out(rm::by_time_key(t->tno, e.ts, e.seq()), rm::flags_value(e.flags()));
      }
      out.finish();
    }
    write_groups(db.by_type, by_number, &Tenant::by_type, names_);
    write_groups(db.by_domain, by_number, &Tenant::by_domain, domains_);
    write_groups(db.by_campaign, by_number, &Tenant::by_campaign, campaigns_);
    {
      Appender out(store, db.by_contact);
      for (Tenant* t : by_number) {
        for (auto& [contact, entries] : ordered(t->by_contact, contacts_)) {
          sort_entries(*entries);
          for (const auto& e : *entries) {
            out(rm::by_contact_key(t->tno, contacts_[contact], e.ts, e.seq()),
                rm::by_contact_value(e.flags(), e.points, names_[e.name]));
          }
        }
      }
      out.finish();
    }
    {
      Appender out(store, db.campaigns);
      for (Tenant* t : by_number) {
        for (auto& [campaign, entries] : ordered(t->by_campaign, campaigns_)) {
          out(rm::campaigns_key(t->tno, campaigns_[campaign]), none);
        }
      }
      out.finish();
    }
    {
      std::sort(aged_.begin(), aged_.end());
      Appender out(store, db.campaign_expiry);
      for (const auto& a : aged_) {
        const Entry e{a.ts, a.seq_flags};
        out(rm::campaign_expiry_key(a.ts, a.tno, e.seq()), rm::flags_value(e.flags()));
      }
      out.finish();
    }
    write_counts();
    write_sessions(by_number);
    store.write([&](lmdb::Txn& txn) {
      const std::uint64_t next = tenants_.size() + 1;
      if (!tenants_.empty()) txn.put(db.meta, rm::kNextTenantKey, keys::native_u64(next));
    });
  }

  // Pass 3: what the records do beyond inserting their events, in log order.
  void mutate(const Store& log_store) {
    auto log_snapshot = log_store.read();
    constexpr std::size_t kPerTxn = 2'000;
    std::size_t r = 0;
    for (std::size_t i = 0; i < mutations_.size() || r < reused_.size();) {
      generation_.store().write([&](lmdb::Txn& txn) {
        for (std::size_t n = 0; n < kPerTxn && (i < mutations_.size() || r < reused_.size()); ++n) {
          // A record's own ids first, as ReadModels::apply inserts its events before the rest.
          if (r < reused_.size() && (i == mutations_.size() || reused_[r].position <= mutations_[i].position)) {
            txn.put(models_.dbs().ids, rm::ids_key(reused_[r].tno, reused_[r].id.id), rm::seq_value(reused_[r].id.seq));
            ++r;
            continue;
          }
          const auto& m = mutations_[i++];
          models_.apply_mutations(txn, log_snapshot.txn(), m.position, views_[m.view]->root());
        }
      });
    }
    generation_.store().write(
        [&](lmdb::Txn& txn) { txn.put(models_.dbs().meta, rm::kCheckpointKey, keys::native_u64(last_)); });
  }

  std::uint64_t last() const { return last_; }
  std::uint64_t records() const { return last_; }
  std::uint64_t events() const { return events_; }

 private:
  struct Mutation {
    std::uint64_t position;
    std::size_t view;
  };
  struct Reused {
    std::uint64_t position;
    std::uint32_t tno;
    IdEntry id;
  };

  template <class Entries>
  static void sort_entries(Entries& entries) {
    // Live traffic arrives mostly in time order: usually already sorted.
    if (!std::is_sorted(entries.begin(), entries.end())) std::sort(entries.begin(), entries.end());
  }

  // The groups of a tenant, in the byte order of their names.
  template <class Groups>
  static std::vector<std::pair<std::uint32_t, typename Groups::mapped_type*>> ordered(Groups& groups,
                                                                                      const Dictionary& dictionary) {
    std::vector<std::pair<std::uint32_t, typename Groups::mapped_type*>> out;
    out.reserve(groups.size());
    for (auto& [id, entries] : groups) out.emplace_back(id, &entries);
    std::sort(out.begin(), out.end(), [&](const auto& a, const auto& b) { return dictionary[a.first] < dictionary[b.first]; });
    return out;
  }

  void write_groups(MDB_dbi db, const std::vector<Tenant*>& tenants,
                    std::unordered_map<std::uint32_t, std::vector<Entry>> Tenant::*groups, const Dictionary& dictionary) {
    Appender out(generation_.store(), db);
    for (Tenant* t : tenants) {
      for (auto& [id, entries] : ordered(t->*groups, dictionary)) {
        sort_entries(*entries);
        for (const auto& e : *entries) {
          out(rm::named_entry_key(t->tno, dictionary[id], e.ts, e.seq()), rm::flags_value(e.flags()));
        }
      }
    }
    out.finish();
  }

  Tenant& assign(std::string_view name) {
    if (last_tenant_ && last_tenant_->name == name) return *last_tenant_;
    auto it = tenant_index_.find(name);
    if (it == tenant_index_.end()) {
      tenants_.push_back(std::make_unique<Tenant>());
      tenants_.back()->name = strings_.keep(name);
      name = tenants_.back()->name;
      tenants_.back()->tno = static_cast<std::uint32_t>(tenants_.size());
      it = tenant_index_.emplace(name, tenants_.back().get()).first;
    }
    return *(last_tenant_ = it->second);
  }

  void insert(Tenant& t, std::uint64_t seq, schema::Event::Reader e) {
    ++events_;
    std::uint8_t flags = 0;
    if (e.hasContactId()) flags |= kIdentified;
    if (e.getSuppression() != schema::SuppressionReason::NONE) flags |= kSuppressed;
    const std::int64_t ts = e.getTimestamp();
    const Entry entry{ts, seq | (std::uint64_t{flags} << 62)};
    const std::uint32_t name = names_.intern(text_view(e.getEvent()));
    const std::uint32_t domain = e.hasDomain() ? domains_.intern(text_view(e.getDomain())) : 0;
    const std::uint32_t campaign = e.hasCampaignId() ? campaigns_.intern(text_view(e.getCampaignId())) : 0;
    t.events.push_back(seq);
    t.ids.push_back({strings_.keep(text_view(e.getId())), seq});
    t.by_time.push_back(entry);
    t.by_type[name].push_back(entry);
    std::uint32_t contact = 0;
    if (e.hasContactId()) {
      contact = contacts_.intern(text_view(e.getContactId()));
      t.by_contact[contact].push_back(ContactEntry{entry, e.getPoints(), name});
    }
    if (!(flags & kSuppressed)) {
      if (contact) t.contact_points[contact].push_back(entry);
      else if (e.hasSessionId()) t.anonymous_points[session_ids_.intern(text_view(e.getSessionId()))].push_back(entry);
    }
    if (domain) t.by_domain[domain].push_back(entry);
    if (campaign) {
      t.by_campaign[campaign].push_back(entry);
      aged_.push_back({ts, t.tno, entry.seq_flags});
    }
    const std::uint8_t reason = flags & kSuppressed ? static_cast<std::uint8_t>(e.getSuppression()) : 0;
    Counters& cell = cells_[CellKey{t.tno, name, domain, campaign, day_start(ts), reason}];
    add(cell, flags);
  }

  // The sessions model (sessions.h) of the events as ingested: each subject's points in time
  // order, a session starting wherever more than kSessionGap separates two of them.
  void write_sessions(const std::vector<Tenant*>& tenants) {
    const SessionDbs& db = models_.sessions().dbs();
    Appender points(generation_.store(), db.points);
    std::vector<Entry> starts;  // of one tenant: (ts, seq | kind in the flag bits)
    std::map<std::pair<std::int64_t, SessionSubject>, std::uint64_t> days;
    std::vector<std::string> session_keys;  // in key order, written after the points
    for (Tenant* t : tenants) {
      starts.clear();
      days.clear();
      auto subjects = [&](std::unordered_map<std::uint32_t, std::vector<Entry>>& groups, const Dictionary& names,
                          SessionSubject kind) {
        for (auto& [id, entries] : ordered(groups, names)) {
          sort_entries(*entries);
          const std::string prefix = rm::session_subject_prefix(t->tno, kind, names[id]).str();
          std::optional<std::int64_t> previous;
          for (const auto& e : *entries) {
            const bool start = !previous || e.ts - *previous > kSessionGap;
            previous = e.ts;
            const rm::Key key = rm::entry_key(prefix, e.ts, e.seq());
            points(key, rm::session_point_value(start));
            if (!start) continue;
            session_keys.push_back(key.str());
            starts.push_back({e.ts, e.seq() | (std::uint64_t{kind == SessionSubject::contact ? 0u : 1u} << 62)});
            ++days[{day_start(e.ts), kind}];
          }
        }
      };
      subjects(t->contact_points, contacts_, SessionSubject::contact);
      subjects(t->anonymous_points, session_ids_, SessionSubject::anonymous);
      std::sort(starts.begin(), starts.end());
      for (const auto& s : starts) {
        const char kind = static_cast<char>(s.flags() ? SessionSubject::anonymous : SessionSubject::contact);
        session_starts_.push_back({rm::session_starts_key(t->tno, s.ts, s.seq()).str(), kind});
      }
      for (const auto& [day_kind, n] : days) {
        session_days_.push_back({rm::session_days_key(t->tno, day_kind.first, day_kind.second).str(), n});
      }
    }
    points.finish();
    Appender sessions_out(generation_.store(), db.sessions);
    for (const auto& key : session_keys) sessions_out(key, std::string_view());
    sessions_out.finish();
    Appender starts_out(generation_.store(), db.starts);
    for (const auto& [key, kind] : session_starts_) starts_out(key, std::string_view(&kind, 1));
    starts_out.finish();
    Appender days_out(generation_.store(), db.days);
    for (const auto& [key, n] : session_days_) days_out(key, keys::native_u64(n));
    days_out.finish();
  }

  // rm_counts from the cells: every counter a key of CountKind names, summed, in key order.
  void write_counts() {
    struct Hash {
      using is_transparent = void;
      std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    std::unordered_map<std::string, Counters, Hash, std::equal_to<>> counts;  // far fewer keys than events
    auto count = [&](const rm::Key& key, const Counters& c) {
      auto it = counts.find(key.view());
      if (it == counts.end()) it = counts.emplace(key.str(), Counters{}).first;
      add(it->second, c);
    };
    for (const auto& [k, n] : cells_) {
      const std::string_view name = names_[k.name], domain = domains_[k.domain];
      const auto tno = k.tno;  // (clang 14, which builds the fuzz targets, cannot capture a binding)
      count(rm::counts_tenant_key(tno), n);
      count(rm::counts_named_key(tno, CountKind::type, name), n);
      count(rm::counts_type_domain_key(tno, name, domain), n);
      count(rm::counts_day_type_domain_key(tno, k.day, name, domain), n);
      count(rm::counts_day_key(tno, k.day), n);
      if (k.reason) {
        count(rm::counts_reason_key(tno, k.reason), n);
        count(rm::counts_day_reason_key(tno, k.day, k.reason), n);
      }
      if (k.domain) count(rm::counts_named_key(tno, CountKind::domain, domain), n);
      if (k.campaign) count(rm::counts_named_key(tno, CountKind::campaign, campaigns_[k.campaign]), n);
    }
    std::vector<const std::pair<const std::string, Counters>*> sorted;
    sorted.reserve(counts.size());
    for (const auto& entry : counts) sorted.push_back(&entry);
    std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->first < b->first; });
    Appender out(generation_.store(), models_.dbs().counts);
    for (const auto* entry : sorted) {
      out(entry->first, rm::counts_value(entry->second));
    }
    out.finish();
  }

  Generation& generation_;
  const ReadModels& models_;
  const Log& log_;
  std::vector<std::unique_ptr<RecordView>> views_;  // records pass 3 applies (others reset)
  std::vector<Mutation> mutations_;
  std::vector<Reused> reused_;  // ids used again, in log order
  std::vector<std::unique_ptr<Tenant>> tenants_;    // in the order numbers were assigned
  std::unordered_map<std::string_view, Tenant*> tenant_index_;
  Tenant* last_tenant_ = nullptr;
  Arena strings_;  // ids and tenant names
  Dictionary names_, domains_, contacts_, campaigns_, session_ids_;
  std::vector<std::pair<std::string, char>> session_starts_;        // in key order
  std::vector<std::pair<std::string, std::uint64_t>> session_days_;  // in key order
  std::vector<Aged> aged_;
  std::unordered_map<CellKey, Counters, CellHash> cells_;
  std::uint64_t last_ = 0, events_ = 0;
};

}  // namespace

namespace {
std::uint64_t log_snapshot_head(const Store& log_store, const Log& log) {
  auto reader = log_store.read();
  LogCursor cursor(reader.txn(), log);
  return cursor.last() ? cursor.position() : 0;
}
}  // namespace

Folded bulk_fold(Generation& generation, const Store& log_store, const Log& log, const BulkLimits& limits,
                 const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
  if (generation.checkpoint() != 0) return {};
  // One snapshot of the log for the whole fold: the entries collected are views into it.
  auto log_snapshot = log_store.read();
  Bulk bulk(generation, log);
  if (!bulk.collect(log_snapshot.txn(), limits, progress)) return {};
  bulk.write();
  bulk.mutate(log_store);
  Folded out;
  out.checkpoint = bulk.last();
  out.records = bulk.records();
  out.events = bulk.events();
  out.at_end = bulk.last() == std::min(limits.until, log_snapshot_head(log_store, log));
  return out;
}

}  // namespace eventsd
