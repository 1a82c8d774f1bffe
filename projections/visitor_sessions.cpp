#include "projections/visitor_sessions.h"

#include <cstring>
#include <limits>

#include "projections/read_models.h"

namespace eventsd {

namespace {

// A point of a subject's timeline: one unsuppressed event. Keys are copied: the writes that
// follow may move the pages they were read from.
struct Point {
  std::string key;  // rm_session_points key
  Millis ts = 0;
  std::uint64_t seq = 0;
  bool start = false;
};

Point decode_point(std::string_view key, std::string_view value) {
  return {std::string(key), rm::entry_ts(key), rm::entry_seq(key), rm::read_session_point_value(value)};
}

class Fold {
 public:
  Fold(const SessionDbs& dbs, lmdb::Txn& txn, std::uint32_t tno, SessionSubject kind, std::string_view subject)
      : db_(dbs), txn_(txn), tno_(tno), kind_(kind),
        prefix_(rm::session_subject_prefix(tno, kind, subject).str()) {}

  void insert(Millis ts, std::uint64_t seq) {
    const std::string key = point_key(ts, seq);
    const auto [p, n] = neighbours(key);
    const bool link_p = p && ts - p->ts <= kSessionGap;
    const bool link_n = n && n->ts - ts <= kSessionGap;
    // Bridging the gap before n's session folds it into p's; joining n's alone moves its start.
    if (link_n && n->start) drop_start(*n);
    if (!link_p) add_start(ts, seq);
    set_point(key, !link_p);
  }

  void remove(Millis ts, std::uint64_t seq) {
    const std::string key = point_key(ts, seq);
    std::string_view v;
    if (!txn_.get(db_.points, key, v)) return;
    const bool start = rm::read_session_point_value(v);
    const auto [p, n] = neighbours(key);
    txn_.del(db_.points, key);
    if (start) drop_start(Point{key, ts, seq, true});
    // The next event of the same session starts one when t was the start, or when t alone held
    // p and n together.
    if (n && !n->start && (start || n->ts - p->ts > kSessionGap)) {
      add_start(n->ts, n->seq);
      set_point(n->key, true);
    }
  }

 private:
  std::string point_key(Millis ts, std::uint64_t seq) const {
    return rm::entry_key(prefix_, ts, seq).str();
  }

  // The subject's points just before and just after `key` (which is not itself returned), read
  // with one cursor: one tree descent per event.
  std::pair<std::optional<Point>, std::optional<Point>> neighbours(const std::string& key) const {
    lmdb::Cursor cursor(txn_, db_.points);
    auto here = [&](bool ok) -> std::optional<Point> {
      if (!ok || !cursor.key().starts_with(prefix_)) return std::nullopt;
      return decode_point(cursor.key(), cursor.value());
    };
    bool ok = cursor.seek(key);
    const bool present = ok && cursor.key() == key;
    std::optional<Point> after = here(present ? cursor.next() : ok);
    // Back to the last key below `key`: one step back from what follows it, or the very last.
    if (present) {
      ok = after ? cursor.prev() && cursor.prev() : cursor.seek(key) && cursor.prev();
    } else {
      ok = ok ? cursor.prev() : cursor.last();
    }
    return {here(ok), after};
  }

  void set_point(const std::string& key, bool start) {
    txn_.put(db_.points, key, rm::session_point_value(start));
  }

  void add_start(Millis ts, std::uint64_t seq) {
    txn_.put(db_.sessions, point_key(ts, seq), std::string_view());
    const auto kind = static_cast<char>(kind_);
    txn_.put(db_.starts, rm::session_starts_key(tno_, ts, seq), std::string_view(&kind, 1));
    count_day(ts, +1);
  }

  // `p` stops being a session start (its point stays, marked so, or is removed by the caller).
  void drop_start(const Point& p) {
    txn_.del(db_.sessions, p.key);
    txn_.del(db_.starts, rm::session_starts_key(tno_, p.ts, p.seq));
    count_day(p.ts, -1);
    std::string_view still_there;
    if (txn_.get(db_.points, p.key, still_there)) set_point(p.key, false);
  }

  void count_day(Millis ts, int delta) {
    const rm::Key key = rm::session_days_key(tno_, day_start(ts), kind_);
    std::string_view v;
    std::uint64_t n = txn_.get(db_.days, key, v) ? keys::load_native_u64(v) : 0;
    n += static_cast<std::uint64_t>(static_cast<std::int64_t>(delta));
    if (n == 0) txn_.del(db_.days, key);
    else txn_.put(db_.days, key, keys::native_u64(n));
  }

  const SessionDbs& db_;
  lmdb::Txn& txn_;
  std::uint32_t tno_;
  SessionSubject kind_;
  std::string prefix_;
};

std::string subject_prefix(std::uint32_t tno, std::string_view contact) {
  return rm::session_subject_prefix(tno, SessionSubject::contact, contact).str();
}

}  // namespace

void SessionsModel::index(lmdb::Txn& txn, std::uint32_t tno, std::uint64_t seq, const EventView& e,
                          bool insert) const {
  if (e.suppressed()) return;
  std::optional<Fold> fold;
  if (auto contact = e.contact_id()) {
    fold.emplace(dbs_, txn, tno, SessionSubject::contact, *contact);
  } else if (e.base.hasSessionId()) {
    fold.emplace(dbs_, txn, tno, SessionSubject::anonymous, text_view(e.base.getSessionId()));
  } else {
    return;
  }
  if (insert) fold->insert(e.base.getTimestamp(), seq);
  else fold->remove(e.base.getTimestamp(), seq);
}

SessionPage contact_sessions(const ReadView& view, std::uint32_t tno, std::string_view contact,
                             std::uint64_t offset, std::uint32_t limit) {
  const SessionDbs& db = view.models.sessions().dbs();
  const std::string prefix = subject_prefix(tno, contact);
  SessionPage page;
  lmdb::Cursor sessions(view.txn, db.sessions);
  lmdb::Cursor points(view.txn, db.points);
  bool ok = sessions.seek(keys::prefix_end(prefix)) ? sessions.prev() : sessions.last();
  for (; ok && sessions.key().starts_with(prefix); ok = sessions.prev()) {
    const std::uint64_t index = page.total++;
    if (index < offset || page.sessions.size() >= limit) continue;
    Session s;
    s.started_at = rm::entry_ts(sessions.key());
    // Its events: from its start up to the next start; the last one ends it.
    for (bool p = points.seek(sessions.key()); p && points.key().starts_with(prefix); p = points.next()) {
      if (s.event_count > 0 && rm::read_session_point_value(points.value())) break;
      ++s.event_count;
      s.ended_at = rm::entry_ts(points.key());
    }
    page.sessions.push_back(s);
  }
  return page;
}

std::uint64_t count_contact_sessions(const ReadView& view, std::uint32_t tno, std::string_view contact) {
  const std::string prefix = subject_prefix(tno, contact);
  std::uint64_t n = 0;
  lmdb::Cursor cursor(view.txn, view.models.sessions().dbs().sessions);
  for (bool ok = cursor.seek(prefix); ok && cursor.key().starts_with(prefix); ok = cursor.next()) ++n;
  return n;
}

std::uint64_t count_sessions(const ReadView& view, std::uint32_t tno, std::optional<Millis> after,
                             std::optional<Millis> before, bool identified_only) {
  const SessionDbs& db = view.models.sessions().dbs();
  const Millis lo = after.value_or(std::numeric_limits<Millis>::min() / 2);
  const Millis hi = before.value_or(std::numeric_limits<Millis>::max() / 2);
  if (lo > hi) return 0;
  const auto wanted = [&](std::uint8_t kind) {
    return !identified_only || kind == static_cast<std::uint8_t>(SessionSubject::contact);
  };
  // Days wholly inside [lo, hi] from the counters; the cut days at either end from the starts.
  const Millis first_whole = day_start(lo) == lo ? lo : day_start(lo) + kMillisPerDay;
  const Millis last_whole = day_start(hi) + kMillisPerDay - 1 == hi ? day_start(hi) : day_start(hi) - kMillisPerDay;
  std::uint64_t n = 0;
  auto scan_starts = [&](Millis from, Millis to) {
    const rm::Key prefix = rm::tenant_prefix(tno);
    lmdb::Cursor cursor(view.txn, db.starts);
    for (bool ok = cursor.seek(rm::session_starts_seek(tno, from)); ok && cursor.key().starts_with(prefix.view());
         ok = cursor.next()) {
      if (rm::session_starts_ts(cursor.key()) > to) break;
      if (!cursor.value().empty() && wanted(static_cast<std::uint8_t>(cursor.value()[0]))) ++n;
    }
  };
  if (first_whole > last_whole) {
    scan_starts(lo, hi);
    return n;
  }
  if (lo < first_whole) scan_starts(lo, first_whole - 1);
  if (last_whole + kMillisPerDay - 1 < hi) scan_starts(last_whole + kMillisPerDay, hi);
  const rm::Key prefix = rm::tenant_prefix(tno);
  lmdb::Cursor cursor(view.txn, db.days);
  for (bool ok = cursor.seek(rm::session_days_seek(tno, first_whole)); ok && cursor.key().starts_with(prefix.view());
       ok = cursor.next()) {
    if (rm::session_days_day(cursor.key()) > last_whole) break;
    if (wanted(rm::session_days_kind(cursor.key()))) n += keys::load_native_u64(cursor.value());
  }
  return n;
}

}  // namespace eventsd
