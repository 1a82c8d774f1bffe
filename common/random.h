// Secrets and random identifiers, from the operating system's CSPRNG (libsodium's randombytes).
// Thread-safe.
#pragma once

#include <cstddef>
#include <string>

namespace eventsd {

// `bytes` random bytes as 2*bytes hex digits (token and session secrets, CSRF tokens, ids).
std::string random_hex(std::size_t bytes);

}  // namespace eventsd
