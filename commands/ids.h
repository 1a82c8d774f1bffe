// Server-made event ids: "evt_" followed by a ULID (26 Crockford base32 characters: 48 bits of
// milliseconds, 80 random bits). Ids made by one generator sort in the order they were made,
// even within one millisecond (the random part is incremented), so they also sort by creation.
//
// Not thread-safe: the writer thread owns the one generator.
#pragma once

#include <cstdint>
#include <random>
#include <string>

#include "common/time.h"

namespace eventsd {

class IdGenerator {
 public:
  IdGenerator();
  std::string next(Millis now);

 private:
  std::mt19937_64 rng_;
  Millis last_ms_ = -1;
  std::uint64_t hi_ = 0;  // top 16 of the 80 random bits
  std::uint64_t lo_ = 0;  // low 64 random bits
};

}  // namespace eventsd
