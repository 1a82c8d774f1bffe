// API tokens: stored in the "tokens" database of the data directory, keyed by the SHA-256 of the
// secret, so the secret itself is never on disk. Tokens are configuration, not history: they are
// not in the log and replay does not touch them. eventctl writes them while eventsd runs; the
// server looks every request's token up in a fresh snapshot, so a new token works at once and a
// revoked one stops at once.
//
// Thread safety: a TokenStore may be used from any number of threads at once (the server's I/O
// threads look tokens up in their own snapshots); the methods that take a transaction are as safe
// as the transaction, which one thread uses at a time. TokenInfo is a plain value.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "eventlog/store.h"

namespace eventsd {

// The scopes of a tenant's token.
inline constexpr std::string_view kScopes[] = {"events:read", "events:write", "campaigns:read",
                                               "admin"};
// The scope of an operator's token (docs/security.md, "Operators and tenants"): what spans every
// tenant — rebuilding the read models, the positions and shards of /healthz. An operator token
// belongs to no tenant (its tenant is ""), has this scope alone, and so reads no tenant's data;
// only eventctl on the host makes one (TokenStore::create_operator), never a route.
inline constexpr std::string_view kOperatorScope = "operator";

// The bounds of what a token or key is made with (docs/api.md "Tokens over the API"), over the API
// and from eventctl alike: a tenant id as is_valid_tenant says; 1 to 4 scopes of kScopes (a
// repeated one counts once); 1 to kMaxOrigins origins of at most kMaxOriginBytes each; a rate and
// an address rate of 0 (the server's default) or from kMinKeyRate to kMaxKeyRate requests per
// second (the slowest refills in 10 s, so a Retry-After is never longer: http/api/rate_limit.h).
inline constexpr std::size_t kMaxOrigins = 100;
inline constexpr std::size_t kMaxOriginBytes = 256;
inline constexpr double kMinKeyRate = 0.1;
inline constexpr double kMaxKeyRate = 10'000;

// A token or key parameter out of its bounds; `field` names it ("origins", "rate", ...).
struct InvalidTokenField : std::invalid_argument {
  InvalidTokenField(std::string field, const std::string& message)
      : std::invalid_argument(message), field(std::move(field)) {}
  std::string field;
};
// Throws InvalidTokenField naming `field` unless `rate` is 0 or from kMinKeyRate to kMaxKeyRate.
void check_key_rate(std::string_view field, double rate);

// Tenant ids: 1-64 characters of [A-Za-z0-9_.-].
bool is_valid_tenant(std::string_view tenant);
// One of kScopes (a tenant's); kOperatorScope is not.
bool is_known_scope(std::string_view scope);
// Whether an imported key is fit to be a bearer token: 24-256 characters of the RFC 6750 token
// alphabet (A-Z a-z 0-9 - . _ ~ + /, then '=' only as padding at the end), with at least 10
// different characters (so "wbk_aaaaaaaaaaaaaaaaaaaaaaaa" or a short placeholder is refused).
bool is_strong_key(std::string_view key);

struct TokenInfo {
  std::string id;  // public handle ("tok_" + 12 hex digits of the secret's hash)
  std::string tenant;  // "" for an operator's token
  std::vector<std::string> scopes;
  std::int64_t created_at = 0;  // ms since the epoch
  // A publishable key is meant to be seen: it sits in web pages for the tracker. It may only
  // ingest (scope events:write, on the routes docs/api.md lists), only from `origins`, and is
  // rate-limited per key and per client address (requests per second; 0: the server's default).
  bool publishable = false;
  std::vector<std::string> origins;  // "https://a.example[:port]", as browsers send Origin
  double rate = 0;
  double address_rate = 0;

  bool has_scope(std::string_view scope) const;
  bool allows_origin(std::string_view origin) const;
  bool is_operator() const { return has_scope(kOperatorScope); }
};

// What a publishable key is created with.
struct PublishableSpec {
  std::vector<std::string> origins;  // at least one, each normalize_origin()-able
  double rate = 0;
  double address_rate = 0;
};

// "scheme://host[:port]" with scheme http or https, lower-cased, the default port dropped, no
// path, query or user info; nullopt for anything else (an Origin header must compare equal). The
// result is printable ASCII: a host name's letters, digits, '-' and '.', an IPv4 address, or an
// IPv6 address's hex digits, ':' and '.' inside brackets.
std::optional<std::string> normalize_origin(std::string_view origin);

class TokenStore {
 public:
  explicit TokenStore(Store& store);

  // Creates a token and returns its secret, which is shown this once. Throws InvalidTokenField
  // for a bad tenant or scopes (above).
  std::string create(std::string_view tenant, const std::vector<std::string>& scopes);
  // An operator's token: no tenant, scope kOperatorScope alone; returns its secret.
  std::string create_operator();
  // A publishable key (secret "edp_..."); throws InvalidTokenField for a bad tenant, origins or
  // rates (above).
  std::string create_publishable(std::string_view tenant, const PublishableSpec& spec);
  // Stores an existing secret (an API key issued by another product, so its clients need no new
  // key), hashed like a created one, and returns the token's id. Throws InvalidTokenField for a
  // bad tenant or scopes, std::invalid_argument for a weak key (see is_strong_key) or one already
  // stored.
  std::string import(std::string_view tenant, const std::vector<std::string>& scopes,
                     std::string_view secret);
  std::vector<TokenInfo> list();
  // Returns false when no token has this id.
  bool revoke(std::string_view id);

  // Looks a presented secret up in the caller's snapshot.
  std::optional<TokenInfo> find(const lmdb::Txn& txn, std::string_view secret) const;

  // The same, in the caller's write transaction (several changes in one, or a server's handler
  // that maps storage errors to answers).
  std::string create(lmdb::Txn& txn, std::string_view tenant, const std::vector<std::string>& scopes);
  std::string create_operator(lmdb::Txn& txn);
  std::string create_publishable(lmdb::Txn& txn, std::string_view tenant, const PublishableSpec& spec);
  bool revoke(lmdb::Txn& txn, std::string_view id);
  std::vector<TokenInfo> list(const lmdb::Txn& txn) const;
  // Whether some publishable key allows `origin` (CORS answers before a key is known).
  bool any_publishable_allows(const lmdb::Txn& txn, std::string_view origin) const;
  // The id ("tok_...") of a secret.
  static std::string id_of(std::string_view secret);

 private:
  // Stores the hash of `secret` with its grant; returns the token id.
  std::string store(lmdb::Txn& txn, std::string_view tenant, const std::vector<std::string>& scopes,
                    std::string_view secret);

  Store& store_;
  MDB_dbi db_;
};

}  // namespace eventsd
