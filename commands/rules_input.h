// Validation of the bodies of PUT /v1/suppression/rules, PUT /v1/scoring/rules and
// POST /v1/contacts/merge (docs/api.md, "Contacts"; docs/suppression.md). Unknown fields are rejected, as everywhere.
#pragma once

#include <variant>

#include "commands/command.h"
#include "commands/event_input.h"

namespace eventsd {

inline constexpr std::size_t kMaxSuppressionRules = 50;
inline constexpr std::size_t kMaxScoringRules = 500;
inline constexpr std::uint32_t kMaxVelocityEvents = 10'000;
inline constexpr std::uint32_t kMaxWindowSeconds = 30 * 86'400;

std::variant<SetSuppressionRules, FieldError> parse_suppression_rules(const JsonValue& body);
std::variant<SetScoringRules, FieldError> parse_scoring_rules(const JsonValue& body);
std::variant<MergeContacts, FieldError> parse_merge(const JsonValue& body);

}  // namespace eventsd
