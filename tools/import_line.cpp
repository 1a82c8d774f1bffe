#include "tools/import_line.h"

#include "commands/contact_input.h"
#include "commands/rules_input.h"
#include "common/json_reader.h"
#include "accounts/tokens.h"

namespace eventsd::cli {

namespace {

template <class T>
std::variant<Command, FieldError> wrap(std::string tenant, std::variant<T, FieldError> parsed) {
  if (auto* e = std::get_if<FieldError>(&parsed)) return *e;
  return Command{std::move(tenant), "eventctl:import", std::get<T>(std::move(parsed))};
}

// The native-API form of an event of a dump: what its client sent, as far as the fact says. A
// browser's id (stored with kBrowserIdPrefix) is given as the page sent it, and `browser` says so.
JsonValue client_event(const JsonValue& e, bool& browser) {
  JsonValue::Object out;
  browser = false;
  for (const char* key : {"id", "event", "timestamp", "url", "referrer", "session_id", "utm_source",
                          "utm_medium", "utm_campaign", "campaign_id", "step_id", "email", "data"}) {
    const JsonValue* v = e.find(key);
    if (!v) continue;
    if (std::string_view(key) == "id" && v->is_string() && v->get_string().starts_with(kBrowserIdPrefix)) {
      browser = true;
      out.emplace_back(key, JsonValue::string(std::string(v->get_string().substr(kBrowserIdPrefix.size()))));
      continue;
    }
    out.emplace_back(key, *v);
  }
  // The contact the client named: before any alias redirected it.
  if (auto* v = e.find("original_contact_id")) out.emplace_back("contact_id", *v);
  else if (auto* c = e.find("contact_id")) out.emplace_back("contact_id", *c);
  return JsonValue::object(std::move(out));
}

// {"name": the fact's member `key`, or null}
JsonValue body_of(std::string_view name, const JsonValue& fact, std::string_view key) {
  const JsonValue* v = fact.find(key);
  return JsonValue::object({{std::string(name), v ? *v : JsonValue()}});
}

std::variant<Command, FieldError> from_record(const JsonValue& rec) {
  const JsonValue* kind = rec.find("kind");
  const JsonValue* tenant = rec.find("tenant");
  const JsonValue* fact = rec.find("fact");
  if (!kind || !kind->is_string() || !tenant || !tenant->is_string() || !fact || !fact->is_object()) {
    return FieldError{"", "a dump record needs kind, tenant and fact"};
  }
  const std::string t(tenant->get_string());
  const JsonValue& f = *fact;
  const std::string_view k = kind->get_string();
  // A tenant a token can name; "" only for the server's own retention (every tenant).
  if (!is_valid_tenant(t) && !(t.empty() && k == "retention_applied")) {
    return FieldError{"tenant", "tenant must be 1-64 characters of A-Z a-z 0-9 _ . -"};
  }
  if (k == "events_ingested") {
    JsonValue::Array batch;
    std::vector<bool> browser;
    if (auto* events = f.find("events"); events && events->is_array()) {
      for (const auto& e : events->items()) {
        if (!e.is_object()) return FieldError{"fact.events", "events must be objects"};
        bool from_browser = false;
        batch.push_back(client_event(e, from_browser));
        browser.push_back(from_browser);
      }
    }
    auto parsed = parse_ingest(JsonValue::object({{"batch", JsonValue::array(std::move(batch))}}), kNativeFieldNames,
                               now_millis());
    if (auto* ingest = std::get_if<IngestEvents>(&parsed)) {
      for (std::size_t i = 0; i < ingest->events.size(); ++i) {
        if (browser[i]) ingest->events[i].id_space = IdSpace::browser;
      }
    }
    return wrap<IngestEvents>(t, std::move(parsed));
  }
  if (k == "events_deleted") return wrap<DeleteEvents>(t, parse_delete(body_of("event_ids", f, "ids")));
  if (k == "contact_upserted") {
    const JsonValue* id = f.find("contact_id");
    if (!id || !id->is_string()) return FieldError{"fact.contact_id", "contact_id is missing"};
    JsonValue::Object body;
    for (const auto& [key, v] : f.members()) {
      if (key != "contact_id") body.emplace_back(key, v);
    }
    return wrap<UpsertContact>(t, parse_contact_upsert(std::string(id->get_string()), JsonValue::object(std::move(body))));
  }
  if (k == "contacts_merged") {
    JsonValue::Object body;
    for (const char* key : {"from", "into"}) {
      if (auto* v = f.find(key)) body.emplace_back(key, *v);
    }
    return wrap<MergeContacts>(t, parse_merge(JsonValue::object(std::move(body))));
  }
  if (k == "suppression_rules_set") return wrap<SetSuppressionRules>(t, parse_suppression_rules(body_of("rules", f, "rules")));
  if (k == "scoring_rules_set") return wrap<SetScoringRules>(t, parse_scoring_rules(body_of("rules", f, "rules")));
  if (k == "retention_applied") {
    const JsonValue* cutoff = f.find("campaign_cutoff");
    auto when = cutoff && cutoff->is_string() ? parse_iso8601(cutoff->get_string()) : std::nullopt;
    if (!when) return FieldError{"fact.campaign_cutoff", "campaign_cutoff must be an ISO 8601 date-time"};
    return Command{t, "eventctl:import", ApplyRetention{*when}};
  }
  return FieldError{"kind", "unknown kind " + std::string(k)};
}

}  // namespace

ImportLine parse_import_line(std::string_view line, const std::optional<std::string>& tenant) {
  if (line.find_first_not_of(" \t\r") == std::string_view::npos) return BlankLine{};
  auto parsed = parse_json(line);
  if (auto* e = std::get_if<JsonError>(&parsed)) return FieldError{e->field, "not JSON: " + e->message};
  const JsonValue& v = std::get<JsonValue>(parsed);
  if (!v.is_object()) return FieldError{"", "not a JSON object"};
  if (v.find("kind")) {
    auto command = from_record(v);
    if (auto* e = std::get_if<FieldError>(&command)) return *e;
    return std::get<Command>(std::move(command));
  }
  if (!tenant) return FieldError{"", "a plain event line needs --tenant"};
  auto event = parse_event(v, kNativeFieldNames, "");
  if (auto* e = std::get_if<FieldError>(&event)) return *e;
  return std::get<EventInput>(std::move(event));
}

}  // namespace eventsd::cli
