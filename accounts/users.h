// Console users and their sessions, stored beside the tokens in the data directory's environment
// ("users" keyed by the lower-cased e-mail, "sessions" keyed by the SHA-256 of the session secret,
// so neither a password nor a session secret is ever on disk). Like tokens they are configuration,
// not history: not in the log, untouched by replay.
//
// Passwords are hashed with Argon2id (passwords.h); the stored string carries its own salt and
// parameters.
//
// Two ways to write: the tools' methods (create_user, delete_user, ...) run their own write
// transaction through Store::write; a server writes sessions with the methods that take the
// caller's write transaction (LMDB serialises it with the server's writer).
//
// Thread safety: the methods that take a transaction are safe from any thread as long as the
// transaction is used by one thread at a time. The others are for tools.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "accounts/passwords.h"
#include "eventlog/store.h"
#include "common/time.h"

namespace eventsd {

inline constexpr std::string_view kRoles[] = {"admin", "member"};

// something@something, 3-254 bytes, no spaces or control characters (common/text.h).
bool is_valid_email(std::string_view email);
std::string lower_ascii(std::string_view s);

struct UserInfo {
  std::string id;     // "usr_" + 12 hex digits: what the log records as the actor
  std::string email;  // lower-cased
  std::string role;   // admin | member
  std::vector<std::string> tenants;  // in the order given; the first is the default
  std::string password_hash;
  Millis created_at = 0;

  bool has_tenant(std::string_view tenant) const;
};

struct SessionInfo {
  std::string id;  // "ses_" + 12 hex digits of the secret's hash: a handle for listings
  std::string user_id;
  std::string email;
  std::string tenant;  // the active tenant
  std::string csrf;    // the token state-changing requests must carry (X-CSRF-Token)
  Millis created_at = 0;
  Millis expires_at = 0;
};

class UserStore {
 public:
  explicit UserStore(Store& store);

  // --- tools (own write transactions) ---
  // Throws std::invalid_argument for a bad e-mail, tenant, role or password, or an e-mail that
  // already has a user.
  UserInfo create_user(std::string_view email, std::string_view password,
                       const std::vector<std::string>& tenants, std::string_view role);
  // Removes the user and every session of theirs. False when there is no such user.
  bool delete_user(std::string_view email);
  // Replaces the password and ends every session of the user. False when there is no such user.
  bool set_password(std::string_view email, std::string_view password);
  // Replaces the user's tenants (at least one; throws std::invalid_argument like create_user).
  // Sessions stay, and reach only the tenants the user still has: a session or event stream on a
  // removed tenant is refused there from now on. False when there is no such user.
  bool set_tenants(std::string_view email, const std::vector<std::string>& tenants);
  std::vector<UserInfo> list_users();
  // Ends every session of the user; returns how many there were.
  std::size_t revoke_sessions(std::string_view email);

  // --- in the caller's transaction ---
  // create_user in two steps, so that a caller with a transaction of its own (cluster mode: the
  // system log) hashes the password before taking it: new_user validates and hashes (throws
  // std::invalid_argument like create_user), add_user stores it unless its e-mail has a user.
  static UserInfo new_user(std::string_view email, std::string_view password,
                           const std::vector<std::string>& tenants, std::string_view role);
  bool add_user(lmdb::Txn& txn, const UserInfo& user);
  std::optional<UserInfo> find_user(const lmdb::Txn& txn, std::string_view email) const;
  // The live session a presented secret names; nullopt when unknown or expired at `now`.
  std::optional<SessionInfo> find_session(const lmdb::Txn& txn, std::string_view secret,
                                          Millis now) const;
  // Starts a session for `user` on `tenant` (one of theirs); returns the secret, shown once.
  std::string create_session(lmdb::Txn& txn, const UserInfo& user, std::string_view tenant,
                             Millis now, Millis lifetime, SessionInfo* out = nullptr);
  bool delete_session(lmdb::Txn& txn, std::string_view secret);
  // Makes `tenant` the session's active tenant. False when the session is gone.
  bool set_session_tenant(lmdb::Txn& txn, std::string_view secret, std::string_view tenant);
  // Removes sessions that expired before `now`; returns how many.
  std::size_t purge_expired(lmdb::Txn& txn, Millis now);
  // Every session of a user (tests, listings).
  std::vector<SessionInfo> sessions_of(const lmdb::Txn& txn, std::string_view user_id) const;

 private:
  std::size_t delete_sessions_of(lmdb::Txn& txn, std::string_view user_id);

  Store& store_;
  MDB_dbi users_;
  MDB_dbi sessions_;
};

}  // namespace eventsd
