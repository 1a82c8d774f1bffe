#include "commands/rules_input.h"

#include <boost/json.hpp>

#include <algorithm>
#include <set>

namespace eventsd {

namespace json = boost::json;

namespace {

std::optional<FieldError> only(const json::object& o, std::initializer_list<std::string_view> keys,
                               const std::string& where) {
  for (const auto& kv : o) {
    if (std::find(keys.begin(), keys.end(), kv.key()) == keys.end()) {
      return FieldError{where + std::string(kv.key()), "unknown field '" + std::string(kv.key()) + "'"};
    }
  }
  return std::nullopt;
}

std::optional<std::int64_t> integer(const json::value* v) {
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return static_cast<std::int64_t>(v->get_uint64());
  }
  return std::nullopt;
}

// The array under "rules" of a {"rules": [...]} body.
std::variant<const json::array*, FieldError> rules_array(const json::value& body, std::size_t max) {
  const json::object* o = body.if_object();
  if (!o) return FieldError{"", "the body must be {\"rules\": [...]}"};
  if (auto e = only(*o, {"rules"}, "")) return *e;
  const json::value* rules = o->if_contains("rules");
  if (!rules || !rules->is_array()) return FieldError{"rules", "rules must be an array"};
  if (rules->get_array().size() > max) {
    return FieldError{"rules", "at most " + std::to_string(max) + " rules"};
  }
  return &rules->get_array();
}

}  // namespace

std::variant<SetSuppressionRules, FieldError> parse_suppression_rules(const json::value& body) {
  auto arr = rules_array(body, kMaxSuppressionRules);
  if (auto* e = std::get_if<FieldError>(&arr)) return *e;
  SetSuppressionRules cmd;
  std::size_t i = 0;
  for (const auto& item : *std::get<const json::array*>(arr)) {
    const std::string at = "rules[" + std::to_string(i++) + "]";
    const json::object* r = item.if_object();
    if (!r) return FieldError{at, at + " must be an object"};
    const json::value* kind = r->if_contains("kind");
    if (kind && *kind == "velocity") {
      if (auto e = only(*r, {"kind", "max_events", "window_seconds", "event", "keep_first"}, at + ".")) return *e;
      VelocityRule v;
      auto max = integer(r->if_contains("max_events"));
      if (!max || *max < 1 || *max > kMaxVelocityEvents) {
        return FieldError{at + ".max_events", "max_events must be an integer from 1 to 10000"};
      }
      auto window = integer(r->if_contains("window_seconds"));
      if (!window || *window < 1 || *window > kMaxWindowSeconds) {
        return FieldError{at + ".window_seconds", "window_seconds must be an integer from 1 to 2592000 (30 days)"};
      }
      v.max_events = static_cast<std::uint32_t>(*max);
      v.window_seconds = static_cast<std::uint32_t>(*window);
      if (const json::value* ev = r->if_contains("event"); ev && !ev->is_null()) {
        if (!ev->is_string() || !is_clean_text(ev->get_string(), 128)) {
          return FieldError{at + ".event", "event must be an event name of 1-128 bytes"};
        }
        v.event = std::string(ev->get_string());
      }
      if (const json::value* kf = r->if_contains("keep_first"); kf && !kf->is_null()) {
        if (!kf->is_bool()) return FieldError{at + ".keep_first", "keep_first must be true or false"};
        v.keep_first = kf->get_bool();
      }
      cmd.rules.velocity.push_back(std::move(v));
    } else if (kind && *kind == "metadata") {
      if (auto e = only(*r, {"kind", "key", "equals", "contains"}, at + ".")) return *e;
      MetadataRule m;
      const json::value* key = r->if_contains("key");
      if (!key || !key->is_string() || !is_clean_text(key->get_string(), 128)) {
        return FieldError{at + ".key", "key must be a string of 1-128 bytes"};
      }
      m.key = std::string(key->get_string());
      const json::value* equals = r->if_contains("equals");
      const json::value* contains = r->if_contains("contains");
      if ((equals != nullptr) == (contains != nullptr)) {
        return FieldError{at, "a metadata rule has exactly one of equals and contains"};
      }
      if (equals) {
        if (!all_numbers_finite(*equals)) return FieldError{at + ".equals", "equals holds a number too large for a double"};
        m.equals = json::serialize(*equals);
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

std::variant<SetScoringRules, FieldError> parse_scoring_rules(const json::value& body) {
  auto arr = rules_array(body, kMaxScoringRules);
  if (auto* e = std::get_if<FieldError>(&arr)) return *e;
  SetScoringRules cmd;
  std::set<std::string> seen;
  std::size_t i = 0;
  for (const auto& item : *std::get<const json::array*>(arr)) {
    const std::string at = "rules[" + std::to_string(i++) + "]";
    const json::object* r = item.if_object();
    if (!r) return FieldError{at, at + " must be an object {event, points}"};
    if (auto e = only(*r, {"event", "points"}, at + ".")) return *e;
    const json::value* ev = r->if_contains("event");
    if (!ev || !ev->is_string() || !is_clean_text(ev->get_string(), 128)) {
      return FieldError{at + ".event", "event must be an event name of 1-128 bytes"};
    }
    auto points = integer(r->if_contains("points"));
    if (!points || *points < -1'000'000 || *points > 1'000'000) {
      return FieldError{at + ".points", "points must be an integer from -1000000 to 1000000"};
    }
    std::string name(ev->get_string());
    if (!seen.insert(name).second) return FieldError{at + ".event", "event " + name + " has two rules"};
    cmd.rules.emplace_back(std::move(name), static_cast<std::int32_t>(*points));
  }
  return cmd;
}

std::variant<MergeContacts, FieldError> parse_merge(const json::value& body) {
  const json::object* o = body.if_object();
  if (!o) return FieldError{"", "the body must be {\"from\": id, \"into\": id}"};
  if (auto e = only(*o, {"from", "into"}, "")) return *e;
  MergeContacts cmd;
  for (auto [name, out] : {std::pair{"from", &cmd.from}, {"into", &cmd.into}}) {
    const json::value* v = o->if_contains(name);
    if (!v || !v->is_string() || !is_clean_text(v->get_string(), 128)) {
      return FieldError{name, std::string(name) + " must be a contact id of 1-128 bytes"};
    }
    *out = std::string(v->get_string());
  }
  return cmd;
}

}  // namespace eventsd
