# The record format of the eventsd log. One LogRecord is the value of one log position.
# See docs/log-format.md. Rules: field numbers are explicit and never reused; new fields and new
# facts only ever take higher numbers, so every record ever written stays readable.
@0xa3d302de8c8f7569;

$import "/capnp/c++.capnp".namespace("eventsd::schema");

struct LogRecord {
  prevHash @0 :Data;       # SHA-256 of the previous record's value bytes; empty at position 1
  recordedAt @1 :Int64;    # milliseconds since the Unix epoch (UTC) when the writer decided
  tenant @2 :Text;         # the tenant the fact belongs to
  actor @3 :Text;          # id of the token (or tool) that issued the command

  fact :union {
    eventsIngested @4 :EventsIngested;
    eventsDeleted @5 :EventsDeleted;
    contactUpserted @6 :ContactUpserted;
    retentionApplied @7 :RetentionApplied;
    contactsMerged @8 :ContactsMerged;
    suppressionRulesSet @9 :SuppressionRulesSet;
    scoringRulesSet @10 :ScoringRulesSet;
  }
}

enum SuppressionReason {
  none @0;
  inorganic @1;           # a velocity rule: the event took the count over max_events
  inorganicGrouped @2;    # a keep_first velocity rule: part of a burst, not its first event
  metadataFilter @3;      # a metadata rule matched
}

# One event as decided by the writer. A Text field that is not set means null.
struct Event {
  id @0 :Text;
  event @1 :Text;
  contactId @2 :Text;           # after alias resolution
  originalContactId @3 :Text;   # the contact the client named, when an alias redirected it
  timestamp @4 :Int64;          # when it happened, ms since the epoch (UTC)
  createdAt @5 :Int64;          # when eventsd recorded it, ms since the epoch (UTC)
  url @6 :Text;
  referrer @7 :Text;
  domain @8 :Text;              # lower-case host of url, no port
  sessionId @9 :Text;
  utmSource @10 :Text;
  utmMedium @11 :Text;
  utmCampaign @12 :Text;
  campaignId @13 :Text;
  stepId @14 :Text;
  email @15 :Text;
  data @16 :Text;               # a JSON object, compact serialization
  suppression @17 :SuppressionReason;
  points @18 :Int32;            # what the scoring rules in force gave it (counts when unsuppressed)
}

struct EventsIngested {
  events @0 :List(Event);
  # Ids of events recorded earlier that a keep_first velocity burst of this batch turned into
  # inorganic_grouped (they were unsuppressed until now).
  regrouped @1 :List(Text);
}

struct EventsDeleted {
  ids @0 :List(Text);           # only ids that existed when the command was decided
}

# PUT /v1/contacts/{id}: the contact's profile as it now is (a full replacement).
struct ContactUpserted {
  contactId @0 :Text;
  firstname @1 :Text;
  lastname @2 :Text;
  email @3 :Text;
  companyName @4 :Text;
  companyDomain @5 :Text;       # lower-case
}

# The campaign retention ran (the record's tenant is empty: it covers every tenant). Campaign
# events whose timestamp is before the cutoff leave the read models; the log keeps them.
# Since version 0.2 each record names the events it purges (at most a bounded step; a large
# retention is several records): `listed` is set and only `events` are purged. A record without
# `listed` purges every campaign event older than the cutoff.
struct RetentionApplied {
  campaignCutoff @0 :Int64;     # ms since the epoch
  purged @1 :UInt64;            # how many events the decider found to purge
  events @2 :List(TenantEvent); # the events purged, when `listed`
  listed @3 :Bool;
}

struct TenantEvent {
  tenant @0 :Text;
  id @1 :Text;
}

# POST /v1/contacts/merge: `from` becomes an alias of `into` (already resolved to the end of any
# alias chain); its events move to `into` and keep their original contact. A contact with many
# events is merged in several records (bounded steps), each naming the events it moves.
struct ContactsMerged {
  from @0 :Text;
  into @1 :Text;
  moved @2 :List(Text);         # ids of the events that moved
}

struct SuppressionRule {
  union {
    velocity @0 :VelocityRule;
    metadata @1 :MetadataRule;
  }
}

struct VelocityRule {
  maxEvents @0 :UInt32;
  windowSeconds @1 :UInt32;
  event @2 :Text;               # not set: every event name counts
  keepFirst @3 :Bool;
}

struct MetadataRule {
  key @0 :Text;                 # a top-level key of the event's data
  union {
    equals @1 :Text;            # a JSON value, compact serialization
    contains @2 :Text;          # a substring of a string value (ASCII case-insensitive)
  }
}

# PUT /v1/suppression/rules: the tenant's rules from now on (a full replacement).
struct SuppressionRulesSet {
  rules @0 :List(SuppressionRule);
}

struct ScoringRule {
  event @0 :Text;
  points @1 :Int32;
}

# PUT /v1/scoring/rules: points per event name from now on (a full replacement).
struct ScoringRulesSet {
  rules @0 :List(ScoringRule);
}
