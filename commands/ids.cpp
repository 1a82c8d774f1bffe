#include "commands/ids.h"

namespace eventsd {

IdGenerator::IdGenerator() : rng_(std::random_device{}()) {}

std::string IdGenerator::next(Millis now) {
  if (now > last_ms_) {
    last_ms_ = now;
    hi_ = rng_() & 0x7FFF;  // leave headroom so increments never overflow 80 bits
    lo_ = rng_();
  } else if (++lo_ == 0) {
    ++hi_;
  }
  static constexpr char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  // 128 bits: 48 of time, 16 + 64 of randomness; 26 characters of 5 bits (the top 2 are zero).
  const unsigned __int128 value = (static_cast<unsigned __int128>(last_ms_ & 0xFFFFFFFFFFFF) << 80) |
                                  (static_cast<unsigned __int128>(hi_) << 64) | lo_;
  std::string out = "evt_";
  out.resize(4 + 26);
  for (int i = 25; i >= 0; --i) {
    out[4 + i] = alphabet[static_cast<unsigned>(value >> (5 * (25 - i))) & 31];
  }
  return out;
}

}  // namespace eventsd
