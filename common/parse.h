// Reading numbers from text exactly: the whole text, digits only (no sign, no spaces, no
// exponent), nothing silently clamped. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace eventsd {

// "0" to "18446744073709551615"; nullopt for anything else (empty, a sign, an overflow).
std::optional<std::uint64_t> parse_u64(std::string_view text);

}  // namespace eventsd
