// Deciders: turn one command into the fact that records it, against the write model in the
// writer's transaction. Everything that depends on time or state (ids, duplicates, which ids a
// delete found, aliases, suppression) is decided here and written into the fact, so that folding
// the fact later, or replaying it, never decides again.
//
// Thread safety: called on the writer thread only, inside its write transaction.
#pragma once

#include <capnp/message.h>

#include <optional>

#include "commands/command.h"
#include "commands/ids.h"
#include "commands/write_model.h"
#include "eventlog/lmdb.h"

namespace eventsd {

struct DecideContext {
  const lmdb::Txn& txn;
  const WriteModel& model;
  Millis now;
  IdGenerator& ids;
};

// Events a merge or a retention step handles in one record: bounds the work of one command in the
// writer's transaction and in the projector's.
inline constexpr std::size_t kStepEvents = 1000;

struct Decision {
  Decision(Outcome outcome, bool record = false) : outcome(std::move(outcome)), record(record) {}  // NOLINT
  Outcome outcome;
  // True when `message` now holds a LogRecord to append. False for rejections and for commands
  // that change nothing (an ingest of only duplicates, a delete of only unknown ids).
  bool record = false;
  // The command is not done: decide `more` in a later transaction (after the record of this one
  // is committed) and add its outcome to this one's (merge_outcomes).
  std::optional<Command> more;
};

Decision decide(const Command& command, DecideContext& context, capnp::MessageBuilder& message);

// The outcome of a command decided in steps: `so_far` with the step `next` added.
Outcome merge_outcomes(Outcome so_far, Outcome next);

}  // namespace eventsd
