#include "accounts/sources.h"

#include <algorithm>

#include "common/json_reader.h"
#include "common/json_writer.h"

namespace eventsd {

std::string_view kind_name(SourceKind kind) {
  switch (kind) {
    case SourceKind::sendgrid: return "sendgrid";
    case SourceKind::mailgun: return "mailgun";
    case SourceKind::postmark: return "postmark";
  }
  return "sendgrid";
}

std::optional<SourceKind> parse_kind(std::string_view name) {
  for (SourceKind k : {SourceKind::sendgrid, SourceKind::mailgun, SourceKind::postmark}) {
    if (kind_name(k) == name) return k;
  }
  return std::nullopt;
}

bool is_valid_source_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

SourceStore::SourceStore(Store& store) : db_(store.db("sources")) {}

std::string SourceStore::encode(const SourceInfo& info) {
  std::string out;
  JsonWriter w(out);
  w.begin_object().key("tenant").string(info.tenant).key("kind").string(kind_name(info.kind));
  w.key("created_at").number(info.created_at).key("updated_at").number(info.updated_at);
  w.key("verification_key").string(info.verification_key).key("signing_key").string(info.signing_key);
  w.key("username").string(info.username).key("password_sha256").string(info.password_sha256);
  w.end_object();
  return out;
}

std::optional<SourceInfo> SourceStore::decode(std::string_view id, std::string_view value) {
  auto parsed = parse_json(value);
  const auto* v = std::get_if<JsonValue>(&parsed);
  if (!v || !v->is_object()) return std::nullopt;
  auto text = [&](std::string_view key) -> std::optional<std::string> {
    const JsonValue* f = v->find(key);
    if (!f || !f->is_string()) return std::nullopt;
    return std::string(f->get_string());
  };
  auto number = [&](std::string_view key) -> std::optional<std::int64_t> {
    const JsonValue* f = v->find(key);
    return f ? f->to_int64() : std::nullopt;
  };
  SourceInfo info;
  info.id = std::string(id);
  auto tenant = text("tenant"), kind = text("kind");
  auto created = number("created_at"), updated = number("updated_at");
  auto vk = text("verification_key"), sk = text("signing_key"), user = text("username"),
       pw = text("password_sha256");
  if (!tenant || !kind || !created || !updated || !vk || !sk || !user || !pw) return std::nullopt;
  auto k = parse_kind(*kind);
  if (!k) return std::nullopt;
  info.tenant = std::move(*tenant);
  info.kind = *k;
  info.created_at = *created;
  info.updated_at = *updated;
  info.verification_key = std::move(*vk);
  info.signing_key = std::move(*sk);
  info.username = std::move(*user);
  info.password_sha256 = std::move(*pw);
  return info;
}

std::optional<SourceInfo> SourceStore::find(const lmdb::Txn& txn, std::string_view id) const {
  std::string_view v;
  if (!is_valid_source_id(id) || !txn.get(db_, id, v)) return std::nullopt;
  return decode(id, v);
}

std::vector<SourceInfo> SourceStore::list(const lmdb::Txn& txn, std::string_view tenant) const {
  std::vector<SourceInfo> out;
  lmdb::Cursor cursor(txn, db_);
  for (bool ok = cursor.first(); ok; ok = cursor.next()) {
    auto info = decode(cursor.key(), cursor.value());
    if (info && info->tenant == tenant) out.push_back(std::move(*info));
  }
  return out;
}

void SourceStore::put(lmdb::Txn& txn, const SourceInfo& info) { txn.put(db_, info.id, encode(info)); }

bool SourceStore::remove(lmdb::Txn& txn, std::string_view id) { return txn.del(db_, id); }

}  // namespace eventsd
