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
}

struct EventsIngested {
  events @0 :List(Event);
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
struct RetentionApplied {
  campaignCutoff @0 :Int64;     # ms since the epoch
  purged @1 :UInt64;            # how many events the decider found to purge
}
