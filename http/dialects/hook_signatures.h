// The providers' own checks of a webhook delivery (docs/integrations.md, docs/security.md
// "Provider webhooks"), pure functions over what the request carried and what the source keeps
// (accounts/sources.h). Every comparison of a secret is in constant time. OpenSSL's libcrypto.
// Thread safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/time.h"

namespace eventsd::http {

// SendGrid's Signed Event Webhook: an ECDSA P-256 signature with SHA-256 over the timestamp
// header's value followed by the raw body. `public_key_b64`: base64 of the DER
// SubjectPublicKeyInfo (SendGrid's "verification key"); `signature_b64`: base64 of the DER
// signature (the X-Twilio-Email-Event-Webhook-Signature header). False for anything malformed.
bool verify_sendgrid(std::string_view public_key_b64, std::string_view signature_b64, std::string_view timestamp,
                     std::string_view body);
// Whether `public_key_b64` is a SendGrid verification key: base64 of a P-256 public key's DER
// SubjectPublicKeyInfo.
bool is_sendgrid_key(std::string_view public_key_b64);

// Mailgun: the lower-case hex HMAC-SHA256 of timestamp + token with the webhook signing key.
bool verify_mailgun(std::string_view signing_key, std::string_view timestamp, std::string_view token,
                    std::string_view signature_hex);
// The signature Mailgun would send (tests, benchmarks, tools that sign like Mailgun).
std::string sign_mailgun(std::string_view signing_key, std::string_view timestamp, std::string_view token);

// Postmark: `Authorization: Basic base64(user:password)` naming the source's user and a password
// whose SHA-256 (lower-case hex) is `password_sha256`.
bool verify_basic_auth(std::string_view authorization, std::string_view username, std::string_view password_sha256);

// A provider's timestamp (Unix seconds, possibly with a fraction) within `window` of `now`;
// nullopt when it is not a number of seconds.
std::optional<bool> timestamp_within(std::string_view seconds, Millis now, Millis window);

// Stand-ins for an unknown source, so that its refusal costs what a known one's does (no oracle).
inline constexpr std::string_view kDummySendgridKey =
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEMh/2ZtrpXTM+rconXeq0+XFvAD5yeweKJo+qhotOqHj9c6kNn9Lm/PWmclBkW2/i5gajH4hA14Se0dHKuJoO3A==";
inline constexpr std::string_view kDummyMailgunKey = "dummy-signing-key-of-no-source";
inline constexpr std::string_view kDummyPasswordSha256 =
    "0000000000000000000000000000000000000000000000000000000000000000";

}  // namespace eventsd::http
