#include "tools/import_line.h"

#include <boost/json.hpp>

#include "commands/contact_input.h"
#include "commands/rules_input.h"
#include "eventlog/tokens.h"

namespace eventsd::cli {

namespace json = boost::json;

namespace {

template <class T>
std::variant<Command, FieldError> wrap(std::string tenant, std::variant<T, FieldError> parsed) {
  if (auto* e = std::get_if<FieldError>(&parsed)) return *e;
  return Command{std::move(tenant), "eventctl:import", std::get<T>(std::move(parsed))};
}

// The native-API form of an event of a dump: what its client sent, as far as the fact says.
json::object client_event(const json::object& e) {
  json::object out;
  for (const char* key : {"id", "event", "timestamp", "url", "referrer", "session_id", "utm_source",
                          "utm_medium", "utm_campaign", "campaign_id", "step_id", "email", "data"}) {
    if (auto* v = e.if_contains(key)) out[key] = *v;
  }
  // The contact the client named: before any alias redirected it.
  if (auto* v = e.if_contains("original_contact_id")) out["contact_id"] = *v;
  else if (auto* c = e.if_contains("contact_id")) out["contact_id"] = *c;
  return out;
}

std::variant<Command, FieldError> from_record(const json::object& rec) {
  const json::value* kind = rec.if_contains("kind");
  const json::value* tenant = rec.if_contains("tenant");
  const json::value* fact = rec.if_contains("fact");
  if (!kind || !kind->is_string() || !tenant || !tenant->is_string() || !fact || !fact->is_object()) {
    return FieldError{"", "a dump record needs kind, tenant and fact"};
  }
  const std::string t(tenant->get_string());
  const auto& f = fact->get_object();
  const std::string_view k = kind->get_string();
  // A tenant a token can name; "" only for the server's own retention (every tenant).
  if (!is_valid_tenant(t) && !(t.empty() && k == "retention_applied")) {
    return FieldError{"tenant", "tenant must be 1-64 characters of A-Z a-z 0-9 _ . -"};
  }
  if (k == "events_ingested") {
    json::array batch;
    if (auto* events = f.if_contains("events"); events && events->is_array()) {
      for (const auto& e : events->get_array()) {
        if (!e.is_object()) return FieldError{"fact.events", "events must be objects"};
        batch.push_back(client_event(e.get_object()));
      }
    }
    return wrap<IngestEvents>(t, parse_ingest(json::object{{"batch", std::move(batch)}}, kNativeFieldNames, now_millis()));
  }
  if (k == "events_deleted") {
    json::value ids = f.contains("ids") ? f.at("ids") : json::value();
    return wrap<DeleteEvents>(t, parse_delete(json::object{{"event_ids", ids}}));
  }
  if (k == "contact_upserted") {
    json::object body = f;
    const json::value id = body.contains("contact_id") ? body.at("contact_id") : json::value();
    body.erase("contact_id");
    if (!id.is_string()) return FieldError{"fact.contact_id", "contact_id is missing"};
    return wrap<UpsertContact>(t, parse_contact_upsert(std::string(id.get_string()), body));
  }
  if (k == "contacts_merged") {
    json::object body;
    for (const char* key : {"from", "into"}) {
      if (auto* v = f.if_contains(key)) body[key] = *v;
    }
    return wrap<MergeContacts>(t, parse_merge(body));
  }
  if (k == "suppression_rules_set") {
    return wrap<SetSuppressionRules>(t, parse_suppression_rules(json::object{{"rules", f.contains("rules") ? f.at("rules") : json::value()}}));
  }
  if (k == "scoring_rules_set") {
    return wrap<SetScoringRules>(t, parse_scoring_rules(json::object{{"rules", f.contains("rules") ? f.at("rules") : json::value()}}));
  }
  if (k == "retention_applied") {
    const json::value* cutoff = f.if_contains("campaign_cutoff");
    auto when = cutoff && cutoff->is_string() ? parse_iso8601(cutoff->get_string()) : std::nullopt;
    if (!when) return FieldError{"fact.campaign_cutoff", "campaign_cutoff must be an ISO 8601 date-time"};
    return Command{t, "eventctl:import", ApplyRetention{*when}};
  }
  return FieldError{"kind", "unknown kind " + std::string(k)};
}

}  // namespace

ImportLine parse_import_line(std::string_view line, const std::optional<std::string>& tenant) {
  if (line.find_first_not_of(" \t\r") == std::string_view::npos) return BlankLine{};
  boost::system::error_code ec;
  const json::value v = json::parse(line, ec);
  if (ec || !v.is_object()) return FieldError{"", "not a JSON object"};
  if (v.get_object().contains("kind")) {
    auto command = from_record(v.get_object());
    if (auto* e = std::get_if<FieldError>(&command)) return *e;
    return std::get<Command>(std::move(command));
  }
  if (!tenant) return FieldError{"", "a plain event line needs --tenant"};
  auto event = parse_event(v, kNativeFieldNames, "");
  if (auto* e = std::get_if<FieldError>(&event)) return *e;
  return std::get<EventInput>(std::move(event));
}

}  // namespace eventsd::cli
