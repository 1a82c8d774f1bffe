// API tokens: stored in the "tokens" database of the data directory, keyed by the SHA-256 of the
// secret, so the secret itself is never on disk. Tokens are configuration, not history: they are
// not in the log and replay does not touch them. eventctl writes them while eventsd runs; the
// server looks every request's token up in a fresh snapshot, so a new token works at once and a
// revoked one stops at once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eventlog/store.h"

namespace eventsd {

inline constexpr std::string_view kScopes[] = {"events:read", "events:write", "campaigns:read",
                                               "admin"};

// Tenant ids: 1-64 characters of [A-Za-z0-9_.-].
bool is_valid_tenant(std::string_view tenant);
bool is_known_scope(std::string_view scope);
// Whether an imported key is fit to be a bearer token: 24-256 characters of the RFC 6750 token
// alphabet (A-Z a-z 0-9 - . _ ~ + /, then '=' only as padding at the end), with at least 10
// different characters (so "wbk_aaaaaaaaaaaaaaaaaaaaaaaa" or a short placeholder is refused).
bool is_strong_key(std::string_view key);

struct TokenInfo {
  std::string id;  // public handle ("tok_" + 12 hex digits of the secret's hash)
  std::string tenant;
  std::vector<std::string> scopes;
  std::int64_t created_at = 0;  // ms since the epoch

  bool has_scope(std::string_view scope) const;
};

class TokenStore {
 public:
  explicit TokenStore(Store& store);

  // Creates a token and returns its secret, which is shown this once. Throws
  // std::invalid_argument for a bad tenant or an unknown scope.
  std::string create(std::string_view tenant, const std::vector<std::string>& scopes);
  // Stores an existing secret (an API key issued by another product, so its clients need no new
  // key), hashed like a created one, and returns the token's id. Throws std::invalid_argument for
  // a bad tenant or scope, a weak key (see is_strong_key) or one already stored.
  std::string import(std::string_view tenant, const std::vector<std::string>& scopes,
                     std::string_view secret);
  std::vector<TokenInfo> list();
  // Returns false when no token has this id.
  bool revoke(std::string_view id);

  // Looks a presented secret up in the caller's snapshot.
  std::optional<TokenInfo> find(const lmdb::Txn& txn, std::string_view secret) const;

 private:
  // Stores the hash of `secret` with its grant; returns the token id. Throws
  // std::invalid_argument when the secret is already stored.
  std::string store(std::string_view tenant, const std::vector<std::string>& scopes,
                    std::string_view secret);

  Store& store_;
  MDB_dbi db_;
};

}  // namespace eventsd
