// Commands: what a client asked for, validated but not yet decided. The writer decides each one
// against the current state (decide.h) and answers with an Outcome.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "eventlog/time.h"
#include "projections/rules.h"

namespace eventsd {

// One event as a client sent it, after validation (event_input.h). Optional fields are absent
// when the client sent nothing, null, or (for free-text fields) an empty string.
struct EventInput {
  std::optional<std::string> id;  // client-chosen id: makes the ingest idempotent
  std::string event;
  std::optional<std::string> contact_id;
  std::optional<Millis> timestamp;  // default: when the request was received
  std::optional<std::string> url, referrer, session_id, utm_source, utm_medium, utm_campaign,
      campaign_id, step_id, email;
  std::optional<std::string> domain;  // derived from url
  std::string data = "{}";            // a JSON object, compact
};

struct IngestEvents {
  std::vector<EventInput> events;
  Millis received_at = 0;
};

struct DeleteEvents {
  std::vector<std::string> ids;  // distinct
};

// PUT /v1/contacts/{id}: replaces the contact's profile.
struct UpsertContact {
  std::string contact_id;
  std::optional<std::string> firstname, lastname, email, company_name, company_domain;
};

// The campaign retention: campaign events older than the cutoff leave the read models. Issued by
// the server itself (tenant "" = every tenant).
struct ApplyRetention {
  Millis campaign_cutoff = 0;
};

// POST /v1/contacts/merge: `from` becomes an alias of `into`, and its events move there.
struct MergeContacts {
  std::string from, into;
};

// PUT /v1/suppression/rules and PUT /v1/scoring/rules: full replacements.
struct SetSuppressionRules {
  SuppressionRules rules;
};
struct SetScoringRules {
  std::vector<std::pair<std::string, std::int32_t>> rules;  // (event name, points), in order
};

struct Command {
  std::string tenant;
  std::string actor;  // the token id (or tool) that issued it, recorded in the log
  std::variant<IngestEvents, DeleteEvents, UpsertContact, ApplyRetention, MergeContacts,
               SetSuppressionRules, SetScoringRules>
      body;
};

// A command the decider refused, or a failure of the store; nothing of it was recorded.
struct Rejection {
  int status = 400;
  std::string code = "invalid_request";
  std::string message;
  std::string field;  // the offending field, when there is one
};

struct Ingested {
  std::vector<std::string> ids;  // in request order; duplicates answer the stored id
};

struct Deleted {
  std::uint64_t deleted = 0;
  std::vector<std::string> not_found;
};

struct Recorded {};  // the command's fact is committed; nothing more to say

struct Merged {
  std::string into;     // the contact `from` now stands for (the end of any alias chain)
  std::uint64_t moved = 0;
};

using Outcome = std::variant<Rejection, Ingested, Deleted, Recorded, Merged>;

}  // namespace eventsd
