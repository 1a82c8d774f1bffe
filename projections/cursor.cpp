// The opaque cursors of keyset paging (event_queries.h).
#include <cstdint>
#include <string>

#include "common/encoding.h"
#include "eventlog/keys.h"
#include "projections/event_queries.h"

namespace eventsd {

using keys::Key;

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
  return to_base64url(raw);
}

std::optional<ListPosition> decode_cursor(std::string_view cursor, SortBy sort_by,
                                          bool descending) {
  if (cursor.size() > 400) return std::nullopt;
  const auto decoded = from_base64url(cursor);
  if (!decoded) return std::nullopt;
  const std::string& raw = *decoded;
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
