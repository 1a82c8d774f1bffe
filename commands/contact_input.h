// Validation of PUT /v1/contacts/{id} bodies:
// {"firstname","lastname","email","company":{"name","domain"}}, every field optional (null or
// absent clears it: the body replaces the profile). Unknown fields are rejected.
#pragma once

#include <string>
#include <variant>

#include "commands/command.h"
#include "commands/event_input.h"

namespace eventsd {

std::variant<UpsertContact, FieldError> parse_contact_upsert(std::string contact_id,
                                                              const JsonValue& body);

}  // namespace eventsd
