#include "commands/rules.h"

#include "eventlog/log_events.h"

namespace eventsd {

SuppressionRules suppression_rules(schema::SuppressionRulesSet::Reader fact) {
  SuppressionRules out;
  for (auto rule : fact.getRules()) {
    if (rule.isVelocity()) {
      auto v = rule.getVelocity();
      VelocityRule r;
      r.max_events = v.getMaxEvents();
      r.window_seconds = v.getWindowSeconds();
      if (v.hasEvent()) r.event = std::string(text_view(v.getEvent()));
      r.keep_first = v.getKeepFirst();
      out.velocity.push_back(std::move(r));
    } else {
      auto m = rule.getMetadata();
      MetadataRule r;
      r.key = std::string(text_view(m.getKey()));
      if (m.isEquals()) r.equals = std::string(text_view(m.getEquals()));
      else r.contains = std::string(text_view(m.getContains()));
      out.metadata.push_back(std::move(r));
    }
  }
  return out;
}

ScoringRules scoring_rules(schema::ScoringRulesSet::Reader fact) {
  ScoringRules out;
  for (auto rule : fact.getRules()) out.points[std::string(text_view(rule.getEvent()))] = rule.getPoints();
  return out;
}

}  // namespace eventsd
