// A test ECDSA P-256 key pair, made fresh with OpenSSL, that signs as SendGrid's Signed Event
// Webhook does (http/dialects/hook_signatures.h): base64 DER signatures of SHA-256 over the
// timestamp header followed by the body; its public key as SendGrid shows one (base64 of the DER
// SubjectPublicKeyInfo). Header-only, for the tests and the benchmarks. Not thread-safe.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace eventsd::test {

class P256Signer {
 public:
  P256Signer() : key_(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"), EVP_PKEY_free) {
    if (!key_) throw std::runtime_error("EVP_PKEY_Q_keygen failed");
  }

  std::string public_key_b64() const {
    unsigned char* der = nullptr;
    const int n = i2d_PUBKEY(key_.get(), &der);
    if (n <= 0) throw std::runtime_error("i2d_PUBKEY failed");
    std::string out = base64(std::string_view(reinterpret_cast<const char*>(der), static_cast<std::size_t>(n)));
    OPENSSL_free(der);
    return out;
  }

  // The X-Twilio-Email-Event-Webhook-Signature of `body` sent with `timestamp`.
  std::string sign(std::string_view timestamp, std::string_view body) const {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    std::string message(timestamp);
    message.append(body);
    std::size_t len = 0;
    if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(message.data()),
                       message.size()) != 1) {
      throw std::runtime_error("EVP_DigestSign failed");
    }
    std::string sig(len, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
      throw std::runtime_error("EVP_DigestSign failed");
    }
    sig.resize(len);
    return base64(sig);
  }

  static std::string base64(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3), '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
  }

 private:
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key_;
};

}  // namespace eventsd::test
