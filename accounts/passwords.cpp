#include "accounts/passwords.h"

#include <argon2.h>
#include <sodium.h>
#include <sys/mman.h>

#include <charconv>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <vector>

namespace eventsd {

namespace {

// libsodium must be initialised before use; sodium_init() is idempotent and thread-safe.
void need_sodium() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

// What a PHC string says: "$argon2id$v=19$m=65536,t=2,p=1$<salt>$<hash>", base64 without padding.
struct Encoded {
  argon2_type type = Argon2_id;
  std::uint32_t memory_kib = 0;
  std::uint32_t passes = 0;
  std::uint32_t lanes = 0;
  std::vector<std::uint8_t> salt;
  std::vector<std::uint8_t> hash;
};

bool take(std::string_view& s, std::string_view prefix) {
  if (!s.starts_with(prefix)) return false;
  s.remove_prefix(prefix.size());
  return true;
}

bool take_number(std::string_view& s, std::uint32_t& out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc() || end == s.data()) return false;
  s.remove_prefix(static_cast<std::size_t>(end - s.data()));
  return true;
}

bool take_base64(std::string_view& s, std::vector<std::uint8_t>& out, std::size_t min, std::size_t max) {
  const auto dollar = s.find('$');
  const std::string_view text = s.substr(0, dollar);
  out.resize(max);
  std::size_t n = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &n, &end,
                        sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0 ||
      end != text.data() + text.size() || n < min) {
    return false;
  }
  out.resize(n);
  s.remove_prefix(text.size());
  return true;
}

std::optional<Encoded> decode(std::string_view s) {
  Encoded e;
  if (take(s, "$argon2id$")) {
    e.type = Argon2_id;
  } else if (take(s, "$argon2i$")) {
    e.type = Argon2_i;
  } else {
    return std::nullopt;
  }
  std::uint32_t version = 0;
  if (!take(s, "v=") || !take_number(s, version) || version != ARGON2_VERSION_13 || !take(s, "$m=") ||
      !take_number(s, e.memory_kib) || !take(s, ",t=") || !take_number(s, e.passes) || !take(s, ",p=") ||
      !take_number(s, e.lanes) || !take(s, "$") || !take_base64(s, e.salt, ARGON2_MIN_SALT_LENGTH, 64) ||
      !take(s, "$") || !take_base64(s, e.hash, ARGON2_MIN_OUTLEN, 64) || !s.empty()) {
    return std::nullopt;
  }
  if (e.memory_kib > (std::uint32_t{1} << 22) || e.passes < 1 || e.passes > 1'000 || e.lanes < 1 || e.lanes > 16) {
    return std::nullopt;
  }
  return e;
}

// The calling thread's Argon2 memory, mapped at the first check and kept for the next ones.
struct ThreadMemory {
  std::uint8_t* base = nullptr;
  std::size_t size = 0;
  ~ThreadMemory() {
    if (base) ::munmap(base, size);
  }
};
thread_local ThreadMemory memory;

int lend_memory(std::uint8_t** out, std::size_t bytes) {
  if (memory.size < bytes) {
    if (memory.base) ::munmap(memory.base, memory.size);
    memory = {};
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return ARGON2_MEMORY_ALLOCATION_ERROR;
    ::madvise(p, bytes, MADV_HUGEPAGE);  // fewer pages to fault in and to miss in the TLB; advice only
    memory.base = static_cast<std::uint8_t*>(p);
    memory.size = bytes;
  }
  *out = memory.base;
  return ARGON2_OK;
}

void keep_memory(std::uint8_t*, std::size_t) {}  // (libargon2 wipes it before handing it back)

}  // namespace

std::string hash_password(std::string_view password) {
  need_sodium();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                            crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw std::runtime_error("out of memory hashing a password");
  }
  return out;
}

bool verify_password(std::string_view hash, std::string_view password) {
  need_sodium();
  if (hash.size() >= crypto_pwhash_STRBYTES || password.size() > ARGON2_MAX_PWD_LENGTH) return false;
  auto e = decode(hash);
  if (!e) return false;
  std::vector<std::uint8_t> out(e->hash.size());
  std::string pwd(password);  // argon2_context wants a mutable buffer
  argon2_context ctx{};
  ctx.out = out.data();
  ctx.outlen = static_cast<std::uint32_t>(out.size());
  ctx.pwd = reinterpret_cast<std::uint8_t*>(pwd.data());
  ctx.pwdlen = static_cast<std::uint32_t>(pwd.size());
  ctx.salt = e->salt.data();
  ctx.saltlen = static_cast<std::uint32_t>(e->salt.size());
  ctx.t_cost = e->passes;
  ctx.m_cost = e->memory_kib;
  ctx.lanes = e->lanes;
  ctx.threads = 1;  // the caller's thread only
  ctx.version = ARGON2_VERSION_13;
  ctx.allocate_cbk = lend_memory;
  ctx.free_cbk = keep_memory;
  ctx.flags = ARGON2_FLAG_CLEAR_PASSWORD;
  const int status = argon2_ctx(&ctx, e->type);
  sodium_memzero(pwd.data(), pwd.size());
  return status == ARGON2_OK && sodium_memcmp(out.data(), e->hash.data(), out.size()) == 0;
}

}  // namespace eventsd
