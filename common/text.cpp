#include "common/text.h"

namespace eventsd {

bool is_control_character(char32_t c) {
  return c < 0x20 || (c >= 0x7F && c <= 0x9F) || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

CodePoint decode_utf8(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  if (c < 0x80) return {c, 1};
  std::size_t n;
  char32_t value;
  unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    value = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    value = c & 0x0F;
    if (c == 0xE0) lo = 0xA0;  // no overlongs
    if (c == 0xED) hi = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    value = c & 0x07;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return {};
  }
  if (i + n > s.size() || b(1) < lo || b(1) > hi) return {};
  for (std::size_t k = 1; k < n; ++k) {
    if (b(k) < 0x80 || b(k) > 0xBF) return {};
    value = (value << 6) | (b(k) & 0x3F);
  }
  return {value, n};
}

bool has_control_characters(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7F) {  // printable ASCII: most text is only this
      ++i;
      continue;
    }
    const CodePoint cp = decode_utf8(s, i);
    if (cp.length == 0 || is_control_character(cp.value)) return true;
    i += cp.length;
  }
  return false;
}

}  // namespace eventsd
