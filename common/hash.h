// SHA-256 of a byte string (OpenSSL's libcrypto) and its hex form.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace eventsd {

using Sha256 = std::array<std::uint8_t, 32>;

Sha256 sha256(std::string_view bytes);
std::string to_hex(std::string_view bytes);
inline std::string to_hex(const Sha256& h) {
  return to_hex(std::string_view(reinterpret_cast<const char*>(h.data()), h.size()));
}
inline std::string_view as_view(const Sha256& h) {
  return {reinterpret_cast<const char*>(h.data()), h.size()};
}

}  // namespace eventsd
