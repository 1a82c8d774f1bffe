#include "projections/stats.h"

#include <algorithm>
#include <map>

#include "projections/visitor_sessions.h"
#include "projections/stored_event.h"

namespace eventsd {

using rm::Key;

namespace {

Counters& operator+=(Counters& a, const Counters& b) {
  a.all += b.all;
  a.identified += b.identified;
  a.suppressed += b.suppressed;
  a.identified_suppressed += b.identified_suppressed;
  return a;
}

// Reads the 0-terminated string at `at`, advancing it.
std::string_view take_str(std::string_view key, std::size_t& at) {
  const std::size_t end = key.find('\0', at);
  std::string_view s = key.substr(at, end - at);
  at = end + 1;
  return s;
}

// Sums of counters per dimension while a query runs.
struct Tally {
  explicit Tally(const StatsQuery& query) : q(query) {}
  const StatsQuery& q;
  Counters total;
  std::map<std::string, Counters, std::less<>> by_type, by_domain;
  std::map<Millis, Counters> by_day;

  bool wanted(std::string_view type, std::string_view domain) const {
    return (!q.event_type || type == *q.event_type) && (!q.domain || domain == *q.domain);
  }
  void add(std::string_view type, std::string_view domain, std::optional<Millis> day,
           const Counters& c) {
    total += c;
    by_type[std::string(type)] += c;
    if (!domain.empty()) by_domain[std::string(domain)] += c;
    if (day) by_day[*day] += c;
  }
  void add_event(std::string_view type, std::string_view domain, Millis ts, std::uint8_t flags) {
    Counters c;
    c.all = 1;
    if (flags & kIdentified) c.identified = 1;
    if (flags & kSuppressed) c.suppressed = 1;
    if ((flags & kIdentified) && (flags & kSuppressed)) c.identified_suppressed = 1;
    add(type, domain, day_start(ts), c);
  }

  std::uint64_t shown(const Counters& c) const {
    return q.identified_only ? c.identified - c.identified_suppressed : c.all - c.suppressed;
  }
  std::uint64_t hidden(const Counters& c) const {
    return q.identified_only ? c.identified_suppressed : c.suppressed;
  }
};

std::vector<std::pair<std::string, std::uint64_t>> top(
    const Tally& t, const std::map<std::string, Counters, std::less<>>& m) {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  for (const auto& [name, c] : m) {
    if (auto n = t.shown(c)) out.emplace_back(name, n);
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  if (out.size() > kStatsTopN) out.resize(kStatsTopN);
  return out;
}

class StatsQueryRun {
 public:
  StatsQueryRun(const ReadView& view, std::uint32_t tno, const StatsQuery& q)
      : models_(view.models), txn_(view.txn), log_txn_(view.log_txn), tno_(tno), q_(q), tally_(q),
        last_day_(day_start(q.before ? std::min(*q.before, q.now) : q.now)),
        first_day_(last_day_ - static_cast<Millis>(kStatsDays - 1) * kMillisPerDay) {}

  Stats run() {
    if (!q_.after && !q_.before) {
      all_time();
    } else {
      ranged();
    }
    Stats s;
    s.total = tally_.shown(tally_.total);
    s.suppressed = tally_.hidden(tally_.total);
    s.by_type = top(tally_, tally_.by_type);
    s.by_domain = top(tally_, tally_.by_domain);
    for (auto it = tally_.by_day.rbegin(); it != tally_.by_day.rend() && it->first >= first_day_; ++it) {
      if (it->first > last_day_) continue;
      if (auto n = tally_.shown(it->second)) s.by_day.emplace_back(it->first, n);
    }
    s.sessions = count_sessions({models_, txn_, log_txn_}, tno_, q_.after, q_.before, q_.identified_only);
    return s;
  }

 private:
  // Calls f(key, counters) for every counter whose key starts with `prefix`.
  template <class F>
  void scan(const Key& prefix, F&& f) const {
    lmdb::Cursor cursor(txn_, models_.dbs().counts);
    for (bool ok = cursor.seek(prefix); ok && cursor.key().starts_with(prefix.view()); ok = cursor.next()) {
      f(cursor.key(), rm::read_counts_value(cursor.value()));
    }
  }

  // No date bounds: totals from the all-time (type, domain) counters, days from the most recent
  // day rows.
  void all_time() {
    const Key type_domain = rm::counts_prefix(tno_, CountKind::type_domain);
    const std::size_t at0 = type_domain.size();
    scan(type_domain, [&](std::string_view key, const Counters& c) {
      std::size_t at = at0;
      const auto type = take_str(key, at);
      const auto domain = take_str(key, at);
      if (tally_.wanted(type, domain)) tally_.add(type, domain, std::nullopt, c);
    });
    if (!q_.event_type && !q_.domain) {
      // The per-day totals of the window's days.
      const Key prefix = rm::counts_prefix(tno_, CountKind::day);
      lmdb::Cursor cursor(txn_, models_.dbs().counts);
      for (bool ok = cursor.seek(rm::counts_day_seek(tno_, CountKind::day, first_day_));
           ok && cursor.key().starts_with(prefix.view()); ok = cursor.next()) {
        const Millis day = rm::counts_key_day(cursor.key());
        if (day > last_day_) break;
        tally_.by_day[day] += rm::read_counts_value(cursor.value());
      }
      return;
    }
    // A filter: the (day, type, domain) rows of the window's days.
    wanted_day_rows(first_day_, last_day_, [&](Millis day, std::string_view, std::string_view, const Counters& c) {
      tally_.by_day[day] += c;
    });
  }

  // Date bounds: whole days from the (day, type, domain) rows, the partial days at either end
  // by scanning their events.
  void ranged() {
    const Millis lo = q_.after.value_or(0);
    const Millis hi = q_.before.value_or(std::numeric_limits<Millis>::max() - kMillisPerDay);
    if (lo > hi) return;
    Millis first_whole = day_start(lo) == lo ? lo : day_start(lo) + kMillisPerDay;
    Millis last_whole = day_start(hi) + kMillisPerDay - 1 == hi ? day_start(hi) : day_start(hi) - kMillisPerDay;
    if (first_whole > last_whole) {
      scan_events(lo, hi);  // within one day, or two partial days
      return;
    }
    if (lo < first_whole) scan_events(lo, first_whole - 1);
    if (last_whole + kMillisPerDay - 1 < hi) scan_events(last_whole + kMillisPerDay, hi);
    wanted_day_rows(first_whole, last_whole,
                    [&](Millis day, std::string_view type, std::string_view domain, const Counters& c) {
                      tally_.add(type, domain, day, c);
                    });
  }

  // Calls f(day, type, domain, counters) for each (day, type, domain) row of the days `first` to
  // `last` whose type and domain the query wants.
  template <class F>
  void wanted_day_rows(Millis first, Millis last, F&& f) {
    const Key prefix = rm::counts_prefix(tno_, CountKind::day_type_domain);
    lmdb::Cursor cursor(txn_, models_.dbs().counts);
    const Key start = rm::counts_day_seek(tno_, CountKind::day_type_domain, first);
    for (bool ok = cursor.seek(start); ok && cursor.key().starts_with(prefix.view()); ok = cursor.next()) {
      const std::string_view key = cursor.key();
      const Millis day = rm::counts_key_day(key);
      if (day > last) break;
      std::size_t at = prefix.size() + 8;
      const auto type = take_str(key, at);
      const auto domain = take_str(key, at);
      if (tally_.wanted(type, domain)) f(day, type, domain, rm::read_counts_value(cursor.value()));
    }
  }

  // Counts the events with timestamps in [from, to] one by one (a partial day).
  void scan_events(Millis from, Millis to) {
    const auto& db = models_.dbs();
    MDB_dbi index = db.by_time;
    Key prefix = rm::tenant_prefix(tno_);
    if (q_.event_type) {
      index = db.by_type;
      prefix = rm::named_prefix(tno_, *q_.event_type);
    } else if (q_.domain) {
      index = db.by_domain;
      prefix = rm::named_prefix(tno_, *q_.domain);
    }
    LogEvents events(log_txn_, models_.log());
    lmdb::Cursor cursor(txn_, index);
    for (bool ok = cursor.seek(rm::entry_seek(prefix, from)); ok && cursor.key().starts_with(prefix.view());
         ok = cursor.next()) {
      const std::string_view key = cursor.key();
      const Millis ts = rm::entry_ts(key);
      if (ts > to) break;
      auto event = events.get(rm::entry_seq(key));
      if (!event) continue;
      const auto type = text_view(event->getEvent());
      const auto domain = event->hasDomain() ? text_view(event->getDomain()) : std::string_view();
      if (!tally_.wanted(type, domain)) continue;
      const std::uint8_t flags = rm::read_flags_value(cursor.value());
      tally_.add_event(type, domain, ts, flags);
    }
  }

  const ReadModels& models_;
  const lmdb::Txn& txn_;
  const lmdb::Txn& log_txn_;
  std::uint32_t tno_;
  const StatsQuery& q_;
  Tally tally_;
  const Millis last_day_;   // the by_day window: [first_day_, last_day_], UTC day starts
  const Millis first_day_;
};

}  // namespace

Stats compute_stats(const ReadView& view, std::uint32_t tno,
                    const StatsQuery& query) {
  return StatsQueryRun(view, tno, query).run();
}

SuppressionStats suppression_stats(const ReadView& view, std::uint32_t tno) {
  const ReadModels& models = view.models;
  const lmdb::Txn& txn = view.txn;
  SuppressionStats out;
  lmdb::Cursor cursor(txn, models.dbs().counts);
  const Key reasons = rm::counts_prefix(tno, CountKind::reason);
  for (bool ok = cursor.seek(reasons); ok && cursor.key().starts_with(reasons.view()); ok = cursor.next()) {
    const auto reason = static_cast<std::uint8_t>(cursor.key()[reasons.size()]);
    if (reason < out.by_reason.size()) out.by_reason[reason] = rm::read_counts_value(cursor.value()).all;
  }
  const Key days = rm::counts_prefix(tno, CountKind::day_reason);
  bool ok = cursor.seek(keys::prefix_end(days)) ? cursor.prev() : cursor.last();
  for (; ok && cursor.key().starts_with(days.view()); ok = cursor.prev()) {
    const Millis day = rm::counts_key_day(cursor.key());
    const auto reason = static_cast<std::uint8_t>(cursor.key()[days.size() + 8]);
    if (out.by_day.empty() || out.by_day.back().first != day) {
      if (out.by_day.size() == kStatsDays) break;
      out.by_day.emplace_back(day, std::array<std::uint64_t, 4>{});
    }
    if (reason < 4) out.by_day.back().second[reason] = rm::read_counts_value(cursor.value()).all;
  }
  return out;
}

std::vector<std::string> event_types(const ReadView& view, std::uint32_t tno) {
  const ReadModels& models = view.models;
  const lmdb::Txn& txn = view.txn;
  std::vector<std::string> out;
  const Key prefix = rm::counts_prefix(tno, CountKind::type);
  lmdb::Cursor cursor(txn, models.dbs().counts);
  for (bool ok = cursor.seek(prefix); ok && cursor.key().starts_with(prefix.view()); ok = cursor.next()) {
    std::string_view key = cursor.key();
    out.emplace_back(key.substr(prefix.size(), key.size() - prefix.size() - 1));
  }
  return out;
}

}  // namespace eventsd
