// The rules a tenant has in force (suppression, scoring), as the log last set them, in the JSON
// shape the API shows: rm_rules keeps them so.
#pragma once

#include <cstdint>
#include <string>

#include "eventlog/log.capnp.h"
#include "projections/read_models.h"

namespace eventsd {

// JSON, as GET /v1/suppression/rules and GET /v1/scoring/rules show it: {"rules":[...]}.
std::string suppression_rules_json(schema::SuppressionRulesSet::Reader fact);
std::string scoring_rules_json(schema::ScoringRulesSet::Reader fact);

// The rules in force as JSON ({"rules":[]} when the tenant never set any).
std::string rules_json(const ReadView& view, std::uint32_t tno, RuleKind kind);

}  // namespace eventsd
