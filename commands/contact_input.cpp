#include "commands/contact_input.h"

#include <algorithm>

namespace eventsd {

namespace {

// A string field of at most `max` bytes without control characters, or null/absent.
std::optional<FieldError> text(const JsonValue& o, std::string_view key, std::string field,
                               std::size_t max, std::optional<std::string>& out) {
  const JsonValue* v = o.find(key);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_string() || !is_clean_text(v->get_string(), max)) {
    return FieldError{field, field + " must be a string of 1-" + std::to_string(max) +
                                 " bytes without control characters"};
  }
  out = std::string(v->get_string());
  return std::nullopt;
}

bool is_hostname(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
  });
}

}  // namespace

std::variant<UpsertContact, FieldError> parse_contact_upsert(std::string contact_id,
                                                              const JsonValue& body) {
  if (!is_clean_text(contact_id, 128)) {
    return FieldError{"id", "contact id must be 1-128 bytes without control characters"};
  }
  if (!body.is_object()) return FieldError{"", "the body must be a JSON object"};
  const JsonValue* o = &body;
  if (auto e = unknown_field(*o, {"firstname", "lastname", "email", "company"}, "")) return *e;
  UpsertContact cmd;
  cmd.contact_id = std::move(contact_id);
  if (auto e = text(*o, "firstname", "firstname", 256, cmd.firstname)) return *e;
  if (auto e = text(*o, "lastname", "lastname", 256, cmd.lastname)) return *e;
  if (auto e = text(*o, "email", "email", 254, cmd.email)) return *e;
  if (cmd.email) {
    const auto at = cmd.email->find('@');
    if (at == 0 || at == std::string::npos || at + 1 == cmd.email->size()) {
      return FieldError{"email", "email must be an email address"};
    }
  }
  if (const JsonValue* c = o->find("company"); c && !c->is_null()) {
    const JsonValue* company = c->is_object() ? c : nullptr;
    if (!company) return FieldError{"company", "company must be an object {name, domain}"};
    if (auto e = unknown_field(*company, {"name", "domain"}, "company.")) return *e;
    if (auto e = text(*company, "name", "company.name", 256, cmd.company_name)) return *e;
    if (auto e = text(*company, "domain", "company.domain", 253, cmd.company_domain)) return *e;
    if (cmd.company_domain) {
      std::transform(cmd.company_domain->begin(), cmd.company_domain->end(), cmd.company_domain->begin(),
                     [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
      if (!is_hostname(*cmd.company_domain)) {
        return FieldError{"company.domain", "company.domain must be a host name like example.com"};
      }
    }
    if (!cmd.company_name && !cmd.company_domain) {
      return FieldError{"company", "company needs a name or a domain"};
    }
  }
  return cmd;
}

}  // namespace eventsd
