// Stored text as eventctl prints it (docs/security.md, "Text an operator reads"): whatever a client
// managed to store — an origin, an e-mail, an event's name or data — reaches the operator's terminal
// as visible characters, never as a control that moves the cursor, changes colours, starts a new
// line that looks like another record, or reorders what follows. Every printer of stored text uses
// one of these two.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace eventsd::cli {

// `text` for a tab-separated listing: the control characters (common/text.h) escaped — C0 and DEL
// as \xNN, C1 and the bidirectional controls as \u{NNNN} — each byte that is not well-formed UTF-8
// as \xNN, and a backslash doubled, so that no escape is ambiguous.
std::string printable(std::string_view text);

// A line of JSON (what dump and audit print) with the same characters escaped as JSON spells them
// (\u00NN, \u202e) and each byte that is not UTF-8 as \ufffd: still JSON, with the same values.
std::string printable_json(std::string_view json);

}  // namespace eventsd::cli
