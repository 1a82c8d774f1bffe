#include "tools/terminal_text.h"

#include <cstdio>

#include "common/text.h"

namespace eventsd::cli {

namespace {

// `json`: the escapes JSON reads back as the same characters; otherwise the listing's.
std::string escaped(std::string_view text, bool json) {
  std::string out;
  out.reserve(text.size());
  char buf[16];
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7F) {
      if (c == '\\' && !json) out.push_back('\\');
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    const CodePoint cp = decode_utf8(text, i);
    if (cp.length == 0) {  // not UTF-8
      if (json) {
        out.append("\\ufffd");
      } else {
        std::snprintf(buf, sizeof buf, "\\x%02X", c);
        out.append(buf);
      }
      ++i;
      continue;
    }
    if (!is_control_character(cp.value)) {
      out.append(text.substr(i, cp.length));
    } else if (json) {
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp.value));
      out.append(buf);
    } else if (cp.value < 0x80) {
      std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned>(cp.value));
      out.append(buf);
    } else {
      std::snprintf(buf, sizeof buf, "\\u{%04X}", static_cast<unsigned>(cp.value));
      out.append(buf);
    }
    i += cp.length;
  }
  return out;
}

}  // namespace

std::string printable(std::string_view text) { return escaped(text, false); }

std::string printable_json(std::string_view json) { return escaped(json, true); }

}  // namespace eventsd::cli
