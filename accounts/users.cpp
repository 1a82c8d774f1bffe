#include "accounts/users.h"

#include <algorithm>
#include <boost/json.hpp>
#include <stdexcept>

#include "common/encoding.h"
#include "common/random.h"
#include "common/text.h"
#include "accounts/tokens.h"

namespace eventsd {

namespace json = boost::json;

namespace {

// The tenants as given, each once; throws std::invalid_argument for none or a bad one.
std::vector<std::string> checked_tenants(const std::vector<std::string>& tenants) {
  if (tenants.empty()) throw std::invalid_argument("at least one tenant is required");
  std::vector<std::string> out;
  for (const auto& t : tenants) {
    if (!is_valid_tenant(t)) throw std::invalid_argument("tenant must be 1-64 characters of A-Z a-z 0-9 _ . -");
    if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
  }
  return out;
}

std::string encode_user(const UserInfo& u) {
  json::array tenants;
  for (const auto& t : u.tenants) tenants.emplace_back(t);
  return json::serialize(json::object{{"id", u.id},
                                      {"email", u.email},
                                      {"role", u.role},
                                      {"tenants", std::move(tenants)},
                                      {"password_hash", u.password_hash},
                                      {"created_at", u.created_at}});
}

UserInfo decode_user(std::string_view bytes) {
  auto obj = json::parse(bytes).as_object();
  UserInfo u;
  u.id = json::value_to<std::string>(obj.at("id"));
  u.email = json::value_to<std::string>(obj.at("email"));
  u.role = json::value_to<std::string>(obj.at("role"));
  for (const auto& t : obj.at("tenants").as_array()) u.tenants.push_back(json::value_to<std::string>(t));
  u.password_hash = json::value_to<std::string>(obj.at("password_hash"));
  u.created_at = obj.at("created_at").to_number<std::int64_t>();
  return u;
}

std::string encode_session(const SessionInfo& s) {
  return json::serialize(json::object{{"id", s.id},
                                      {"user_id", s.user_id},
                                      {"email", s.email},
                                      {"tenant", s.tenant},
                                      {"csrf", s.csrf},
                                      {"created_at", s.created_at},
                                      {"expires_at", s.expires_at}});
}

SessionInfo decode_session(std::string_view bytes) {
  auto obj = json::parse(bytes).as_object();
  SessionInfo s;
  s.id = json::value_to<std::string>(obj.at("id"));
  s.user_id = json::value_to<std::string>(obj.at("user_id"));
  s.email = json::value_to<std::string>(obj.at("email"));
  s.tenant = json::value_to<std::string>(obj.at("tenant"));
  s.csrf = json::value_to<std::string>(obj.at("csrf"));
  s.created_at = obj.at("created_at").to_number<std::int64_t>();
  s.expires_at = obj.at("expires_at").to_number<std::int64_t>();
  return s;
}

void check_password(std::string_view password) {
  if (password.size() < kMinPasswordBytes || password.size() > kMaxPasswordBytes) {
    throw std::invalid_argument("a password must be " + std::to_string(kMinPasswordBytes) + "-" +
                                std::to_string(kMaxPasswordBytes) + " bytes");
  }
}

}  // namespace

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool is_valid_email(std::string_view email) {
  if (email.size() < 3 || email.size() > 254 || has_control_characters(email)) return false;
  if (email.find(' ') != std::string_view::npos) return false;
  const auto at = email.find('@');
  return at != std::string_view::npos && at > 0 && at + 1 < email.size() &&
         email.find('@', at + 1) == std::string_view::npos;
}

bool UserInfo::has_tenant(std::string_view tenant) const {
  return std::find(tenants.begin(), tenants.end(), tenant) != tenants.end();
}

UserStore::UserStore(Store& store)
    : store_(store), users_(store.db("users")), sessions_(store.db("sessions")) {}

UserInfo UserStore::new_user(std::string_view email, std::string_view password,
                             const std::vector<std::string>& tenants, std::string_view role) {
  if (!is_valid_email(email)) throw std::invalid_argument("not an e-mail address: " + std::string(email));
  if (std::find(std::begin(kRoles), std::end(kRoles), role) == std::end(kRoles)) {
    throw std::invalid_argument("role must be admin or member");
  }
  auto checked = checked_tenants(tenants);
  check_password(password);
  UserInfo user;
  user.email = lower_ascii(email);
  user.id = "usr_" + random_hex(6);
  user.role = std::string(role);
  user.tenants = std::move(checked);
  user.password_hash = hash_password(password);
  user.created_at = now_millis();
  return user;
}

bool UserStore::add_user(lmdb::Txn& txn, const UserInfo& user) {
  std::string_view v;
  if (txn.get(users_, user.email, v)) return false;
  txn.put(users_, user.email, encode_user(user));
  return true;
}

UserInfo UserStore::create_user(std::string_view email, std::string_view password,
                                const std::vector<std::string>& tenants, std::string_view role) {
  UserInfo user = new_user(email, password, tenants, role);
  bool added = false;
  store_.write([&](lmdb::Txn& txn) { added = add_user(txn, user); });
  if (!added) throw std::invalid_argument("a user with this e-mail exists: " + user.email);
  return user;
}

bool UserStore::delete_user(std::string_view email) {
  const std::string key = lower_ascii(email);
  bool found = false;
  store_.write([&](lmdb::Txn& txn) {
    std::string_view v;
    found = txn.get(users_, key, v);
    if (!found) return;
    const std::string user_id = decode_user(v).id;
    txn.del(users_, key);
    delete_sessions_of(txn, user_id);
  });
  return found;
}

bool UserStore::set_password(std::string_view email, std::string_view password) {
  check_password(password);
  const std::string key = lower_ascii(email);
  const std::string hash = hash_password(password);
  bool found = false;
  store_.write([&](lmdb::Txn& txn) {
    std::string_view v;
    found = txn.get(users_, key, v);
    if (!found) return;
    UserInfo user = decode_user(v);
    user.password_hash = hash;
    txn.put(users_, key, encode_user(user));
    delete_sessions_of(txn, user.id);
  });
  return found;
}

bool UserStore::set_tenants(std::string_view email, const std::vector<std::string>& tenants) {
  const auto checked = checked_tenants(tenants);
  const std::string key = lower_ascii(email);
  bool found = false;
  store_.write([&](lmdb::Txn& txn) {
    std::string_view v;
    found = txn.get(users_, key, v);
    if (!found) return;
    UserInfo user = decode_user(v);
    user.tenants = checked;
    txn.put(users_, key, encode_user(user));
  });
  return found;
}

std::vector<UserInfo> UserStore::list_users() {
  std::vector<UserInfo> out;
  auto reader = store_.read();
  lmdb::Cursor cursor(reader.txn(), users_);
  for (bool ok = cursor.first(); ok; ok = cursor.next()) out.push_back(decode_user(cursor.value()));
  return out;
}

std::size_t UserStore::revoke_sessions(std::string_view email) {
  const std::string key = lower_ascii(email);
  std::size_t n = 0;
  store_.write([&](lmdb::Txn& txn) {
    n = 0;
    std::string_view v;
    if (txn.get(users_, key, v)) n = delete_sessions_of(txn, decode_user(v).id);
  });
  return n;
}

std::optional<UserInfo> UserStore::find_user(const lmdb::Txn& txn, std::string_view email) const {
  std::string_view v;
  if (!txn.get(users_, lower_ascii(email), v)) return std::nullopt;
  return decode_user(v);
}

std::optional<SessionInfo> UserStore::find_session(const lmdb::Txn& txn, std::string_view secret,
                                                   Millis now) const {
  std::string_view v;
  if (!txn.get(sessions_, as_view(sha256(secret)), v)) return std::nullopt;
  SessionInfo s = decode_session(v);
  if (s.expires_at <= now) return std::nullopt;
  return s;
}

std::string UserStore::create_session(lmdb::Txn& txn, const UserInfo& user, std::string_view tenant,
                                      Millis now, Millis lifetime, SessionInfo* out) {
  const std::string secret = "ses." + random_hex(32);
  const Sha256 hash = sha256(secret);
  SessionInfo s;
  s.id = "ses_" + to_hex(as_view(hash)).substr(0, 12);
  s.user_id = user.id;
  s.email = user.email;
  s.tenant = std::string(tenant);
  s.csrf = random_hex(24);
  s.created_at = now;
  s.expires_at = now + lifetime;
  txn.put(sessions_, as_view(hash), encode_session(s));
  if (out) *out = s;
  return secret;
}

bool UserStore::delete_session(lmdb::Txn& txn, std::string_view secret) {
  return txn.del(sessions_, as_view(sha256(secret)));
}

bool UserStore::set_session_tenant(lmdb::Txn& txn, std::string_view secret, std::string_view tenant) {
  const Sha256 hash = sha256(secret);
  std::string_view v;
  if (!txn.get(sessions_, as_view(hash), v)) return false;
  SessionInfo s = decode_session(v);
  s.tenant = std::string(tenant);
  txn.put(sessions_, as_view(hash), encode_session(s));
  return true;
}

std::size_t UserStore::purge_expired(lmdb::Txn& txn, Millis now) {
  std::vector<std::string> keys;
  {
    lmdb::Cursor cursor(txn, sessions_);
    for (bool ok = cursor.first(); ok; ok = cursor.next()) {
      if (decode_session(cursor.value()).expires_at <= now) keys.emplace_back(cursor.key());
    }
  }
  for (const auto& k : keys) txn.del(sessions_, k);
  return keys.size();
}

std::vector<SessionInfo> UserStore::sessions_of(const lmdb::Txn& txn, std::string_view user_id) const {
  std::vector<SessionInfo> out;
  lmdb::Cursor cursor(txn, sessions_);
  for (bool ok = cursor.first(); ok; ok = cursor.next()) {
    SessionInfo s = decode_session(cursor.value());
    if (s.user_id == user_id) out.push_back(std::move(s));
  }
  return out;
}

std::size_t UserStore::delete_sessions_of(lmdb::Txn& txn, std::string_view user_id) {
  // Collect first: deleting under a cursor while walking it is easy to get wrong.
  std::vector<std::string> keys;
  {
    lmdb::Cursor cursor(txn, sessions_);
    for (bool ok = cursor.first(); ok; ok = cursor.next()) {
      if (decode_session(cursor.value()).user_id == user_id) keys.emplace_back(cursor.key());
    }
  }
  for (const auto& k : keys) txn.del(sessions_, k);
  return keys.size();
}

}  // namespace eventsd
