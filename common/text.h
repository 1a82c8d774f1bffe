// Text that people read (docs/security.md, "Text an operator reads"): which characters must
// never reach a terminal or a listing as they are, and the UTF-8 decoding that finds them.
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string_view>

namespace eventsd {

// The control characters: C0 (U+0000-U+001F), DEL (U+007F), C1 (U+0080-U+009F), and the Unicode
// bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), which reorder
// the text that follows them on screen.
bool is_control_character(char32_t c);

// The code point whose well-formed UTF-8 sequence (RFC 3629) starts at s[i], and its length;
// length 0 when the bytes there are not one (a stray byte, an overlong form, a surrogate).
struct CodePoint {
  char32_t value = 0;
  std::size_t length = 0;
};
CodePoint decode_utf8(std::string_view s, std::size_t i);

// Whether `s` holds a control character, or a byte that is not part of well-formed UTF-8 (a
// terminal may take a lone 0x9B for the C1 control CSI).
bool has_control_characters(std::string_view s);

}  // namespace eventsd
