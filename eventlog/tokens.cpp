#include "eventlog/tokens.h"

#include <openssl/rand.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <stdexcept>

#include "eventlog/sha256.h"

namespace eventsd {

namespace json = boost::json;

bool is_valid_tenant(std::string_view tenant) {
  if (tenant.empty() || tenant.size() > 64) return false;
  return std::all_of(tenant.begin(), tenant.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == '-';
  });
}

bool is_known_scope(std::string_view scope) {
  return std::find(std::begin(kScopes), std::end(kScopes), scope) != std::end(kScopes);
}

bool is_strong_key(std::string_view key) {
  if (key.size() < 24 || key.size() > 256) return false;
  const std::string_view body = key.substr(0, key.find_last_not_of('=') + 1);
  const bool alphabet = std::all_of(body.begin(), body.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
  });
  if (!alphabet || body.empty()) return false;
  bool seen[256] = {};
  int distinct = 0;
  for (unsigned char c : body) distinct += seen[c] ? 0 : (seen[c] = true, 1);
  return distinct >= 10;
}

bool TokenInfo::has_scope(std::string_view scope) const {
  return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

namespace {

std::string token_id(const Sha256& hash) {
  return "tok_" + to_hex(as_view(hash)).substr(0, 12);
}

std::string encode(const TokenInfo& info) {
  json::array scopes;
  for (const auto& s : info.scopes) scopes.emplace_back(s);
  return json::serialize(json::object{{"id", info.id},
                                      {"tenant", info.tenant},
                                      {"scopes", std::move(scopes)},
                                      {"created_at", info.created_at}});
}

TokenInfo decode(std::string_view bytes) {
  auto obj = json::parse(bytes).as_object();
  TokenInfo info;
  info.id = json::value_to<std::string>(obj.at("id"));
  info.tenant = json::value_to<std::string>(obj.at("tenant"));
  for (const auto& s : obj.at("scopes").as_array()) info.scopes.push_back(json::value_to<std::string>(s));
  info.created_at = obj.at("created_at").to_number<std::int64_t>();
  return info;
}

std::string random_secret() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("RAND_bytes failed");
  return "eds_" + to_hex(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

}  // namespace

TokenStore::TokenStore(Store& store) : store_(store), db_(store.db("tokens")) {}

namespace {

void check_grant(std::string_view tenant, const std::vector<std::string>& scopes) {
  if (!is_valid_tenant(tenant)) {
    throw std::invalid_argument("tenant must be 1-64 characters of A-Z a-z 0-9 _ . -");
  }
  if (scopes.empty()) throw std::invalid_argument("at least one scope is required");
  for (const auto& s : scopes) {
    if (!is_known_scope(s)) throw std::invalid_argument("unknown scope: " + s);
  }
}

}  // namespace

std::string TokenStore::create(std::string_view tenant, const std::vector<std::string>& scopes) {
  check_grant(tenant, scopes);
  const std::string secret = random_secret();
  store(tenant, scopes, secret);
  return secret;
}

std::string TokenStore::import(std::string_view tenant, const std::vector<std::string>& scopes,
                               std::string_view secret) {
  check_grant(tenant, scopes);
  if (!is_strong_key(secret)) {
    throw std::invalid_argument(
        "the key is too weak to be a bearer token: it must be 24-256 characters of A-Z a-z 0-9 "
        "- . _ ~ + / ('=' only at the end) with at least 10 different characters");
  }
  return store(tenant, scopes, secret);
}

std::string TokenStore::store(std::string_view tenant, const std::vector<std::string>& scopes,
                              std::string_view secret) {
  const Sha256 hash = sha256(secret);
  TokenInfo info{token_id(hash), std::string(tenant), scopes,
                 std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count()};
  bool exists = false;
  store_.write([&](lmdb::Txn& txn) {
    std::string_view v;
    exists = txn.get(db_, as_view(hash), v);
    if (!exists) txn.put(db_, as_view(hash), encode(info));
  });
  if (exists) throw std::invalid_argument("this key is already stored (token " + info.id + ")");
  return info.id;
}

std::vector<TokenInfo> TokenStore::list() {
  std::vector<TokenInfo> out;
  auto reader = store_.read();
  lmdb::Cursor cursor(reader.txn(), db_);
  for (bool ok = cursor.first(); ok; ok = cursor.next()) out.push_back(decode(cursor.value()));
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.created_at < b.created_at; });
  return out;
}

bool TokenStore::revoke(std::string_view id) {
  bool found = false;
  store_.write([&](lmdb::Txn& txn) {
    found = false;
    lmdb::Cursor cursor(txn, db_);
    for (bool ok = cursor.first(); ok; ok = cursor.next()) {
      if (decode(cursor.value()).id == id) {
        cursor.del();
        found = true;
        return;
      }
    }
  });
  return found;
}

std::optional<TokenInfo> TokenStore::find(const lmdb::Txn& txn, std::string_view secret) const {
  std::string_view v;
  if (!txn.get(db_, as_view(sha256(secret)), v)) return std::nullopt;
  return decode(v);
}

}  // namespace eventsd
