// A contact's profile and its company, looked up once per contact during a scan (event_scan.h)
// or an aggregate over contacts, for the contact.* and company.* fields.
//
// Memory is bounded: the cache starts over beyond kMaxEntries contacts (lookups may then repeat).
// A returned entry is valid until the next lookup.
//
// Thread safety: one per scan, inside the caller's snapshot; not shared.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "projections/contacts.h"
#include "projections/event_fields.h"
#include "projections/read_models.h"

namespace eventsd {

class ProfileCache {
 public:
  static constexpr std::size_t kMaxEntries = 65'536;
  struct Entry {
    std::optional<ContactProfile> profile;
    std::optional<Company> company;
  };
  ProfileCache(const ReadView& view, std::uint32_t tno) : view_(view), tno_(tno) {}
  const Entry& lookup(std::string_view contact_id);
  // The value of a contact.* or company.* field of the contact.
  FieldValue value(Field field, std::optional<std::string_view> contact_id);

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  ReadView view_;
  std::uint32_t tno_;
  std::unordered_map<std::string, Entry, Hash, std::equal_to<>> cache_;
};

}  // namespace eventsd
