// What authenticated a request, kept so that an answer that lasts — an event stream — can ask
// again, while it runs, whether its caller still may read it (docs/api.md, "Streams and revoked
// credentials"): a revoked token, an ended or expired session, a user no longer of the tenant or
// no longer granted the scope ends the stream.
// Thread safety: Credential is a plain value; credential_ended() may run on any thread at once
// (it reads the accounts in a snapshot of its own).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/time.h"

namespace eventsd::http {

struct App;

struct Credential {
  enum class Kind : std::uint8_t { none, token, session };
  Kind kind = Kind::none;  // none: nothing to ask again (a route without a token, a publishable key)
  std::string secret;      // the bearer token or the session cookie's value, in memory only
  std::string tenant;      // the tenant the request reads
  std::string scope;       // the scope its route needs
  Millis expires_at = 0;   // a session's end
};

// Why a credential no longer holds: `reason` is a stable code (token_revoked, session_ended,
// session_expired, access_removed), `message` says it to a person.
struct CredentialEnd {
  std::string reason;
  std::string message;
};

// nullopt while `credential` still admits its tenant and scope at `now`.
std::optional<CredentialEnd> credential_ended(App& app, const Credential& credential, Millis now);

}  // namespace eventsd::http
