// Bodies of PUT /v1/suppression/rules and PUT /v1/scoring/rules (commands/rules_input.h), and of
// the other small commands (POST /v1/contacts/merge, PUT /v1/contacts/{id}).
//
// A rules body that validation accepts is PUT through the router to a real store: it must be
// recorded (200), and the rules the answer shows must be a body that, PUT again, is recorded and
// shows the very same rules (what GET shows can be restored: a value never changes on its way
// through). Then an event is ingested under those rules, which must be decided without error.
#include <cstdint>
#include <string>

#include "commands/contact_input.h"
#include "commands/rules_input.h"
#include "common/json_reader.h"
#include "tests/fuzz/checks.h"

namespace {

using namespace eventsd;
using fuzz::check;
fuzz::Answer send(fuzz::LiveApp& app, http::bhttp::verb method, const std::string& target, std::string body) {
  http::RawRequest req{method, target, 11};
  req.set(http::bhttp::field::authorization, "Bearer " + app.token_all());
  req.body() = std::move(body);
  req.prepare_payload();
  const std::string shown = target + " " + req.body();
  fuzz::Answer a = app.handle(req);
  fuzz::check_answer(a, shown);
  return a;
}

// {"status":"success","rules":[...]} -> {"rules":[...]}
std::string rules_body(const fuzz::Answer& a) {
  const auto read = parse_json(a.body);
  const JsonValue* rules = std::holds_alternative<JsonValue>(read) ? std::get<JsonValue>(read).find("rules") : nullptr;
  check(rules != nullptr, "a rules answer without rules", a.body);
  return JsonValue::object({{"rules", *rules}}).compact();
}

void round_trip(fuzz::LiveApp& app, const std::string& target, std::string_view body) {
  const auto first = send(app, http::bhttp::verb::put, target, std::string(body));
  check(first.status == 200, "accepted rules were not recorded", std::string(body) + "\n--> " + first.body);
  const std::string shown = rules_body(first);
  const auto second = send(app, http::bhttp::verb::put, target, shown);
  check(second.status == 200, "the rules in force, PUT again, were refused", shown + "\n--> " + second.body);
  check(rules_body(second) == shown, "the rules in force, PUT again, show other rules",
        std::string(body) + "\n--> " + shown + "\n--> " + rules_body(second));
  const auto ingest = send(app, http::bhttp::verb::post, "/v1/events",
                           R"({"batch":[{"event":"view","contact_id":"ct_r","data":{"bot":true,"ua":"x"}},)"
                           R"({"event":"click","contact_id":"ct_r"},{"event":"view","contact_id":"ct_r"}]})");
  check(ingest.status == 201, "an ingest under accepted rules failed", shown + "\n--> " + ingest.body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto [body, json] = fuzz::as_body(data, size);
  if (!json) return 0;
  const JsonValue& v = *json;
  (void)parse_merge(v);
  (void)parse_contact_upsert("ct_1", v);
  const bool suppression = std::holds_alternative<SetSuppressionRules>(parse_suppression_rules(v));
  const bool scoring = std::holds_alternative<SetScoringRules>(parse_scoring_rules(v));
  if (!suppression && !scoring) return 0;
  auto& app = fuzz::live_app();
  if (suppression) round_trip(app, "/v1/suppression/rules", body);
  if (scoring) round_trip(app, "/v1/scoring/rules", body);
  return 0;
}
