#include "projections/index_scan.h"

#include <algorithm>
#include <cctype>
#include <limits>

namespace eventsd::listing {

Entry decode_entry(const Scan& scan, std::string_view key, std::string_view value) {
  Entry e{};
  if (scan.layout == Layout::seq_only) {
    e.seq = rm::events_key_seq(key);
    return e;
  }
  e.seq = rm::entry_seq(key);
  e.timestamp = rm::entry_ts(key);
  e.flags = rm::read_flags_value(value);
  if (scan.layout == Layout::name_ts_seq) {
    // [tno][name\0][ts][seq]: the name between the prefix and its terminator.
    e.name = key.substr(scan.prefix.size(), key.size() - rm::kEntrySuffixSize - 1 - scan.prefix.size());
  }
  return e;
}

bool seek(lmdb::Cursor& cursor, const Scan& scan, const std::optional<std::string>& after) {
  if (!scan.descending) {
    std::string start = scan.prefix;
    if (scan.lo_ts) start = rm::entry_seek(scan.prefix, *scan.lo_ts).str();
    if (after && *after >= start) start = *after;
    bool ok = cursor.seek(start);
    if (ok && after && cursor.key() == *after) ok = cursor.next();
    return ok;
  }
  std::string end = keys::prefix_end(scan.prefix);
  if (scan.hi_ts && *scan.hi_ts < std::numeric_limits<Millis>::max()) {
    end = rm::entry_seek(scan.prefix, *scan.hi_ts + 1).str();
  }
  if (after && (end.empty() || *after < end)) end = *after;
  // Position on the last key strictly below `end`.
  if (end.empty()) return cursor.last();
  return cursor.seek(end) ? cursor.prev() : cursor.last();
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

}  // namespace eventsd::listing
