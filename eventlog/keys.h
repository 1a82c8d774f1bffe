// Order-preserving key encoding for LMDB's default (memcmp) key order.
//
// Integers are big-endian; signed integers have their sign bit flipped so that negative values
// sort first. Strings are written raw and closed by a 0x00 byte: every string that reaches a key
// is validated to contain no control characters, so the terminator sorts below any content and
// "ab" < "abc" holds for keys just as for the strings.
//
// A Key lives on the stack (LMDB keys are at most 511 bytes), so building one never allocates.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

namespace eventsd::keys {

inline constexpr std::size_t kMaxKeySize = 511;

class Key {
 public:
  // User-provided, so that `Key()` does not zero the 511-byte buffer first.
  Key() noexcept {}

  Key& u8(std::uint8_t v) { return put(&v, 1); }
  Key& u32(std::uint32_t v) {
    unsigned char b[4] = {static_cast<unsigned char>(v >> 24), static_cast<unsigned char>(v >> 16),
                          static_cast<unsigned char>(v >> 8), static_cast<unsigned char>(v)};
    return put(b, 4);
  }
  Key& u64(std::uint64_t v) {
    unsigned char b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<unsigned char>(v >> (56 - 8 * i));
    return put(b, 8);
  }
  Key& i64(std::int64_t v) { return u64(static_cast<std::uint64_t>(v) ^ (std::uint64_t{1} << 63)); }
  Key& str(std::string_view s) {
    put(s.data(), s.size());
    return u8(0);
  }
  Key& raw(std::string_view s) { return put(s.data(), s.size()); }

  std::string_view view() const { return {bytes_.data(), size_}; }
  operator std::string_view() const { return view(); }
  std::string str() const { return std::string(view()); }
  std::size_t size() const { return size_; }

 private:
  Key& put(const void* p, std::size_t n) {
    if (size_ + n > kMaxKeySize) throw std::length_error("key longer than LMDB allows");
    if (n == 0) return *this;  // (an empty view may have no data pointer: memcpy wants one)
    std::memcpy(bytes_.data() + size_, p, n);
    size_ += n;
    return *this;
  }
  std::array<char, kMaxKeySize> bytes_;
  std::size_t size_ = 0;
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
