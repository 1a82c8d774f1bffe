// Order-preserving key encoding for LMDB's default (memcmp) key order.
//
// Integers are big-endian; signed integers have their sign bit flipped so that negative values
// sort first. Strings are written raw and closed by a 0x00 byte: every string that reaches a key
// is validated to contain no control characters, so the terminator sorts below any content and
// "ab" < "abc" holds for keys just as for the strings.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace eventsd::keys {

class Key {
 public:
  Key& u8(std::uint8_t v) {
    bytes_.push_back(static_cast<char>(v));
    return *this;
  }
  Key& u32(std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes_.push_back(static_cast<char>(v >> shift));
    return *this;
  }
  Key& u64(std::uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8) bytes_.push_back(static_cast<char>(v >> shift));
    return *this;
  }
  Key& i64(std::int64_t v) { return u64(static_cast<std::uint64_t>(v) ^ (std::uint64_t{1} << 63)); }
  Key& str(std::string_view s) {
    bytes_.append(s);
    bytes_.push_back('\0');
    return *this;
  }
  Key& raw(std::string_view s) {
    bytes_.append(s);
    return *this;
  }

  std::string_view view() const { return bytes_; }
  operator std::string_view() const { return bytes_; }
  const std::string& str() const { return bytes_; }
  std::size_t size() const { return bytes_.size(); }

 private:
  std::string bytes_;
};

inline std::uint32_t read_u32(std::string_view s, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(s[at + i]);
  return v;
}
inline std::uint64_t read_u64(std::string_view s, std::size_t at) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(s[at + i]);
  return v;
}
inline std::int64_t read_i64(std::string_view s, std::size_t at) {
  return static_cast<std::int64_t>(read_u64(s, at) ^ (std::uint64_t{1} << 63));
}

// Native-endian 8-byte values, as LMDB's MDB_INTEGERKEY keys and plain counters are stored.
inline std::string_view native_u64(const std::uint64_t& v) {
  return {reinterpret_cast<const char*>(&v), sizeof v};
}
inline std::uint64_t load_native_u64(std::string_view s) {
  std::uint64_t v = 0;
  if (s.size() == sizeof v) std::memcpy(&v, s.data(), sizeof v);
  return v;
}

// The smallest key greater than every key that starts with `prefix`, or "" when none exists.
inline std::string prefix_end(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(end.back());
    if (last != 0xFF) {
      ++last;
      return end;
    }
    end.pop_back();
  }
  return end;
}

}  // namespace eventsd::keys
