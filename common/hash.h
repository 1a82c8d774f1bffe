// Hashes: SHA-256 (OpenSSL's libcrypto), whole or fed piece by piece, and FNV-1a (64-bit), the
// small non-cryptographic hash whose values some stored formats depend on (placement of tenants
// on shards: never change it).
// Thread safety: pure functions; a Sha256Hasher is used by one thread at a time.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>

namespace eventsd {

using Sha256 = std::array<std::uint8_t, 32>;

Sha256 sha256(std::string_view bytes);

class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(Sha256Hasher&&) noexcept;
  Sha256Hasher& operator=(Sha256Hasher&&) noexcept;
  void update(std::string_view bytes);
  // The digest of everything fed; the hasher must not be fed again.
  Sha256 finish();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

inline std::string_view as_view(const Sha256& h) {
  return {reinterpret_cast<const char*>(h.data()), h.size()};
}

// FNV-1a, 64-bit, fed byte by byte.
class Fnv1a64 {
 public:
  constexpr Fnv1a64& add(unsigned char byte) {
    h_ ^= byte;
    h_ *= 0x100000001b3ULL;
    return *this;
  }
  constexpr Fnv1a64& add(std::string_view bytes) {
    for (char c : bytes) add(static_cast<unsigned char>(c));
    return *this;
  }
  constexpr std::uint64_t value() const { return h_; }

 private:
  std::uint64_t h_ = 0xcbf29ce484222325ULL;
};

constexpr std::uint64_t fnv1a64(std::string_view bytes) { return Fnv1a64().add(bytes).value(); }

}  // namespace eventsd
