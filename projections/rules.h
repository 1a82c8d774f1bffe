// The rules a tenant has in force (suppression, scoring), as the log last set them. rm_rules keeps
// them in the JSON shape the API shows; the deciders read them back as plain structs.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "eventlog/lmdb.h"
#include "eventlog/log.capnp.h"
#include "projections/read_models.h"

namespace eventsd {

enum class RuleKind : std::uint8_t { suppression = 1, scoring = 2 };

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

// JSON, as GET /v1/suppression/rules and GET /v1/scoring/rules show it: {"rules":[...]}.
std::string suppression_rules_json(schema::SuppressionRulesSet::Reader fact);
std::string scoring_rules_json(schema::ScoringRulesSet::Reader fact);

// The rules in force; empty when the tenant never set any. `json_out`, when given, receives the
// API form.
SuppressionRules load_suppression_rules(const ReadView& view,
                                        std::uint32_t tno, std::string* json_out = nullptr);
ScoringRules load_scoring_rules(const ReadView& view, std::uint32_t tno,
                                std::string* json_out = nullptr);

}  // namespace eventsd
