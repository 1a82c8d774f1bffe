#include "http/dialects/hook_signatures.h"

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/x509.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <memory>

#include "common/encoding.h"
#include "common/hash.h"

namespace eventsd::http {

namespace {

constexpr std::size_t kMaxKeyBytes = 512;        // a P-256 SPKI is 91 bytes
constexpr std::size_t kMaxSignatureBytes = 256;  // a DER P-256 signature is at most 72

// Standard base64 (RFC 4648 §4, padded), as SendGrid writes keys and signatures and as HTTP
// basic auth is; nullopt for anything else, including a non-canonical spelling (padding bits that
// are not zero, RFC 4648 §3.5): one byte string has one text, so a credential has one spelling.
std::optional<std::string> from_base64(std::string_view text, std::size_t max_bytes) {
  if (text.empty() || text.size() % 4 != 0 || text.size() / 4 * 3 > max_bytes) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  std::size_t pad = 0;
  if (text.back() == '=') ++pad;
  if (text.size() > 1 && text[text.size() - 2] == '=') ++pad;
  out.resize(static_cast<std::size_t>(n) - pad);
  std::string again(text.size() + 1, '\0');
  const int m = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(again.data()),
                                reinterpret_cast<const unsigned char*>(out.data()), static_cast<int>(out.size()));
  if (m < 0 || std::string_view(again.data(), static_cast<std::size_t>(m)) != text) return std::nullopt;
  return out;
}

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

Pkey p256_key(std::string_view public_key_b64) {
  auto der = from_base64(public_key_b64, kMaxKeyBytes);
  if (!der) return nullptr;
  const auto* p = reinterpret_cast<const unsigned char*>(der->data());
  Pkey key(d2i_PUBKEY(nullptr, &p, static_cast<long>(der->size())));
  if (!key || p != reinterpret_cast<const unsigned char*>(der->data()) + der->size()) return nullptr;
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_EC || EVP_PKEY_get_bits(key.get()) != 256) return nullptr;
  char group[32] = {};
  std::size_t len = 0;
  if (!EVP_PKEY_get_utf8_string_param(key.get(), "group", group, sizeof group, &len)) return nullptr;
  if (std::string_view(group, len) != "prime256v1") return nullptr;
  return key;
}

}  // namespace

bool is_sendgrid_key(std::string_view public_key_b64) { return p256_key(public_key_b64) != nullptr; }

bool verify_sendgrid(std::string_view public_key_b64, std::string_view signature_b64, std::string_view timestamp,
                     std::string_view body) {
  Pkey key = p256_key(public_key_b64);
  auto signature = from_base64(signature_b64, kMaxSignatureBytes);
  if (!key || !signature) return false;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1) return false;
  if (EVP_DigestVerifyUpdate(ctx.get(), timestamp.data(), timestamp.size()) != 1) return false;
  if (EVP_DigestVerifyUpdate(ctx.get(), body.data(), body.size()) != 1) return false;
  return EVP_DigestVerifyFinal(ctx.get(), reinterpret_cast<const unsigned char*>(signature->data()),
                               signature->size()) == 1;
}

std::string sign_mailgun(std::string_view signing_key, std::string_view timestamp, std::string_view token) {
  std::string message(timestamp);
  message.append(token);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  HMAC(EVP_sha256(), signing_key.data(), static_cast<int>(signing_key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &len);
  return to_hex(std::string_view(reinterpret_cast<const char*>(mac), len));
}

bool verify_mailgun(std::string_view signing_key, std::string_view timestamp, std::string_view token,
                    std::string_view signature_hex) {
  const std::string expected = sign_mailgun(signing_key, timestamp, token);
  return signature_hex.size() == expected.size() &&
         CRYPTO_memcmp(expected.data(), signature_hex.data(), expected.size()) == 0;
}

bool verify_basic_auth(std::string_view authorization, std::string_view username, std::string_view password_sha256) {
  constexpr std::string_view kBasic = "Basic ";
  if (authorization.size() <= kBasic.size() || authorization.size() > 1024) return false;
  for (std::size_t i = 0; i < kBasic.size(); ++i) {  // the scheme is case-insensitive (RFC 9110 §11.1)
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != std::tolower(static_cast<unsigned char>(kBasic[i]))) {
      return false;
    }
  }
  auto decoded = from_base64(authorization.substr(kBasic.size()), 1024);
  if (!decoded) return false;
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) return false;
  // Both compared whatever the first gives, in constant time: the user's name as the password's
  // hash (so neither length nor content leaks through timing).
  const std::string user_hash = to_hex(sha256(decoded->substr(0, colon)));
  const std::string expected_user = to_hex(sha256(username));
  const std::string password_hash = to_hex(sha256(std::string_view(*decoded).substr(colon + 1)));
  const bool user_ok = CRYPTO_memcmp(user_hash.data(), expected_user.data(), user_hash.size()) == 0;
  const bool password_ok = password_sha256.size() == password_hash.size() &&
                           CRYPTO_memcmp(password_hash.data(), password_sha256.data(), password_hash.size()) == 0;
  return user_ok & password_ok;
}

std::optional<bool> timestamp_within(std::string_view seconds, Millis now, Millis window) {
  if (seconds.empty() || seconds.size() > 32) return std::nullopt;
  double value = 0;
  const auto [end, ec] = std::from_chars(seconds.data(), seconds.data() + seconds.size(), value,
                                         std::chars_format::fixed);
  if (ec != std::errc() || end != seconds.data() + seconds.size() || !std::isfinite(value) || value < 0) {
    return std::nullopt;
  }
  const double ms = value * 1000.0;
  return std::fabs(ms - static_cast<double>(now)) <= static_cast<double>(window);
}

}  // namespace eventsd::http
