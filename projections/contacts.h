// Contacts (leads) and companies, as the read side sees them.
//
// A contact's profile and its company come from PUT /v1/contacts/{id} (ContactUpserted facts,
// kept in rm_contacts and rm_companies). Its activity — events, first and last seen — is read from
// its range of the contact index when asked for, not kept per event: that keeps ingest from
// writing one more scattered page per identified event.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eventlog/lmdb.h"
#include "common/time.h"
#include "projections/read_models.h"

namespace eventsd {

struct Company {
  std::string id;  // "co_" + 16 hex digits, derived from the key
  std::optional<std::string> name;
  std::optional<std::string> domain;
};

struct ContactProfile {
  std::optional<std::string> firstname, lastname, email;
  std::optional<std::string> company_key;  // rm_companies key of the contact's own company
};

// The key a company is known by in a tenant: its domain when it has one, else "name:" + name.
std::string company_key(std::optional<std::string_view> name, std::optional<std::string_view> domain);
std::string company_id(std::string_view key);

std::optional<ContactProfile> find_profile(const ReadView& view,
                                           std::uint32_t tno, std::string_view contact_id);
// The contact whose profile gives `email` (compared without ASCII case); when several do, the
// one whose profile gave it last. A contact merged into another is answered as itself: reads
// follow rm_aliases as they do for any contact id.
std::optional<std::string> contact_with_email(const ReadView& view, std::uint32_t tno, std::string_view email);
std::optional<Company> find_company(const ReadView& view,
                                    std::uint32_t tno, std::string_view key);
// The contact's company, else the company whose domain is the contact's email domain.
std::optional<Company> company_of(const ReadView& view,
                                  std::uint32_t tno, const ContactProfile& profile);

// A contact as a lead: profile plus what its unsuppressed events say.
struct Lead {
  std::string id;
  ContactProfile profile;
  bool has_profile = false;
  std::int64_t score = 0;
  std::uint64_t event_count = 0;  // unsuppressed events
  std::uint64_t session_count = 0;  // sessions (projections/visitor_sessions.h)
  std::optional<Millis> first_seen, last_seen;
  std::vector<std::string> merged_from;
};

// nullopt when the contact has neither a profile nor an unsuppressed event.
std::optional<Lead> find_lead(const ReadView& view, std::uint32_t tno,
                              std::string_view contact_id);

}  // namespace eventsd
