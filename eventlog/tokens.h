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
  std::vector<TokenInfo> list();
  // Returns false when no token has this id.
  bool revoke(std::string_view id);

  // Looks a presented secret up in the caller's snapshot.
  std::optional<TokenInfo> find(const lmdb::Txn& txn, std::string_view secret) const;

 private:
  Store& store_;
  MDB_dbi db_;
};

}  // namespace eventsd
