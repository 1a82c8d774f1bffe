#include "accounts/tokens.h"

#include <algorithm>
#include <cctype>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <chrono>
#include <iterator>
#include <stdexcept>

#include "common/encoding.h"
#include "common/parse.h"
#include "common/random.h"

namespace eventsd {

namespace json = boost::json;

bool is_valid_tenant(std::string_view tenant) {
  if (tenant.empty() || tenant.size() > 64) return false;
  return std::all_of(tenant.begin(), tenant.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == '-';
  });
}

void check_key_rate(std::string_view field, double rate) {
  if (rate == 0 || (rate >= kMinKeyRate && rate <= kMaxKeyRate)) return;
  throw InvalidTokenField(std::string(field), std::string(field) + " must be 0 (the server's default) or from 0.1 to 10000 "
                                                                   "requests per second");
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

bool TokenInfo::allows_origin(std::string_view origin) const {
  return publishable && std::find(origins.begin(), origins.end(), origin) != origins.end();
}

std::optional<std::string> normalize_origin(std::string_view origin) {
  if (origin.size() > 262) return std::nullopt;  // "https://" + a 255-byte host[:port]
  // scheme "://" authority, nothing else: no user info, path, query or fragment (RFC 6454).
  auto url = boost::urls::parse_absolute_uri(origin);
  if (!url || !url->has_authority() || url->has_userinfo() || !url->encoded_path().empty() || url->has_query()) {
    return std::nullopt;
  }
  std::string scheme(url->scheme());
  for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "http" && scheme != "https") return std::nullopt;
  std::string host(url->encoded_host_address());
  for (auto& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  switch (url->host_type()) {
    case boost::urls::host_type::name:
      // A DNS name: letters, digits, '-' and '.' (nothing percent-encoded).
      if (host.empty() || !std::all_of(host.begin(), host.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
          })) {
        return std::nullopt;
      }
      break;
    case boost::urls::host_type::ipv4: break;
    case boost::urls::host_type::ipv6:
      // What is inside the brackets is an IPv6 address: hex digits, ':' and '.' (an embedded IPv4
      // address), nothing else, so no byte of it can be a control character on a terminal.
      if (host.empty() || !std::all_of(host.begin(), host.end(), [](char c) {
            return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == ':' || c == '.';
          })) {
        return std::nullopt;
      }
      host = "[" + host + "]";
      break;
    default: return std::nullopt;  // IPvFuture, or none
  }
  std::string result = scheme + "://" + host;
  if (url->has_port()) {
    const std::string_view port = url->port();
    const auto number = parse_u64(port);
    if (!number || port.size() > 5 || *number > 65535) return std::nullopt;
    if (port != (scheme == "https" ? "443" : "80")) result += ":" + std::string(port);
  }
  return result;
}

namespace {

std::string token_id(const Sha256& hash) {
  return "tok_" + to_hex(as_view(hash)).substr(0, 12);
}

std::string encode(const TokenInfo& info) {
  json::array scopes;
  for (const auto& s : info.scopes) scopes.emplace_back(s);
  json::object obj{{"id", info.id},
                   {"tenant", info.tenant},
                   {"scopes", std::move(scopes)},
                   {"created_at", info.created_at}};
  if (info.publishable) {
    json::array origins;
    for (const auto& o : info.origins) origins.emplace_back(o);
    obj["publishable"] = true;
    obj["origins"] = std::move(origins);
    obj["rate"] = info.rate;
    obj["address_rate"] = info.address_rate;
  }
  return json::serialize(obj);
}

TokenInfo decode(std::string_view bytes) {
  auto obj = json::parse(bytes).as_object();
  TokenInfo info;
  info.id = json::value_to<std::string>(obj.at("id"));
  info.tenant = json::value_to<std::string>(obj.at("tenant"));
  for (const auto& s : obj.at("scopes").as_array()) info.scopes.push_back(json::value_to<std::string>(s));
  info.created_at = obj.at("created_at").to_number<std::int64_t>();
  if (auto* p = obj.if_contains("publishable"); p && p->is_bool() && p->get_bool()) {
    info.publishable = true;
    for (const auto& o : obj.at("origins").as_array()) info.origins.push_back(json::value_to<std::string>(o));
    info.rate = obj.at("rate").to_number<double>();
    info.address_rate = obj.at("address_rate").to_number<double>();
  }
  return info;
}

std::string random_secret(std::string_view prefix = "eds_") { return std::string(prefix) + random_hex(32); }

void check_tenant(std::string_view tenant) {
  if (!is_valid_tenant(tenant)) {
    throw InvalidTokenField("tenant", "tenant must be 1-64 characters of A-Z a-z 0-9 _ . -");
  }
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

PublishableSpec checked(const PublishableSpec& spec) {
  if (spec.origins.empty()) throw InvalidTokenField("origins", "a publishable key needs at least one origin");
  if (spec.origins.size() > kMaxOrigins) {
    throw InvalidTokenField("origins", "a publishable key allows at most " + std::to_string(kMaxOrigins) + " origins");
  }
  PublishableSpec out = spec;
  out.origins.clear();
  for (const auto& o : spec.origins) {
    auto n = o.size() <= kMaxOriginBytes ? normalize_origin(o) : std::nullopt;
    if (!n) {
      throw InvalidTokenField("origins", "not an origin (scheme://host[:port], at most " +
                                             std::to_string(kMaxOriginBytes) + " bytes): " + o.substr(0, kMaxOriginBytes));
    }
    if (std::find(out.origins.begin(), out.origins.end(), *n) == out.origins.end()) out.origins.push_back(*n);
  }
  check_key_rate("rate", spec.rate);
  check_key_rate("address_rate", spec.address_rate);
  return out;
}

}  // namespace

TokenStore::TokenStore(Store& store) : store_(store), db_(store.db("tokens")) {}

std::string TokenStore::create(std::string_view tenant, const std::vector<std::string>& scopes) {
  std::string secret;
  store_.write([&](lmdb::Txn& txn) { secret = create(txn, tenant, scopes); });
  return secret;
}

std::string TokenStore::create_publishable(std::string_view tenant, const PublishableSpec& spec) {
  std::string secret;
  store_.write([&](lmdb::Txn& txn) { secret = create_publishable(txn, tenant, spec); });
  return secret;
}

namespace {

// The scopes, each once.
std::vector<std::string> checked_scopes(const std::vector<std::string>& scopes) {
  if (scopes.empty()) throw InvalidTokenField("scopes", "at least one scope is required");
  if (scopes.size() > std::size(kScopes)) {
    throw InvalidTokenField("scopes", "at most " + std::to_string(std::size(kScopes)) + " scopes");
  }
  std::vector<std::string> out;
  for (const auto& s : scopes) {
    if (!is_known_scope(s)) throw InvalidTokenField("scopes", "unknown scope: " + s.substr(0, 64));
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  }
  return out;
}

}  // namespace

std::string TokenStore::create(lmdb::Txn& txn, std::string_view tenant, const std::vector<std::string>& scopes) {
  check_tenant(tenant);
  const auto valid = checked_scopes(scopes);
  const std::string secret = random_secret();
  store(txn, tenant, valid, secret);
  return secret;
}

std::string TokenStore::create_operator() {
  std::string secret;
  store_.write([&](lmdb::Txn& txn) { secret = create_operator(txn); });
  return secret;
}

std::string TokenStore::create_operator(lmdb::Txn& txn) {
  const std::string secret = random_secret();
  store(txn, "", {std::string(kOperatorScope)}, secret);
  return secret;
}

std::string TokenStore::import(std::string_view tenant, const std::vector<std::string>& scopes,
                               std::string_view secret) {
  check_tenant(tenant);
  const auto valid = checked_scopes(scopes);
  if (!is_strong_key(secret)) {
    throw std::invalid_argument(
        "the key is too weak to be a bearer token: it must be 24-256 characters of A-Z a-z 0-9 "
        "- . _ ~ + / ('=' only at the end) with at least 10 different characters");
  }
  std::string id;
  store_.write([&](lmdb::Txn& txn) {
    std::string_view v;
    if (txn.get(db_, as_view(sha256(secret)), v)) {
      throw std::invalid_argument("this key is already stored (token " + token_id(sha256(secret)) + ")");
    }
    id = store(txn, tenant, valid, secret);
  });
  return id;
}

std::string TokenStore::store(lmdb::Txn& txn, std::string_view tenant, const std::vector<std::string>& scopes,
                              std::string_view secret) {
  const Sha256 hash = sha256(secret);
  TokenInfo info;
  info.id = token_id(hash);
  info.tenant = std::string(tenant);
  info.scopes = scopes;
  info.created_at = now_ms();
  txn.put(db_, as_view(hash), encode(info));
  return info.id;
}

std::string TokenStore::create_publishable(lmdb::Txn& txn, std::string_view tenant,
                                           const PublishableSpec& spec) {
  check_tenant(tenant);
  const PublishableSpec valid = checked(spec);
  const std::string secret = random_secret("edp_");
  const Sha256 hash = sha256(secret);
  TokenInfo info;
  info.id = token_id(hash);
  info.tenant = std::string(tenant);
  info.scopes = {"events:write"};
  info.created_at = now_ms();
  info.publishable = true;
  info.origins = valid.origins;
  info.rate = valid.rate;
  info.address_rate = valid.address_rate;
  txn.put(db_, as_view(hash), encode(info));
  return secret;
}

std::vector<TokenInfo> TokenStore::list() {
  auto reader = store_.read();
  return list(reader.txn());
}

std::vector<TokenInfo> TokenStore::list(const lmdb::Txn& txn) const {
  std::vector<TokenInfo> out;
  lmdb::Cursor cursor(txn, db_);
  for (bool ok = cursor.first(); ok; ok = cursor.next()) out.push_back(decode(cursor.value()));
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.created_at < b.created_at; });
  return out;
}

bool TokenStore::revoke(std::string_view id) {
  bool found = false;
  store_.write([&](lmdb::Txn& txn) { found = revoke(txn, id); });
  return found;
}

bool TokenStore::revoke(lmdb::Txn& txn, std::string_view id) {
  lmdb::Cursor cursor(txn, db_);
  for (bool ok = cursor.first(); ok; ok = cursor.next()) {
    if (decode(cursor.value()).id == id) {
      cursor.del();
      return true;
    }
  }
  return false;
}

std::optional<TokenInfo> TokenStore::find(const lmdb::Txn& txn, std::string_view secret) const {
  std::string_view v;
  if (!txn.get(db_, as_view(sha256(secret)), v)) return std::nullopt;
  return decode(v);
}

bool TokenStore::any_publishable_allows(const lmdb::Txn& txn, std::string_view origin) const {
  lmdb::Cursor cursor(txn, db_);
  for (bool ok = cursor.first(); ok; ok = cursor.next()) {
    const std::string_view v = cursor.value();
    if (v.find("\"publishable\"") == std::string_view::npos) continue;  // cheap skip of secret tokens
    if (decode(v).allows_origin(origin)) return true;
  }
  return false;
}

std::string TokenStore::id_of(std::string_view secret) { return token_id(sha256(secret)); }

}  // namespace eventsd
