#include "commands/rules_input.h"

#include <algorithm>
#include <set>

namespace eventsd {

namespace {

// An integer written as one (no fraction, no exponent) within int64.
std::optional<std::int64_t> integer(const JsonValue* v) {
  return v ? v->to_int64() : std::nullopt;
}

// The array under "rules" of a {"rules": [...]} body.
std::variant<const JsonValue::Array*, FieldError> rules_array(const JsonValue& body, std::size_t max) {
  if (!body.is_object()) return FieldError{"", "the body must be {\"rules\": [...]}"};
  if (auto e = unknown_field(body, {"rules"}, "")) return *e;
  const JsonValue* rules = body.find("rules");
  if (!rules || !rules->is_array()) return FieldError{"rules", "rules must be an array"};
  if (rules->items().size() > max) {
    return FieldError{"rules", "at most " + std::to_string(max) + " rules"};
  }
  return &rules->items();
}

bool is_string_equal(const JsonValue* v, std::string_view s) { return v && v->is_string() && v->get_string() == s; }

}  // namespace

std::variant<SetSuppressionRules, FieldError> parse_suppression_rules(const JsonValue& body) {
  auto arr = rules_array(body, kMaxSuppressionRules);
  if (auto* e = std::get_if<FieldError>(&arr)) return *e;
  SetSuppressionRules cmd;
  std::size_t i = 0;
  for (const auto& item : *std::get<const JsonValue::Array*>(arr)) {
    const std::string at = "rules[" + std::to_string(i++) + "]";
    const JsonValue* r = item.is_object() ? &item : nullptr;
    if (!r) return FieldError{at, at + " must be an object"};
    const JsonValue* kind = r->find("kind");
    if (is_string_equal(kind, "velocity")) {
      if (auto e = unknown_field(*r, {"kind", "max_events", "window_seconds", "event", "keep_first"}, at + ".")) return *e;
      VelocityRule v;
      auto max = integer(r->find("max_events"));
      if (!max || *max < 1 || *max > kMaxVelocityEvents) {
        return FieldError{at + ".max_events", "max_events must be an integer from 1 to 10000"};
      }
      auto window = integer(r->find("window_seconds"));
      if (!window || *window < 1 || *window > kMaxWindowSeconds) {
        return FieldError{at + ".window_seconds", "window_seconds must be an integer from 1 to 2592000 (30 days)"};
      }
      v.max_events = static_cast<std::uint32_t>(*max);
      v.window_seconds = static_cast<std::uint32_t>(*window);
      if (const JsonValue* ev = r->find("event"); ev && !ev->is_null()) {
        if (!ev->is_string() || !is_clean_text(ev->get_string(), 128)) {
          return FieldError{at + ".event", "event must be an event name of 1-128 bytes"};
        }
        v.event = std::string(ev->get_string());
      }
      if (const JsonValue* kf = r->find("keep_first"); kf && !kf->is_null()) {
        if (!kf->is_bool()) return FieldError{at + ".keep_first", "keep_first must be true or false"};
        v.keep_first = kf->get_bool();
      }
      cmd.rules.velocity.push_back(std::move(v));
    } else if (is_string_equal(kind, "metadata")) {
      if (auto e = unknown_field(*r, {"kind", "key", "equals", "contains"}, at + ".")) return *e;
      MetadataRule m;
      const JsonValue* key = r->find("key");
      if (!key || !key->is_string() || !is_clean_text(key->get_string(), 128)) {
        return FieldError{at + ".key", "key must be a string of 1-128 bytes"};
      }
      m.key = std::string(key->get_string());
      const JsonValue* equals = r->find("equals");
      const JsonValue* contains = r->find("contains");
      if ((equals != nullptr) == (contains != nullptr)) {
        return FieldError{at, "a metadata rule has exactly one of equals and contains"};
      }
      if (equals) {
        m.equals = equals->compact();  // numbers as sent; matched by value (suppression.h)
        if (m.equals->size() > 1024) return FieldError{at + ".equals", "equals is larger than 1 KiB"};
      } else {
        if (!contains->is_string() || !is_clean_text(contains->get_string(), 256)) {
          return FieldError{at + ".contains", "contains must be a string of 1-256 bytes"};
        }
        m.contains = std::string(contains->get_string());
      }
      cmd.rules.metadata.push_back(std::move(m));
    } else {
      return FieldError{at + ".kind", "kind must be velocity or metadata"};
    }
  }
  return cmd;
}

std::variant<SetScoringRules, FieldError> parse_scoring_rules(const JsonValue& body) {
  auto arr = rules_array(body, kMaxScoringRules);
  if (auto* e = std::get_if<FieldError>(&arr)) return *e;
  SetScoringRules cmd;
  std::set<std::string> seen;
  std::size_t i = 0;
  for (const auto& item : *std::get<const JsonValue::Array*>(arr)) {
    const std::string at = "rules[" + std::to_string(i++) + "]";
    const JsonValue* r = item.is_object() ? &item : nullptr;
    if (!r) return FieldError{at, at + " must be an object {event, points}"};
    if (auto e = unknown_field(*r, {"event", "points"}, at + ".")) return *e;
    const JsonValue* ev = r->find("event");
    if (!ev || !ev->is_string() || !is_clean_text(ev->get_string(), 128)) {
      return FieldError{at + ".event", "event must be an event name of 1-128 bytes"};
    }
    auto points = integer(r->find("points"));
    if (!points || *points < -1'000'000 || *points > 1'000'000) {
      return FieldError{at + ".points", "points must be an integer from -1000000 to 1000000"};
    }
    std::string name(ev->get_string());
    if (!seen.insert(name).second) return FieldError{at + ".event", "event " + name + " has two rules"};
    cmd.rules.emplace_back(std::move(name), static_cast<std::int32_t>(*points));
  }
  return cmd;
}

std::variant<MergeContacts, FieldError> parse_merge(const JsonValue& body) {
  if (!body.is_object()) return FieldError{"", "the body must be {\"from\": id, \"into\": id}"};
  if (auto e = unknown_field(body, {"from", "into"}, "")) return *e;
  MergeContacts cmd;
  for (auto [name, out] : {std::pair{"from", &cmd.from}, {"into", &cmd.into}}) {
    const JsonValue* v = body.find(name);
    if (!v || !v->is_string() || !is_clean_text(v->get_string(), 128)) {
      return FieldError{name, std::string(name) + " must be a contact id of 1-128 bytes"};
    }
    *out = std::string(v->get_string());
  }
  return cmd;
}

}  // namespace eventsd
