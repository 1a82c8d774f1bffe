#include "projections/rules.h"

#include "common/json_writer.h"
#include "projections/stored_event.h"

namespace eventsd {

std::string suppression_rules_json(schema::SuppressionRulesSet::Reader fact) {
  std::string out;
  JsonWriter w(out);
  w.begin_object().key("rules").begin_array();
  for (auto rule : fact.getRules()) {
    w.begin_object();
    if (rule.isVelocity()) {
      auto v = rule.getVelocity();
      w.key("kind").string("velocity");
      w.key("max_events").number(v.getMaxEvents());
      w.key("window_seconds").number(v.getWindowSeconds());
      if (v.hasEvent()) w.key("event").string(text_view(v.getEvent()));
      w.key("keep_first").boolean(v.getKeepFirst());
    } else {
      auto m = rule.getMetadata();
      w.key("kind").string("metadata");
      w.key("key").string(text_view(m.getKey()));
      // The value as the client wrote it (compact JSON): its numbers keep their text.
      if (m.isEquals()) w.key("equals").raw(text_view(m.getEquals()));
      else w.key("contains").string(text_view(m.getContains()));
    }
    w.end_object();
  }
  w.end_array().end_object();
  return out;
}

std::string scoring_rules_json(schema::ScoringRulesSet::Reader fact) {
  std::string out;
  JsonWriter w(out);
  w.begin_object().key("rules").begin_array();
  for (auto rule : fact.getRules()) {
    w.begin_object().key("event").string(text_view(rule.getEvent()));
    w.key("points").number(static_cast<std::int64_t>(rule.getPoints())).end_object();
  }
  w.end_array().end_object();
  return out;
}

std::string rules_json(const ReadView& view, std::uint32_t tno, RuleKind kind) {
  std::string_view v;
  if (!view.txn.get(view.models.dbs().rules, rm::rules_key(tno, kind), v)) {
    return R"({"rules":[]})";
  }
  return std::string(v);
}

}  // namespace eventsd
