// Deciding a tenant's rules: suppression rules (velocity and metadata) and scoring points are
// recorded as the client gave them (validated by rules_input.h); the write model keeps the ones in
// force for the deciders of later ingests.
#include "commands/deciders.h"

namespace eventsd {

Decision decide_suppression_rules(const Command& command, const SetSuppressionRules& cmd,
                                  DecideContext& cx, capnp::MessageBuilder& message) {
  auto record = begin_record(command, cx, message);
  const auto& r = cmd.rules;
  auto rules = record.initFact().initSuppressionRulesSet().initRules(
      static_cast<unsigned>(r.velocity.size() + r.metadata.size()));
  unsigned k = 0;
  for (const auto& v : r.velocity) {
    auto out = rules[k++].initVelocity();
    out.setMaxEvents(v.max_events);
    out.setWindowSeconds(v.window_seconds);
    if (v.event) out.setEvent(*v.event);
    out.setKeepFirst(v.keep_first);
  }
  for (const auto& m : r.metadata) {
    auto out = rules[k++].initMetadata();
    out.setKey(m.key);
    if (m.equals) out.setEquals(*m.equals);
    else out.setContains(m.contains.value_or(""));
  }
  return {Recorded{}, true};
}

Decision decide_scoring_rules(const Command& command, const SetScoringRules& cmd, DecideContext& cx,
                              capnp::MessageBuilder& message) {
  auto record = begin_record(command, cx, message);
  auto rules = record.initFact().initScoringRulesSet().initRules(static_cast<unsigned>(cmd.rules.size()));
  for (unsigned k = 0; k < cmd.rules.size(); ++k) {
    rules[k].setEvent(cmd.rules[k].first);
    rules[k].setPoints(cmd.rules[k].second);
  }
  return {Recorded{}, true};
}

}  // namespace eventsd
