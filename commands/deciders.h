// Inside commands/decide*.cpp: one decider per kind of command, which decide() (decide.h)
// dispatches to, and the start of a record they share. Each decides against the write model in
// the writer's transaction and, when the command changes anything, builds its LogRecord in
// `message` (Decision::record). Not for use outside them: callers use decide().
//
// Thread safety: the writer thread's, like the context they are given.
#pragma once

#include <capnp/message.h>

#include "commands/command.h"
#include "commands/decide.h"
#include "eventlog/log.capnp.h"

namespace eventsd {

// The record of `command` in `message`: when it was recorded, the tenant and the actor; the
// caller sets its fact.
schema::LogRecord::Builder begin_record(const Command& command, const DecideContext& cx,
                                        capnp::MessageBuilder& message);

// Events (decide_ingest.cpp): ids made, retries found, aliases resolved, suppression and scores.
Decision decide_ingest(const Command& command, const IngestEvents& cmd, DecideContext& cx,
                       capnp::MessageBuilder& message);

// Events leaving (decide_removals.cpp): a delete names the ids it found; the retention purges the
// oldest expired campaign events, one step of at most kStepEvents at a time.
Decision decide_delete(const Command& command, const DeleteEvents& cmd, DecideContext& cx,
                       capnp::MessageBuilder& message);
Decision decide_retention(const Command& command, const ApplyRetention& cmd, DecideContext& cx,
                          capnp::MessageBuilder& message);

// Contacts (decide_contacts.cpp): a profile goes to the contact an alias stands for; a merge is
// checked, then moves the events in steps of at most kStepEvents.
Decision decide_upsert(const Command& command, const UpsertContact& cmd, DecideContext& cx,
                       capnp::MessageBuilder& message);
Decision decide_merge(const Command& command, const MergeContacts& cmd, DecideContext& cx,
                      capnp::MessageBuilder& message);

// Rules (decide_rules.cpp): a tenant's suppression or scoring rules, recorded as given.
Decision decide_suppression_rules(const Command& command, const SetSuppressionRules& cmd,
                                  DecideContext& cx, capnp::MessageBuilder& message);
Decision decide_scoring_rules(const Command& command, const SetScoringRules& cmd, DecideContext& cx,
                              capnp::MessageBuilder& message);

}  // namespace eventsd
