// The opaque cursors of keyset paging (event_queries.h).
#include <cstdint>
#include <string>

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
