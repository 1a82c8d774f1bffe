#include "http/api/credential.h"

#include "http/api/app.h"
#include "http/api/auth.h"

namespace eventsd::http {

std::optional<CredentialEnd> credential_ended(App& app, const Credential& c, Millis now) {
  const CredentialEnd access_removed{"access_removed", "access to this tenant or scope was removed"};
  switch (c.kind) {
    case Credential::Kind::none:
      return std::nullopt;
    case Credential::Kind::token: {
      std::optional<TokenInfo> token;
      {
        auto snapshot = app.store.read();
        token = app.tokens.find(snapshot.txn(), c.secret);
      }
      if (!token) return CredentialEnd{"token_revoked", "the token was revoked"};
      if (token->tenant != c.tenant || !token->has_scope(c.scope)) return access_removed;
      return std::nullopt;
    }
    case Credential::Kind::session: {
      if (!app.auth) return std::nullopt;
      std::optional<SessionInfo> session;
      std::optional<UserInfo> user;
      {
        auto snapshot = app.store.read();
        session = app.auth->users.find_session(snapshot.txn(), c.secret, now);
        if (session) user = app.auth->users.find_user(snapshot.txn(), session->email);
      }
      if (!session && now >= c.expires_at) return CredentialEnd{"session_expired", "the session expired"};
      if (!session || !user || user->id != session->user_id) {
        return CredentialEnd{"session_ended", "the session was ended (logout, revoked, or the user was removed)"};
      }
      if (!user->has_tenant(c.tenant) || !role_grants(user->role, c.scope)) return access_removed;
      return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace eventsd::http
