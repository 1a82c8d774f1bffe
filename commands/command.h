// Commands: what a client asked for, validated but not yet decided. The writer decides each one
// against the current state (decide.h) and answers with an Outcome.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/time.h"
#include "commands/rules.h"
#include "eventlog/log_events.h"

namespace eventsd {

// Whose id an event's client-chosen `id` is. A publishable key's events come from browsers, and
// anyone can script a browser: their ids live in a namespace of their own, stored under
// kBrowserIdPrefix (event_input.h), so that a page can neither claim an id a server will send
// nor shadow a server's event (docs/api.md, "Publishable keys").
enum class IdSpace : std::uint8_t { server, browser };

// One event as a client sent it, after validation (event_input.h). Optional fields are absent
// when the client sent nothing, null, or (for free-text fields) an empty string.
struct EventInput {
  std::optional<std::string> id;  // client-chosen id: makes the ingest idempotent
  IdSpace id_space = IdSpace::server;  // where `id` is stored: decided by the writer (decide.h)
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
  bool echo = false;  // the outcome carries each event as stored (Ingested::events)
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
// the server itself (tenant "" = every tenant). Applied in bounded steps, each its own record.
struct ApplyRetention {
  Millis campaign_cutoff = 0;
};

// POST /v1/contacts/merge: `from` becomes an alias of `into`, and its events move there. A
// contact with many events moves in bounded steps, each its own record: after the first, the
// writer goes on with `progress`.
struct MergeContacts {
  std::string from, into;
  struct Progress {
    std::vector<std::string> sources;  // `from` and the contacts merged into it, whose events move
    std::size_t source = 0;            // the one being moved
    std::string after;                 // where in its range the next step starts
  };
  std::optional<Progress> progress;
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
  unsigned retry_after = 0;  // seconds a client should wait before retrying (0: not said)
};

// Every outcome of a command that was decided carries `position`: the log's head once the
// command was committed (its own record's position, or later). A reader that asks for
// min_position = this position sees the command's effect.
struct Ingested {
  // In request order, each as stored (a browser's id with its prefix); duplicates answer the
  // stored id.
  std::vector<std::string> ids;
  // In request order: true when the event was recorded by this command, false when it was an
  // idempotent duplicate (its id was stored already, or came earlier in the same request).
  std::vector<bool> created;
  // Only when the command asked (IngestEvents::echo), in request order: each event as the writer
  // decided it — recorded now (its seq is 0: not known before the append), or, for a duplicate,
  // as it was stored. A dialect that answers with the event renders it from here, never from a
  // later snapshot (which a concurrent delete or retention may have changed).
  std::vector<StoredEvent> events;
  std::uint64_t position = 0;
};

struct Deleted {
  std::uint64_t deleted = 0;
  std::vector<std::string> not_found;
  std::uint64_t position = 0;
};

struct Recorded {  // the command's fact is committed; nothing more to say
  std::uint64_t position = 0;
};

struct Merged {
  std::string into;     // the contact `from` now stands for (the end of any alias chain)
  std::uint64_t moved = 0;
  std::uint64_t position = 0;
};

using Outcome = std::variant<Rejection, Ingested, Deleted, Recorded, Merged>;

// The log position an outcome carries (0 for a rejection).
inline std::uint64_t position_of(const Outcome& outcome) {
  return std::visit([](const auto& o) -> std::uint64_t {
    if constexpr (requires { o.position; }) return o.position;
    else return 0;
  }, outcome);
}

}  // namespace eventsd
