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

std::string rules_json(const ReadView& view, std::uint32_t tno, RuleKind kind) {
  std::string_view v;
  if (!view.txn.get(view.models.dbs().rules, keys::Key().u32(tno).u8(static_cast<std::uint8_t>(kind)), v)) {
    return R"({"rules":[]})";
  }
  return std::string(v);
}

}  // namespace eventsd
