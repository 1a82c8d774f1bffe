#include "projections/contacts.h"

#include <boost/json.hpp>

#include "common/encoding.h"
#include "projections/visitor_sessions.h"

namespace eventsd {

namespace json = boost::json;

namespace {

std::optional<std::string> optional_string(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v || !v->is_string()) return std::nullopt;
  return std::string(v->get_string());
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

void put_optional(json::object& o, std::string_view key, std::optional<std::string_view> v) {
  if (v) o[key] = *v;
}

// The JSON object stored under `key` in `db` (rm_contacts, rm_companies), if any.
std::optional<json::object> find_object(const lmdb::Txn& txn, MDB_dbi db, std::string_view key) {
  std::string_view v;
  if (!txn.get(db, key, v)) return std::nullopt;
  return json::parse(v).as_object();
}

}  // namespace

std::string company_key(std::optional<std::string_view> name, std::optional<std::string_view> domain) {
  if (domain) return std::string(*domain);
  return "name:" + std::string(name.value_or(""));
}

std::string company_id(std::string_view key) {
  return "co_" + to_hex(sha256(key)).substr(0, 16);
}

void ReadModels::upsert_contact(lmdb::Txn& txn, std::uint32_t tno,
                                schema::ContactUpserted::Reader f) const {
  json::object profile;
  put_optional(profile, "firstname", text_if(f.hasFirstname(), f.getFirstname()));
  put_optional(profile, "lastname", text_if(f.hasLastname(), f.getLastname()));
  put_optional(profile, "email", text_if(f.hasEmail(), f.getEmail()));
  const auto name = text_if(f.hasCompanyName(), f.getCompanyName());
  const auto domain = text_if(f.hasCompanyDomain(), f.getCompanyDomain());
  if (name || domain) {
    const std::string key = company_key(name, domain);
    profile["company"] = key;
    json::object company{{"id", company_id(key)}};
    put_optional(company, "name", name);
    put_optional(company, "domain", domain);
    txn.put(dbs_.companies, rm::companies_key(tno, key), json::serialize(company));
  }
  // A profile replaces the one before: the e-mail it no longer gives stops naming this contact
  // (unless another profile took it since), the one it gives names it.
  const std::string_view contact = text_view(f.getContactId());
  const auto key = rm::contacts_key(tno, contact);
  if (const auto before = find_object(txn, dbs_.contacts, key)) {
    if (const auto old = optional_string(*before, "email")) {
      const auto old_key = rm::emails_key(tno, lower_ascii(*old));
      std::string_view owner;
      if (txn.get(dbs_.emails, old_key, owner) && owner == contact) txn.del(dbs_.emails, old_key);
    }
  }
  if (const auto email = text_if(f.hasEmail(), f.getEmail())) {
    txn.put(dbs_.emails, rm::emails_key(tno, lower_ascii(*email)), contact);
  }
  txn.put(dbs_.contacts, key, json::serialize(profile));
}

std::optional<std::string> contact_with_email(const ReadView& view, std::uint32_t tno, std::string_view email) {
  std::string_view v;
  if (!view.txn.get(view.models.dbs().emails, rm::emails_key(tno, lower_ascii(email)), v)) return std::nullopt;
  return std::string(v);
}

std::optional<ContactProfile> find_profile(const ReadView& view, std::uint32_t tno, std::string_view contact_id) {
  const auto o = find_object(view.txn, view.models.dbs().contacts, rm::contacts_key(tno, contact_id));
  if (!o) return std::nullopt;
  return ContactProfile{optional_string(*o, "firstname"), optional_string(*o, "lastname"),
                        optional_string(*o, "email"), optional_string(*o, "company")};
}

std::optional<Company> find_company(const ReadView& view, std::uint32_t tno, std::string_view key) {
  const auto o = find_object(view.txn, view.models.dbs().companies, rm::companies_key(tno, key));
  if (!o) return std::nullopt;
  return Company{optional_string(*o, "id").value_or(""), optional_string(*o, "name"),
                 optional_string(*o, "domain")};
}

std::optional<Company> company_of(const ReadView& view, std::uint32_t tno, const ContactProfile& profile) {
  if (profile.company_key) {
    if (auto c = find_company(view, tno, *profile.company_key)) return c;
  }
  if (profile.email) {
    const auto at = profile.email->rfind('@');
    if (at != std::string::npos) {
      std::string domain = profile.email->substr(at + 1);
      for (auto& ch : domain) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      return find_company(view, tno, domain);
    }
  }
  return std::nullopt;
}

std::optional<Lead> find_lead(const ReadView& view, std::uint32_t tno,
                              std::string_view requested) {
  const ReadModels& models = view.models;
  const lmdb::Txn& txn = view.txn;
  // A merged contact is an alias: it answers as the contact it was merged into.
  const std::string contact_id = models.resolve_contact(txn, tno, requested);
  Lead lead;
  lead.id = contact_id;
  if (auto profile = find_profile(view, tno, contact_id)) {
    lead.profile = std::move(*profile);
    lead.has_profile = true;
  }
  const rm::Key prefix = rm::named_prefix(tno, contact_id);
  lmdb::Cursor cursor(txn, models.dbs().by_contact);
  for (bool ok = cursor.seek(prefix); ok && cursor.key().starts_with(prefix.view()); ok = cursor.next()) {
    const ContactEntry entry = rm::read_by_contact_value(cursor.value());
    if (entry.flags & kSuppressed) continue;
    const Millis ts = rm::entry_ts(cursor.key());
    ++lead.event_count;
    lead.score += entry.points;
    // The range is in timestamp order: the first entry is the earliest.
    if (!lead.first_seen) lead.first_seen = ts;
    lead.last_seen = ts;
  }
  if (!lead.has_profile && lead.event_count == 0) return std::nullopt;
  lead.session_count = count_contact_sessions(view, tno, contact_id);
  const rm::Key merged_into = rm::merged_prefix(tno, contact_id);
  lmdb::Cursor merged(txn, models.dbs().merged);
  for (bool ok = merged.seek(merged_into); ok && merged.key().starts_with(merged_into.view()); ok = merged.next()) {
    lead.merged_from.emplace_back(rm::merged_key_member(merged.key(), merged_into.size()));
  }
  return lead;
}

}  // namespace eventsd
