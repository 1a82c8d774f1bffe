// The index walks under the event listings and counts (event_queries.h): which of the key layouts
// of read_model_keys.h a walk reads, one scan over a key range in either direction (resumable
// after a key, renewing its snapshot as it goes), and the checks an index entry answers by itself.
// Internal to projections/: list_plan.h and list_walker.h build on it.
//
// Thread safety: a scan runs inside the caller's transaction, on the caller's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "eventlog/lmdb.h"
#include "projections/event_queries.h"
#include "projections/read_models.h"

namespace eventsd::listing {

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

Entry decode_entry(const Scan& scan, std::string_view key, std::string_view value);

// Positions `cursor` on the scan's first entry (in its order) strictly after the key `after`,
// or on its first entry. False when there is none.
bool seek(lmdb::Cursor& cursor, const Scan& scan, const std::optional<std::string>& after);

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

std::uint64_t pick(const Counters& c, const EventFilter& f);

bool flags_match(std::uint8_t flags, const EventFilter& f);

bool contains_icase(std::string_view hay, std::string_view needle);

}  // namespace eventsd::listing
