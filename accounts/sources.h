// Sources: an e-mail provider's event webhook (SendGrid, Mailgun, Postmark) posting to
// POST /hooks/{id} for a tenant (docs/integrations.md). A source is tenant configuration, like a
// token: stored in the "sources" database beside the tokens (replicated through the system log in
// cluster mode, cluster/system_log.h), not in the log, and replay does not touch it.
//
// What a source keeps to check a delivery (docs/security.md, "Provider webhooks"): SendGrid's
// verification key (public: base64 of the DER SubjectPublicKeyInfo, as SendGrid shows it);
// Mailgun's webhook signing key (a secret: an HMAC key must be kept as it is, and it is never
// shown again); Postmark's basic-auth user name and the SHA-256 of its password (the password is
// never stored).
//
// Thread safety: as TokenStore's (tokens.h): the methods take the caller's transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eventlog/store.h"

namespace eventsd {

enum class SourceKind : std::uint8_t { sendgrid, mailgun, postmark };
std::string_view kind_name(SourceKind kind);
std::optional<SourceKind> parse_kind(std::string_view name);

// Bounds of what a source is made with (docs/api.md "Sources").
inline constexpr std::size_t kMaxSourceSecretBytes = 512;
inline constexpr std::size_t kMaxSourcesPerTenant = 100;

// Source ids: 1-64 characters of [A-Za-z0-9_.-] (they are a URL's last segment).
bool is_valid_source_id(std::string_view id);

struct SourceInfo {
  std::string id;
  std::string tenant;
  SourceKind kind = SourceKind::sendgrid;
  std::int64_t created_at = 0;  // ms since the epoch
  std::int64_t updated_at = 0;
  std::string verification_key;  // SendGrid: public, shown
  std::string signing_key;       // Mailgun: secret, never shown
  std::string username;          // Postmark: shown
  std::string password_sha256;   // Postmark: SHA-256 of the password, hex, never shown
};

class SourceStore {
 public:
  explicit SourceStore(Store& store);

  // The source `id`, whatever its tenant; nullopt when there is none.
  std::optional<SourceInfo> find(const lmdb::Txn& txn, std::string_view id) const;
  // A tenant's sources, by id.
  std::vector<SourceInfo> list(const lmdb::Txn& txn, std::string_view tenant) const;
  // Stores `info` under info.id (replacing it). The caller checked that the id is free or the
  // tenant's own.
  void put(lmdb::Txn& txn, const SourceInfo& info);
  // false when there was no source `id`.
  bool remove(lmdb::Txn& txn, std::string_view id);

  // The stored form (a JSON object), and back; decode: nullopt for anything else.
  static std::string encode(const SourceInfo& info);
  static std::optional<SourceInfo> decode(std::string_view id, std::string_view value);

 private:
  MDB_dbi db_;
};

}  // namespace eventsd
