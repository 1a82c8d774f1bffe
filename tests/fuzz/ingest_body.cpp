// Ingest bodies of every dialect through validation (commands/event_input.h): POST /v1/events
// (native names), POST /ingest (organizational-unit names), POST /api/workspaces/{id}/events
// (workspace names), and the body of DELETE /v1/events/batch.
//
// Beyond not crashing: what validation accepts obeys docs/api.md, "Ingest" (1-1000 events, clean bounded
// text, data a JSON object of at most 32 KiB), and an accepted event written back in the native
// names (as export and dump write it) is accepted again as the very same event: no value changes
// on its way through.
#include <cstdint>

#include "commands/event_input.h"
#include "common/json_reader.h"
#include "common/time.h"
#include "tests/fuzz/checks.h"

namespace {

using namespace eventsd;
using fuzz::check;
// A parsed JSON text the fuzzer's own checks know to be valid.
JsonValue parsed(std::string_view text) { return std::get<JsonValue>(parse_json(text)); }

JsonValue native_form(const EventInput& e) {
  JsonValue::Object o;
  auto put = [&](const char* key, const std::optional<std::string>& v) {
    if (v) o.emplace_back(key, JsonValue::string(*v));
  };
  put("id", e.id);
  o.emplace_back("event", JsonValue::string(e.event));
  put("contact_id", e.contact_id);
  if (e.timestamp) o.emplace_back("timestamp", JsonValue::string(format_iso8601_ms(*e.timestamp)));
  put("url", e.url);
  put("referrer", e.referrer);
  put("session_id", e.session_id);
  put("utm_source", e.utm_source);
  put("utm_medium", e.utm_medium);
  put("utm_campaign", e.utm_campaign);
  put("campaign_id", e.campaign_id);
  put("step_id", e.step_id);
  put("email", e.email);
  o.emplace_back("data", parsed(e.data));
  return JsonValue::object(std::move(o));
}

bool same(const EventInput& a, const EventInput& b) {
  return a.id == b.id && a.event == b.event && a.contact_id == b.contact_id && a.timestamp == b.timestamp &&
         a.url == b.url && a.referrer == b.referrer && a.session_id == b.session_id &&
         a.utm_source == b.utm_source && a.utm_medium == b.utm_medium && a.utm_campaign == b.utm_campaign &&
         a.campaign_id == b.campaign_id && a.step_id == b.step_id && a.email == b.email &&
         a.domain == b.domain && a.data == b.data;
}

void check_event(const EventInput& e, std::string_view body) {
  check(is_clean_text(e.event, 128), "an accepted event name is not 1-128 clean bytes", body);
  check(!e.id || is_valid_event_id(*e.id), "an accepted id is not a valid event id", body);
  for (const auto* v : {&e.contact_id, &e.campaign_id, &e.step_id}) {
    check(!*v || is_clean_text(**v, 128), "an accepted id field is not 1-128 clean bytes", body);
  }
  check(!e.domain || is_clean_text(*e.domain, 253), "a derived domain is not clean text", body);
  check(e.data.size() <= kMaxDataBytes, "accepted data exceeds 32 KiB", body);
  const auto data = parse_json(e.data);
  check(std::holds_alternative<JsonValue>(data) && std::get<JsonValue>(data).is_object(),
        "accepted data is not a JSON object", e.data);

  // Written back in the native names and read again: the same event.
  const std::string again = native_form(e).compact();
  const auto reparsed = parse_event(parsed(again), kNativeFieldNames, "");
  const auto* back = std::get_if<EventInput>(&reparsed);
  check(back != nullptr, "an accepted event, written back, is refused: " +
                             (back ? std::string() : std::get<FieldError>(reparsed).field + ": " +
                                                         std::get<FieldError>(reparsed).message),
        again);
  check(same(e, *back), "an accepted event, written back and read again, changed", std::string(body) + "\n--> " + again);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto [body, json] = fuzz::as_body(data, size);
  if (!json) return 0;
  const JsonValue& v = *json;
  for (FieldNames names : {kNativeFieldNames, kOrgUnitFieldNames, kWorkspaceFieldNames}) {
    const auto parsed = parse_ingest(v, names, 1'770'000'000'000);
    if (const auto* error = std::get_if<FieldError>(&parsed)) {
      check(!error->message.empty(), "a refusal without a message", body);
      continue;
    }
    const auto& cmd = std::get<IngestEvents>(parsed);
    check(!cmd.events.empty() && cmd.events.size() <= kMaxBatch, "an accepted batch is not 1-1000 events", body);
    for (const auto& e : cmd.events) check_event(e, body);
  }
  const auto deleted = parse_delete(v);
  if (const auto* cmd = std::get_if<DeleteEvents>(&deleted)) {
    check(!cmd->ids.empty() && cmd->ids.size() <= kMaxBatch, "an accepted delete is not 1-1000 ids", body);
    for (const auto& id : cmd->ids) check(is_clean_text(id, 128), "an accepted delete id is not clean", body);
  }
  return 0;
}
