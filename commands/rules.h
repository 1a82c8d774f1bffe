// The rules a tenant has in force (suppression, scoring) as the deciders use them, read from the
// fact that last set them (SuppressionRulesSet, ScoringRulesSet).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "eventlog/log.capnp.h"

namespace eventsd {

struct VelocityRule {
  std::uint32_t max_events = 0;
  std::uint32_t window_seconds = 0;
  std::optional<std::string> event;  // unset: every event name counts
  bool keep_first = false;
};

struct MetadataRule {
  std::string key;
  std::optional<std::string> equals;    // a JSON value, compact
  std::optional<std::string> contains;  // ASCII case-insensitive substring of a string value
};

struct SuppressionRules {
  std::vector<VelocityRule> velocity;
  std::vector<MetadataRule> metadata;
  bool empty() const { return velocity.empty() && metadata.empty(); }
};

struct ScoringRules {
  std::map<std::string, std::int32_t, std::less<>> points;  // by event name
};

SuppressionRules suppression_rules(schema::SuppressionRulesSet::Reader fact);
ScoringRules scoring_rules(schema::ScoringRulesSet::Reader fact);

}  // namespace eventsd
