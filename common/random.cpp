#include "common/random.h"

#include <sodium.h>

#include <stdexcept>

#include "common/encoding.h"

namespace eventsd {

std::string random_hex(std::size_t bytes) {
  // sodium_init() is idempotent and thread-safe; randombytes needs it.
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  return to_hex(raw);
}

}  // namespace eventsd
