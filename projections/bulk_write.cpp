#include "projections/bulk_write.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace eventsd::bulk {

namespace {

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

void add(Counters& c, const Counters& d) {
  c.all += d.all;
  c.identified += d.identified;
  c.suppressed += d.suppressed;
  c.identified_suppressed += d.identified_suppressed;
}

template <class Entries>
void sort_entries(Entries& entries) {
  // Live traffic arrives mostly in time order: usually already sorted.
  if (!std::is_sorted(entries.begin(), entries.end())) std::sort(entries.begin(), entries.end());
}

// The groups of a tenant, in the byte order of their names.
template <class Groups>
std::vector<std::pair<std::uint32_t, typename Groups::mapped_type*>> ordered(Groups& groups,
                                                                             const Dictionary& dictionary) {
  std::vector<std::pair<std::uint32_t, typename Groups::mapped_type*>> out;
  out.reserve(groups.size());
  for (auto& [id, entries] : groups) out.emplace_back(id, &entries);
  std::sort(out.begin(), out.end(), [&](const auto& a, const auto& b) { return dictionary[a.first] < dictionary[b.first]; });
  return out;
}

class Writer {
 public:
  Writer(Collected& c, Generation& generation)
      : c_(c), store_(generation.store()), models_(generation.models()) {
    for (auto& t : c_.tenants) by_number_.push_back(t.get());  // assigned in order: already by number
  }

  void write() {
    const auto& db = models_.dbs();
    const std::string_view none;
    {
      std::vector<Tenant*> by_name = by_number_;
      std::sort(by_name.begin(), by_name.end(), [](const Tenant* a, const Tenant* b) { return a->name < b->name; });
      Appender out(store_, db.tenants);
      for (const Tenant* t : by_name) out(t->name, rm::tenants_value(t->tno));
      out.finish();
    }
    {
      Appender out(store_, db.events);
      for (const Tenant* t : by_number_) {
        for (auto seq : t->events) out(rm::events_key(t->tno, seq), none);
      }
      out.finish();
    }
    {
      Appender out(store_, db.ids);
      for (const Tenant* t : by_number_) {
        for (const auto& e : t->ids) out(rm::ids_key(t->tno, e.id), rm::seq_value(e.seq));
      }
      out.finish();
    }
    {
      Appender out(store_, db.by_time);
      for (Tenant* t : by_number_) {
        sort_entries(t->by_time);
        for (const auto& e : t->by_time) out(rm::by_time_key(t->tno, e.ts, e.seq()), rm::flags_value(e.flags()));
      }
      out.finish();
    }
    write_groups(db.by_type, &Tenant::by_type, c_.names);
    write_groups(db.by_domain, &Tenant::by_domain, c_.domains);
    write_groups(db.by_campaign, &Tenant::by_campaign, c_.campaigns);
    {
      Appender out(store_, db.by_contact);
      for (Tenant* t : by_number_) {
        for (auto& [contact, entries] : ordered(t->by_contact, c_.contacts)) {
          sort_entries(*entries);
          for (const auto& e : *entries) {
            out(rm::by_contact_key(t->tno, c_.contacts[contact], e.ts, e.seq()),
                rm::by_contact_value(e.flags(), e.points, c_.names[e.name]));
          }
        }
      }
      out.finish();
    }
    {
      Appender out(store_, db.campaigns);
      for (Tenant* t : by_number_) {
        for (auto& [campaign, entries] : ordered(t->by_campaign, c_.campaigns)) {
          out(rm::campaigns_key(t->tno, c_.campaigns[campaign]), none);
        }
      }
      out.finish();
    }
    {
      std::sort(c_.campaign_expiry.begin(), c_.campaign_expiry.end());
      Appender out(store_, db.campaign_expiry);
      for (const auto& a : c_.campaign_expiry) {
        const Entry e{a.ts, a.seq_flags};
        out(rm::campaign_expiry_key(a.ts, a.tno, e.seq()), rm::flags_value(e.flags()));
      }
      out.finish();
    }
    write_counts();
    write_sessions();
    store_.write([&](lmdb::Txn& txn) {
      const std::uint64_t next = c_.tenants.size() + 1;
      if (!c_.tenants.empty()) txn.put(db.meta, rm::kNextTenantKey, keys::native_u64(next));
    });
  }

 private:
  // rm_by_type, rm_by_domain or rm_by_campaign: [tno][name\0][ts][seq] -> flags.
  void write_groups(MDB_dbi db, std::unordered_map<std::uint32_t, std::vector<Entry>> Tenant::*groups,
                    const Dictionary& dictionary) {
    Appender out(store_, db);
    for (Tenant* t : by_number_) {
      for (auto& [id, entries] : ordered(t->*groups, dictionary)) {
        sort_entries(*entries);
        for (const auto& e : *entries) {
          out(rm::named_entry_key(t->tno, dictionary[id], e.ts, e.seq()), rm::flags_value(e.flags()));
        }
      }
    }
    out.finish();
  }

  // The sessions model (visitor_sessions.h) of the events as ingested: each subject's points in
  // time order, a session starting wherever more than kSessionGap separates two of them.
  void write_sessions() {
    const SessionDbs& db = models_.sessions().dbs();
    Appender points(store_, db.points);
    std::vector<Entry> starts;  // of one tenant: (ts, seq | kind in the flag bits)
    std::map<std::pair<std::int64_t, SessionSubject>, std::uint64_t> days;
    std::vector<std::string> session_keys;                             // in key order, written after the points
    std::vector<std::pair<std::string, char>> session_starts;          // in key order
    std::vector<std::pair<std::string, std::uint64_t>> session_days;  // in key order
    for (Tenant* t : by_number_) {
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
      subjects(t->contact_points, c_.contacts, SessionSubject::contact);
      subjects(t->anonymous_points, c_.session_ids, SessionSubject::anonymous);
      std::sort(starts.begin(), starts.end());
      for (const auto& s : starts) {
        const char kind = static_cast<char>(s.flags() ? SessionSubject::anonymous : SessionSubject::contact);
        session_starts.push_back({rm::session_starts_key(t->tno, s.ts, s.seq()).str(), kind});
      }
      for (const auto& [day_kind, n] : days) {
        session_days.push_back({rm::session_days_key(t->tno, day_kind.first, day_kind.second).str(), n});
      }
    }
    points.finish();
    Appender sessions_out(store_, db.sessions);
    for (const auto& key : session_keys) sessions_out(key, std::string_view());
    sessions_out.finish();
    Appender starts_out(store_, db.starts);
    for (const auto& [key, kind] : session_starts) starts_out(key, std::string_view(&kind, 1));
    starts_out.finish();
    Appender days_out(store_, db.days);
    for (const auto& [key, n] : session_days) days_out(key, keys::native_u64(n));
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
    for (const auto& [k, n] : c_.cells) {
      const std::string_view name = c_.names[k.name], domain = c_.domains[k.domain];
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
      if (k.campaign) count(rm::counts_named_key(tno, CountKind::campaign, c_.campaigns[k.campaign]), n);
    }
    std::vector<const std::pair<const std::string, Counters>*> sorted;
    sorted.reserve(counts.size());
    for (const auto& entry : counts) sorted.push_back(&entry);
    std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->first < b->first; });
    Appender out(store_, models_.dbs().counts);
    for (const auto* entry : sorted) out(entry->first, rm::counts_value(entry->second));
    out.finish();
  }

  Collected& c_;
  Store& store_;
  const ReadModels& models_;
  std::vector<Tenant*> by_number_;
};

}  // namespace

void write_databases(Collected& collected, Generation& generation) { Writer(collected, generation).write(); }

}  // namespace eventsd::bulk
