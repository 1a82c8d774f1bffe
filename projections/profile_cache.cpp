#include "projections/profile_cache.h"

namespace eventsd {

const ProfileCache::Entry& ProfileCache::lookup(std::string_view contact_id) {
  auto it = cache_.find(contact_id);
  if (it != cache_.end()) return it->second;
  if (cache_.size() >= kMaxEntries) cache_.clear();  // bounded memory; lookups may repeat
  Entry e;
  e.profile = find_profile(view_, tno_, contact_id);
  if (e.profile) e.company = company_of(view_, tno_, *e.profile);
  return cache_.emplace(std::string(contact_id), std::move(e)).first->second;
}

FieldValue ProfileCache::value(Field field, std::optional<std::string_view> contact_id) {
  if (!contact_id) return {};
  const Entry& e = lookup(*contact_id);
  auto opt = [](const std::optional<std::string>& s) {
    return FieldValue::text(s ? std::optional<std::string_view>(*s) : std::nullopt);
  };
  if (is_company_field(field)) {
    if (!e.company) return {};
    if (field == Field::company_id) return FieldValue::text(std::string_view(e.company->id));
    return opt(field == Field::company_name ? e.company->name : e.company->domain);
  }
  if (!e.profile) return {};
  switch (field) {
    case Field::contact_firstname: return opt(e.profile->firstname);
    case Field::contact_lastname: return opt(e.profile->lastname);
    default: return opt(e.profile->email);
  }
}

}  // namespace eventsd
