// Aggregates over contacts and companies.
//
// The contacts of a tenant are those with a profile (rm_contacts) and those with events
// (rm_by_contact), less the ones merged into another (rm_aliases). A contact counts when the
// conditions on its own and its company's fields hold and — when the request filters events at
// all (event_type, domain, dates, data or event fields...) — when it has at least one matching
// event; otherwise when it has a profile or at least one event the suppression setting admits. Its
// time bucket is that of its first matching event. A company counts when its fields meet the
// conditions and, when contacts or events are filtered, at least one of its contacts counts;
// `unique_contacts` counts those contacts. A contact's company is its own, else the company of
// its email's domain (as enrichment does).
//
// Contacts are streamed in key order (a merge of the two databases' keys), each one examined
// counting towards max_examined, so memory does not grow with the tenant's contacts.
#include <algorithm>
#include <unordered_map>

#include "projections/aggregate_sources.h"

namespace eventsd {

namespace {

bool contact_level(const FieldRef& f) { return f.field == Field::contact_id || is_profile_field(f.field); }

// Whether the request filters events (not just the suppression setting).
bool filters_events(const AggregateRequest& r) {
  const EventFilter& f = r.filter;
  if (f.event_type || f.domain || f.campaign_id || f.url_contains || f.search || f.after || f.before) return true;
  return std::any_of(r.where.begin(), r.where.end(), [](const Condition& c) { return !contact_level(c.field); });
}

// Calls visit(contact id) for every contact of the tenant in key order — profiles and contacts
// with events merged, aliases left out — until it returns false.
template <class Visit>
void for_each_contact(const ReadView& view, std::uint32_t tno, Visit&& visit) {
  const auto& dbs = view.models.dbs();
  const rm::Key tenant = rm::tenant_prefix(tno);
  // (rm_contacts' keys and rm_by_contact's start alike: [tno][contact id\0].)
  auto id_at = [&](const lmdb::Cursor& c) -> std::optional<std::string> {
    const std::string_view key = c.key();
    if (!key.starts_with(tenant.view())) return std::nullopt;
    return std::string(rm::named_key_name(key));
  };
  lmdb::Cursor profiles(view.txn, dbs.contacts), events(view.txn, dbs.by_contact);
  std::optional<std::string> p = profiles.seek(tenant) ? id_at(profiles) : std::nullopt;
  std::optional<std::string> e = events.seek(tenant) ? id_at(events) : std::nullopt;
  while (p || e) {
    // Key order of [id\0] is the byte order of the ids.
    const bool take_p = p && (!e || *p <= *e), take_e = e && (!p || *e <= *p);
    const std::string id = take_p ? *p : *e;
    if (take_p) p = profiles.next() ? id_at(profiles) : std::nullopt;
    if (take_e) e = events.seek(keys::prefix_end(rm::named_prefix(tno, id).view())) ? id_at(events) : std::nullopt;
    std::string_view alias;
    if (view.txn.get(dbs.aliases, rm::aliases_key(tno, id), alias)) continue;
    if (!visit(id)) return;
  }
}

// Decides, contact by contact, whether it counts and when it was first seen matching.
class ContactMatcher {
 public:
  ContactMatcher(const ReadView& view, std::uint32_t tno, const AggregateRequest& r)
      : view_(view), tno_(tno), r_(r), profiles_(view, tno), filters_events_(filters_events(r)) {
    EventFilter events = r.filter;
    events.contact_id.reset();  // a contact-level condition here
    events.identified_only = false;
    add_list_filter(events, spec_);
    for (const Condition& c : r.where) {
      if (contact_level(c.field)) contact_conditions_.push_back(c);
      else spec_.where.push_back(c);
    }
    if (r.filter.contact_id) {
      Condition only;
      only.field = FieldRef{Field::contact_id, {}};
      only.text = *r.filter.contact_id;
      contact_conditions_.push_back(only);
    }
    Condition mine;  // the scan's own condition: this contact's range of rm_by_contact
    mine.field = FieldRef{Field::contact_id, {}};
    spec_.where.push_back(mine);
  }

  std::uint64_t examined() const { return examined_; }
  bool truncated() const { return truncated_; }

  FieldValue value(const FieldRef& f, const std::string& contact) {
    if (f.field == Field::contact_id) return FieldValue::text(std::string_view(contact));
    return profiles_.value(f.field, contact);
  }
  std::optional<Company> company(const std::string& contact) { return profiles_.lookup(contact).company; }

  // Counts one contact looked at; false (and truncated) when the work bound is reached.
  bool examine() {
    if (examined_ >= r_.max_examined) {
      truncated_ = true;
      return false;
    }
    ++examined_;
    return true;
  }

  // Whether the (examined) contact counts; `first` is set to its first matching event's time
  // when `want_first` (else any match will do).
  bool matches(const std::string& contact, bool want_first, std::optional<Millis>& first) {
    first.reset();
    for (const Condition& c : contact_conditions_) {
      if (!condition_holds(c, value(c.field, contact), scratch_)) return false;
    }
    const bool has_profile = profiles_.lookup(contact).profile.has_value();
    if (!filters_events_ && has_profile && !want_first) return true;
    spec_.where.back().text = contact;
    spec_.max_examined = r_.max_examined - examined_;
    const ScanOutcome out = scan_events(view_, tno_, spec_, [&](ScannedEvent& e) {
      first = first ? std::min(*first, e.timestamp()) : e.timestamp();
      return want_first;  // the range goes newest first: the earliest match is the last one
    });
    examined_ += out.examined;
    if (out.truncated) truncated_ = true;
    return first.has_value() || (!filters_events_ && has_profile);
  }

 private:
  const ReadView& view_;
  std::uint32_t tno_;
  const AggregateRequest& r_;
  ProfileCache profiles_;
  bool filters_events_;
  ScanSpec spec_;
  std::vector<Condition> contact_conditions_;
  std::uint64_t examined_ = 0;
  bool truncated_ = false;
  std::string scratch_;
};

}  // namespace

void aggregate_contacts(const ReadView& view, std::uint32_t tno, const AggregateRequest& r,
                        GroupTable& table, AggregateResult& result) {
  ContactMatcher matcher(view, tno, r);
  const bool want_first = std::any_of(r.group_by.begin(), r.group_by.end(),
                                      [](const FieldRef& g) { return is_time_bucket(g.field); });
  bool full = false;
  for_each_contact(view, tno, [&](const std::string& contact) {
    if (!matcher.examine()) return false;
    std::optional<Millis> first;
    if (!matcher.matches(contact, want_first, first)) return !matcher.truncated();
    GroupTable::Key key{};
    for (std::size_t d = 0; d < r.group_by.size(); ++d) {
      const FieldRef& g = r.group_by[d];
      if (!is_time_bucket(g.field)) key[d] = table.value_id(d, matcher.value(g, contact));
      else if (first) key[d] = table.bucket_id(d, *first);
    }
    auto* acc = table.group(key);
    if (!acc) {
      full = true;
      return false;
    }
    ++acc->count;
    return !matcher.truncated();
  });
  result.examined = matcher.examined();
  result.plan = "rm_contacts + rm_by_contact";
  if (full) result.truncated = "max_groups";
  else if (matcher.truncated()) result.truncated = "max_examined";
}

void aggregate_companies(const ReadView& view, std::uint32_t tno, const AggregateRequest& r,
                         GroupTable& table, AggregateResult& result) {
  ContactMatcher matcher(view, tno, r);
  const bool filters_contacts = filters_events(r) || r.filter.contact_id ||
                                std::any_of(r.where.begin(), r.where.end(), [](const Condition& c) {
                                  return contact_level(c.field) && !is_company_field(c.field.field);
                                });
  // First the contacts that count, under the key of their company.
  std::unordered_map<std::string, std::vector<std::uint32_t>> counted;  // company key -> contacts
  for_each_contact(view, tno, [&](const std::string& contact) {
    if (!matcher.examine()) return false;
    const auto company = matcher.company(contact);
    if (!company) return true;
    std::optional<Millis> first;
    if (filters_contacts && !matcher.matches(contact, false, first)) return !matcher.truncated();
    auto view_of = [](const std::optional<std::string>& s) {
      return s ? std::optional<std::string_view>(*s) : std::nullopt;
    };
    counted[company_key(view_of(company->name), view_of(company->domain))].push_back(table.contact_id(contact));
    return !matcher.truncated();
  });
  // Then the companies.
  std::vector<Condition> company_conditions;
  for (const Condition& c : r.where) {
    if (is_company_field(c.field.field)) company_conditions.push_back(c);
  }
  const rm::Key tenant = rm::tenant_prefix(tno);
  lmdb::Cursor cursor(view.txn, view.models.dbs().companies);
  bool full = false, truncated = matcher.truncated();
  std::uint64_t examined = 0;
  std::string scratch;
  for (bool ok = !truncated && cursor.seek(tenant); ok && cursor.key().starts_with(tenant.view()); ok = cursor.next()) {
    if (examined + matcher.examined() >= r.max_examined) {
      truncated = true;
      break;
    }
    ++examined;
    const std::string key(rm::named_key_name(cursor.key()));
    const auto company = find_company(view, tno, key);
    if (!company) continue;
    auto field_value = [&](Field f) {
      if (f == Field::company_id) return FieldValue::text(std::string_view(company->id));
      const auto& v = f == Field::company_name ? company->name : company->domain;
      return FieldValue::text(v ? std::optional<std::string_view>(*v) : std::nullopt);
    };
    if (!std::all_of(company_conditions.begin(), company_conditions.end(), [&](const Condition& c) {
          return condition_holds(c, field_value(c.field.field), scratch);
        })) {
      continue;
    }
    auto members = counted.find(key);
    if (filters_contacts && members == counted.end()) continue;
    GroupTable::Key gk{};
    for (std::size_t d = 0; d < r.group_by.size(); ++d) gk[d] = table.value_id(d, field_value(r.group_by[d].field));
    auto* acc = table.group(gk);
    if (!acc) {
      full = true;
      break;
    }
    ++acc->count;
    if (members != counted.end()) {
      for (auto contact : members->second) acc->contacts.add(contact);
    }
  }
  result.examined = examined + matcher.examined();
  result.plan = "rm_contacts + rm_companies";
  if (full) result.truncated = "max_groups";
  else if (truncated) result.truncated = "max_examined";
}

}  // namespace eventsd
