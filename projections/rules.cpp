#include "projections/rules.h"

#include <boost/json.hpp>

#include "eventlog/keys.h"
#include "projections/stored_event.h"

namespace eventsd {

namespace json = boost::json;

std::string suppression_rules_json(schema::SuppressionRulesSet::Reader fact) {
  json::array rules;
  for (auto rule : fact.getRules()) {
    json::object o;
    if (rule.isVelocity()) {
      auto v = rule.getVelocity();
      o["kind"] = "velocity";
      o["max_events"] = v.getMaxEvents();
      o["window_seconds"] = v.getWindowSeconds();
      if (v.hasEvent()) o["event"] = text_view(v.getEvent());
      o["keep_first"] = v.getKeepFirst();
    } else {
      auto m = rule.getMetadata();
      o["kind"] = "metadata";
      o["key"] = text_view(m.getKey());
      if (m.isEquals()) {
        o["equals"] = json::parse(text_view(m.getEquals()));
      } else {
        o["contains"] = text_view(m.getContains());
      }
    }
    rules.push_back(std::move(o));
  }
  return json::serialize(json::object{{"rules", std::move(rules)}});
}

std::string scoring_rules_json(schema::ScoringRulesSet::Reader fact) {
  json::array rules;
  for (auto rule : fact.getRules()) {
    rules.push_back(json::object{{"event", text_view(rule.getEvent())}, {"points", rule.getPoints()}});
  }
  return json::serialize(json::object{{"rules", std::move(rules)}});
}

namespace {

std::optional<json::array> stored_rules(const ReadView& view, std::uint32_t tno, RuleKind kind, std::string* json_out) {
  const ReadModels& models = view.models;
  const lmdb::Txn& txn = view.txn;
  std::string_view v;
  if (!txn.get(models.dbs().rules, keys::Key().u32(tno).u8(static_cast<std::uint8_t>(kind)), v)) {
    if (json_out) *json_out = R"({"rules":[]})";
    return std::nullopt;
  }
  if (json_out) *json_out = std::string(v);
  return json::parse(v).at("rules").as_array();
}

}  // namespace

SuppressionRules load_suppression_rules(const ReadView& view, std::uint32_t tno, std::string* json_out) {
  SuppressionRules out;
  auto rules = stored_rules(view, tno, RuleKind::suppression, json_out);
  if (!rules) return out;
  for (const auto& r : *rules) {
    const auto& o = r.as_object();
    if (o.at("kind") == "velocity") {
      VelocityRule v;
      v.max_events = o.at("max_events").to_number<std::uint32_t>();
      v.window_seconds = o.at("window_seconds").to_number<std::uint32_t>();
      if (auto* e = o.if_contains("event")) v.event = std::string(e->as_string());
      v.keep_first = o.at("keep_first").as_bool();
      out.velocity.push_back(std::move(v));
    } else {
      MetadataRule m;
      m.key = std::string(o.at("key").as_string());
      if (auto* e = o.if_contains("equals")) m.equals = json::serialize(*e);
      if (auto* c = o.if_contains("contains")) m.contains = std::string(c->as_string());
      out.metadata.push_back(std::move(m));
    }
  }
  return out;
}

ScoringRules load_scoring_rules(const ReadView& view, std::uint32_t tno,
                                std::string* json_out) {
  ScoringRules out;
  auto rules = stored_rules(view, tno, RuleKind::scoring, json_out);
  if (!rules) return out;
  for (const auto& r : *rules) {
    out.points[std::string(r.at("event").as_string())] = r.at("points").to_number<std::int32_t>();
  }
  return out;
}

}  // namespace eventsd
