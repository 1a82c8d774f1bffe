// Console users' passwords as Argon2id hashes in the PHC string form libsodium writes
// ("$argon2id$v=19$m=65536,t=2,p=1$salt$hash": the cost "interactive", 2 passes over 64 MiB).
//
// Checking a password needs the hash's memory (64 MiB). libsodium maps it, faults it in page by
// page and unmaps it for every check; in a server each of those steps takes the process's memory
// map lock and makes the kernel shoot down every thread's TLB, so the I/O threads stall behind a
// check that runs on another thread (docs/performance.md, "Logins"). So a check runs Argon2 of the
// reference library (libargon2) in memory of the calling thread's own, mapped once and kept for
// the next check until the thread ends (a login worker keeps its 64 MiB).
//
// Thread safety: both functions from any thread at once (each thread has its own memory).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace eventsd {

inline constexpr std::size_t kMinPasswordBytes = 8;
inline constexpr std::size_t kMaxPasswordBytes = 1024;

// A new Argon2id hash of `password`, with a random salt.
std::string hash_password(std::string_view password);
// Constant-time check of a password against a stored hash (argon2id or argon2i, version 19);
// false for a malformed hash or one beyond sane costs (over 4 GiB, 1,000 passes or 16 lanes).
bool verify_password(std::string_view hash, std::string_view password);

}  // namespace eventsd
