// Bytes as text (libsodium's encoders, constant-time): hex, and base64url (RFC 4648 §5, no
// padding) for opaque tokens such as paging cursors. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/hash.h"

namespace eventsd {

// Lower-case hex, two digits per byte.
std::string to_hex(std::string_view bytes);
inline std::string to_hex(const Sha256& h) { return to_hex(as_view(h)); }

std::string to_base64url(std::string_view bytes);
// nullopt for anything that is not unpadded base64url of some bytes.
std::optional<std::string> from_base64url(std::string_view text);

}  // namespace eventsd
